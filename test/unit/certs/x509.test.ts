import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  certFacts,
  daysLeft,
  normalizeIp,
  parseSubjectAltName,
  pemCertificates,
  publicKeyFingerprintOfPem,
  signedBy,
} from '../../../src/certs/x509.js';
import { makeCas, tempRoot } from './fixture.js';
import { generateKey, signCert } from '../../lab/emulators/src/kube/pki.js';

describe('x509 helpers', () => {
  const cas = makeCas();

  it('facts: CN, issuer, SANs, CA flag, validity', () => {
    const key = generateKey();
    const pem = signCert(
      {
        cn: 'kube-apiserver',
        usages: ['server'],
        dnsNames: ['cp1', 'kubernetes'],
        ips: ['10.0.0.1', '0:0:0:0:0:0:0:1'],
        notBefore: Date.UTC(2026, 0, 1),
        notAfter: Date.UTC(2027, 0, 1),
      },
      key,
      cas.ca,
    );
    const f = certFacts(pem);
    expect(f).toMatchObject({
      subjectCN: 'kube-apiserver',
      issuerCN: 'kubernetes',
      isCA: false,
      dnsNames: ['cp1', 'kubernetes'],
      ips: ['10.0.0.1', '::1'],
    });
    expect(f.notAfter.toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(signedBy(pem, cas.ca.cert)).toBe(true);
    expect(signedBy(pem, cas.etcd.cert)).toBe(false);
    expect(certFacts(cas.ca.cert).isCA).toBe(true);
  });

  it('public key fingerprint equals openssl pkey -pubout -outform DER | sha256sum (what nodes compute)', () => {
    const dir = tempRoot();
    writeFileSync(join(dir, 'k'), cas.sa, { mode: 0o600 });
    const viaOpenssl = execFileSync('bash', ['-c', `openssl pkey -in ${dir}/k -pubout -outform DER | sha256sum | cut -d' ' -f1`], {
      encoding: 'utf8',
    }).trim();
    const pub = execFileSync('openssl', ['pkey', '-in', join(dir, 'k'), '-pubout'], { encoding: 'utf8' });
    expect(publicKeyFingerprintOfPem(pub)).toBe(viaOpenssl);
    expect(publicKeyFingerprintOfPem(cas.ca.cert)).toBe(certFacts(cas.ca.cert).publicKeyFingerprint);
  });

  it('IP normalisation and SAN text', () => {
    expect(normalizeIp('0:0:0:0:0:0:0:1')).toBe('::1');
    expect(normalizeIp('FD00:0:0:0:0:0:0:A')).toBe('fd00::a');
    expect(normalizeIp('2001:db8:0:1:0:0:0:1')).toBe('2001:db8:0:1::1');
    expect(normalizeIp('[::1]')).toBe('::1');
    expect(normalizeIp('10.0.0.1')).toBe('10.0.0.1');
    expect(parseSubjectAltName('DNS:a, DNS:b, IP Address:10.1.1.1')).toEqual({ dnsNames: ['a', 'b'], ips: ['10.1.1.1'] });
  });

  it('PEM bundles: certificates only, keys ignored; days left round down', () => {
    expect(pemCertificates(cas.ca.cert + cas.ca.key + cas.etcd.cert)).toHaveLength(2);
    expect(pemCertificates(cas.ca.key)).toEqual([]);
    const now = new Date('2026-01-01T00:00:00Z');
    expect(daysLeft(new Date('2026-01-10T23:00:00Z'), now)).toBe(9);
    expect(daysLeft(new Date('2025-12-31T23:00:00Z'), now)).toBe(-1);
  });
});
