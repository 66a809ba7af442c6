import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectScript, parseCollected, parseKubeconfigLines } from '../../../src/certs/collect.js';
import { certFacts, daysLeft, pemCertificates } from '../../../src/certs/x509.js';
import { REAL_DIR } from '../fixtures-real/real.js';
import { tempRoot, writeNodeTree } from './fixture.js';

function runCollector(root: string, controlPlane: boolean, sshUser = 'root'): string {
  return execFileSync('bash', ['-c', collectScript(controlPlane, root, sshUser).text], { encoding: 'utf8' });
}

describe('collector script (run with bash on a PKI tree)', () => {
  const root = tempRoot();
  writeNodeTree(root, { node: 'cp1', ip: '10.0.0.1' });

  it('reads every certificate and kubeconfig of a control plane, and only public halves of keys', () => {
    const out = runCollector(root, true);
    const c = parseCollected(out);
    expect(c.complete).toBe(true);
    expect([...c.certs.keys()].sort()).toEqual(
      [
        'apiserver',
        'apiserver-etcd-client',
        'apiserver-kubelet-client',
        'ca',
        'etcd-ca',
        'etcd-healthcheck-client',
        'etcd-peer',
        'etcd-server',
        'front-proxy-ca',
        'front-proxy-client',
        'kubelet-client',
        'kubelet-serving',
      ].sort(),
    );
    expect([...c.kubeconfigs.keys()].sort()).toEqual([
      'admin.conf',
      'controller-manager.conf',
      'kubelet.conf',
      'scheduler.conf',
      'super-admin.conf',
    ]);
    expect([...c.pubkeys.keys()].sort()).toEqual(['ca.key', 'etcd/ca.key', 'front-proxy-ca.key', 'sa.key', 'sa.pub']);
    expect(c.pubkeys.get('ca.key')!.mode).toBe('600');
    // no private key material in what leaves the node
    expect(out).not.toMatch(/PRIVATE KEY/);
    const decoded = out
      .split('\n')
      .map((l) => Buffer.from(l, 'base64').toString('latin1'))
      .join('\n');
    expect(decoded).not.toMatch(/PRIVATE KEY|client-key-data/);
    expect(c.certs.get('kubelet-client')!.pem).toMatch(/^-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----\n$/);
  });

  it("root's and the SSH user's ~/.kube/config (home from getent), in the same read; no key data leaves the node", () => {
    const tree = tempRoot();
    writeNodeTree(tree, { node: 'w1', ip: '10.0.0.9', copies: ['/root', '/nonexistent'] }); // nobody's home
    const out = runCollector(tree, false, 'nobody');
    const c = parseCollected(out);
    expect([...c.kubeconfigs.keys()].sort()).toEqual(['kubelet.conf', '~nobody/.kube/config', '~root/.kube/config']);
    expect(c.kubeconfigs.get('~nobody/.kube/config')!.path).toBe(`${tree}/nonexistent/.kube/config`);
    expect(c.kubeconfigs.get('~root/.kube/config')!.lines.clientCertData).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(out).not.toMatch(/client-key-data/);
    // root logging in: one copy, not two; a user without a home entry: none
    expect([...parseCollected(runCollector(tree, false)).kubeconfigs.keys()]).not.toContain('~nobody/.kube/config');
    expect([...parseCollected(runCollector(tree, false, 'no-such-user-ks')).kubeconfigs.keys()].sort()).toEqual([
      'kubelet.conf',
      '~root/.kube/config',
    ]);
  });

  it('a worker reads only the kubelet files; absent files are reported missing', () => {
    const c = parseCollected(runCollector(root, false));
    expect([...c.certs.keys()].sort()).toEqual(['kubelet-client', 'kubelet-serving']);
    const empty = parseCollected(runCollector(tempRoot(), true));
    expect(empty.complete).toBe(true);
    expect(empty.missing.has('apiserver')).toBe(true);
    expect(empty.missing.has('ca.key')).toBe(true);
  });

  it('kubeconfig lines: first of each key, base64 decoded, path kept', () => {
    const l = parseKubeconfigLines(
      `clusters:\n- cluster:\n    certificate-authority-data: ${Buffer.from('CA').toString('base64')}\n    server: https://x:6443\nusers:\n- name: u\n  user:\n    client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem\n`,
    );
    expect(l).toEqual({ caData: 'CA', server: 'https://x:6443', clientCertFile: '/var/lib/kubelet/pki/kubelet-client-current.pem' });
  });
});

describe('a real kubelet.conf (test/fixtures/real/kubelet/kubelet.conf, written by the kubelet after TLS bootstrap)', () => {
  const real = readFileSync(join(REAL_DIR, 'kubelet', 'kubelet.conf'), 'utf8');

  it('gives the path of the rotating client certificate and kubeadm’s CA', () => {
    const l = parseKubeconfigLines(real);
    expect(l.clientCertFile).toBe('/var/lib/kubelet/pki/kubelet-client-current.pem');
    expect(l.clientCertData).toBeUndefined();
    expect(l.server).toBe('https://192.168.105.7:6443');
    const ca = certFacts(pemCertificates(l.caData!)[0]!);
    expect(ca).toMatchObject({ subjectCN: 'kubernetes', isCA: true });
    expect(daysLeft(ca.notAfter, ca.notBefore)).toBe(3650);
  });

  it('the collector follows it to the client certificate it names', () => {
    const root = tempRoot();
    writeNodeTree(root, { node: 'w1', ip: '10.0.0.9' });
    writeFileSync(join(root, '/etc/kubernetes/kubelet.conf'), real);
    const c = parseCollected(runCollector(root, false));
    expect(c.kubeconfigs.get('kubelet.conf')!.lines.clientCertFile).toBe('/var/lib/kubelet/pki/kubelet-client-current.pem');
    expect(certFacts(c.certs.get('kubelet-client')!.pem).subjectCN).toBe('system:node:w1');
  });
});
