import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { collectScript, parseCollected, parseKubeconfigLines } from '../../../src/certs/collect.js';
import { tempRoot, writeNodeTree } from './fixture.js';

function runCollector(root: string, controlPlane: boolean): string {
  return execFileSync('bash', ['-c', collectScript(controlPlane, root).text], { encoding: 'utf8' });
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
