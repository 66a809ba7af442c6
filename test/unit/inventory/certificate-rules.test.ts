import { describe, expect, it } from 'vitest';
import { derived } from '../../../src/inventory/derived.js';
import { formatIssue, parseInventory } from '../../../src/inventory/index.js';
import { describeDuration, durationSeconds, goDuration } from '../../../src/inventory/validity.js';
import { errorsOf, FILE, inventoryYaml } from './helpers.js';

const certs = (c: Record<string, unknown>, version?: string) =>
  inventoryYaml((i) => {
    i.spec.certificates = c;
    if (version) i.spec.kubernetes.version = version;
  });

describe('spec.certificates (validity periods)', () => {
  it('durations in hours, minutes and seconds, written back as kubeadm prints them', () => {
    expect(durationSeconds('8760h')).toBe(8760 * 3600);
    expect(durationSeconds('720h30m')).toBe(720 * 3600 + 1800);
    expect(goDuration(durationSeconds('8760h'))).toBe('8760h0m0s');
    expect(goDuration(durationSeconds('90m'))).toBe('1h30m0s');
    expect(goDuration(45)).toBe('45s');
    expect(describeDuration('43800h')).toBe('5 years');
    expect(describeDuration('2000h')).toBe('83.3 days');
    for (const bad of ['', '1y', '365d', '8760', 'h', '1m2h', '-5h', '8760h ']) expect(durationSeconds(bad), bad).toBeNaN();
  });

  it('accepted on Kubernetes 1.31+; derived in the form kubeadm writes', () => {
    const text = certs({ validity: '2000h', caValidity: '43800h' });
    expect(errorsOf(text)).toEqual([]);
    expect(derived(parseInventory(text, FILE).inventory).certificates).toEqual({
      certificateValidityPeriod: '2000h0m0s',
      caCertificateValidityPeriod: '43800h0m0s',
    });
    expect(derived(parseInventory(inventoryYaml(), FILE).inventory).certificates).toEqual({});
  });

  it('a malformed or zero duration: the schema says what it expects, at the field', () => {
    const issues = errorsOf(certs({ validity: '1y', caValidity: '0h' }));
    expect(issues.map((i) => [i.path, i.message])).toEqual([
      ['spec.certificates.validity', 'expected a duration in hours, minutes and seconds, e.g. 8760h or 720h30m, got "1y"'],
      ['spec.certificates.caValidity', 'must be longer than 0s, got "0h"'],
    ]);
  });

  it('refused for a kubeadm without the fields (before 1.31, config v1beta3): file:line:field and the reason', () => {
    const text = certs({ validity: '2000h' }, '1.30.4');
    const issues = errorsOf(text).filter((i) => i.rule === 'certificate-validity-kubeadm-version');
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toBe('spec.certificates.validity');
    expect(issues[0]!.line).toBe(text.split('\n').findIndex((l) => l.includes('validity: 2000h')) + 1);
    expect(formatIssue(issues[0]!)).toMatch(
      /^inventory\/test\.yaml:\d+:\d+ .*spec\.certificates\.validity.*needs Kubernetes 1\.31 or newer: kubeadm 1\.30\.4 \(config kubeadm\.k8s\.io\/v1beta3\) has no certificateValidityPeriod/,
    );
    expect(errorsOf(certs({ caValidity: '43800h' }, '1.30.4')).map((i) => i.path)).toEqual(['spec.certificates.caValidity']);
    expect(errorsOf(certs({}, '1.30.4'))).toEqual([]);
    expect(errorsOf(certs({ validity: '2000h' }, '1.31.0'))).toEqual([]);
  });

  it('guard rails: over 5 years for certificates or 30 for CAs only with acknowledgeLongValidity', () => {
    const long = { validity: '87600h', caValidity: '876000h' };
    const issues = errorsOf(certs(long)).filter((i) => i.rule === 'certificate-validity-long');
    expect(issues.map((i) => i.path)).toEqual(['spec.certificates.validity', 'spec.certificates.caValidity']);
    expect(issues[0]!.message).toContain('87600h (10 years) is longer than 43800h (5 years)');
    expect(issues[1]!.message).toContain('876000h (100 years) is longer than 262800h (30 years)');
    expect(issues[0]!.message).toContain('acknowledgeLongValidity: true');
    expect(errorsOf(certs({ ...long, acknowledgeLongValidity: true }))).toEqual([]);
    // the limits themselves are fine
    expect(errorsOf(certs({ validity: '43800h', caValidity: '262800h' }))).toEqual([]);
  });

  it('a certificate may not outlive its CA (an unset CA validity counts as kubeadm’s ten years)', () => {
    const issues = errorsOf(certs({ validity: '8760h', caValidity: '4380h' }));
    expect(issues.map((i) => [i.rule, i.path])).toEqual([['certificate-validity-order', 'spec.certificates.validity']]);
    const implicit = errorsOf(certs({ validity: '96360h', acknowledgeLongValidity: true }));
    expect(implicit.map((i) => i.path)).toEqual(['spec.certificates.validity']);
    expect(implicit[0]!.message).toContain("(87600h, kubeadm's default)");
    expect(errorsOf(certs({ caValidity: '4000h' })).map((i) => i.path)).toEqual(['spec.certificates.caValidity']);
  });
});
