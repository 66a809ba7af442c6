// The emulated kubelet's self-signed serving certificate has the shape client-go's GenerateSelfSignedCertKeyWithFixtures
// gives the real one (certificate then CA in kubelet.crt, one year from an hour ago), and certs check reads it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { certFacts, pemCertificates, signedBy } from '../../../../src/certs/x509.js';
import { ensureServing, selfSignedServing } from '../../../lab/emulators/src/kube/kubelet-serving.js';

const AT = Date.parse('2026-12-07T10:00:00Z');

describe('emulated kubelet: self-signed serving certificate', () => {
  const { cert } = selfSignedServing('w1', AT);
  const [leaf, ca] = pemCertificates(cert);

  it('kubelet.crt: the host certificate, then its throwaway CA; both one year from an hour before start', () => {
    expect(pemCertificates(cert)).toHaveLength(2);
    const l = certFacts(leaf!);
    const c = certFacts(ca!);
    expect(l).toMatchObject({ subjectCN: `w1@${AT / 1000}`, issuerCN: `w1-ca@${AT / 1000}`, isCA: false, dnsNames: ['w1'] });
    expect(c).toMatchObject({ subjectCN: `w1-ca@${AT / 1000}`, isCA: true });
    expect(l.notBefore.getTime()).toBe(AT - 3600e3);
    expect(l.notAfter.getTime() - l.notBefore.getTime()).toBe(365 * 86_400e3);
    expect(signedBy(leaf!, ca!)).toBe(true);
    const text = execFileSync('openssl', ['x509', '-noout', '-ext', 'extendedKeyUsage'], { input: leaf!, encoding: 'utf8' });
    expect(text).toContain('TLS Web Server Authentication');
    expect(certFacts(selfSignedServing('10.199.0.11', AT).cert).ips).toEqual(['10.199.0.11']);
  });

  it('written once under the host root (key 0600); an existing pair is kept, as the kubelet keeps it', () => {
    const root = mkdtempSync(join(tmpdir(), 'ks-kubelet-serving-'));
    process.env.LAB_FS_ROOT = root;
    try {
      expect(ensureServing('w1')).toBe(true);
      const first = readFileSync(join(root, 'var/lib/kubelet/pki/kubelet.crt'), 'utf8');
      expect(statSync(join(root, 'var/lib/kubelet/pki/kubelet.key')).mode & 0o777).toBe(0o600);
      expect(ensureServing('w1')).toBe(false);
      expect(readFileSync(join(root, 'var/lib/kubelet/pki/kubelet.crt'), 'utf8')).toBe(first);
    } finally {
      delete process.env.LAB_FS_ROOT;
    }
  });
});
