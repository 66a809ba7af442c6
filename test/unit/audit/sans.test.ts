/** Node-specific certificates judged by their SANs: the runbook's copied apiserver/etcd certificates are found. */
import { describe, expect, it } from 'vitest';
import type { Collected } from '../../../src/certs/collect.js';
import { certSanFindings, type NodeIdentity } from '../../../src/audit/sans.js';
import { generateKey, signCert } from '../../lab/emulators/src/kube/pki.js';

const DAY = 86_400_000;
const now = Date.now();
const caKey = generateKey();
const ca = { key: caKey, cert: signCert({ cn: 'etcd-ca', isCA: true, notBefore: now - DAY, notAfter: now + 3650 * DAY }, caKey) };
const leafKey = generateKey();
/** As kubeadm signs them: node name + localhost, node IP + loopback (etcd); node name + kubernetes…, service IP + node IP (apiserver). */
const certsOf = (node: string, ip: string): Collected['certs'] =>
  new Map(
    [
      ['apiserver', '/etc/kubernetes/pki/apiserver.crt', { dnsNames: [node, 'kubernetes', 'kubernetes.default'], ips: ['10.96.0.1', ip] }],
      ['etcd-server', '/etc/kubernetes/pki/etcd/server.crt', { dnsNames: [node, 'localhost'], ips: [ip, '127.0.0.1', '::1'] }],
      ['etcd-peer', '/etc/kubernetes/pki/etcd/peer.crt', { dnsNames: [node, 'localhost'], ips: [ip, '127.0.0.1', '::1'] }],
    ].map(([name, path, sans]) => [
      name as string,
      {
        path: path as string,
        pem: signCert({ cn: node, ...(sans as object), notBefore: now - DAY, notAfter: now + 365 * DAY }, leafKey, ca),
      },
    ]),
  );
const collected = (certs: Collected['certs']): Collected => ({
  certs,
  kubeconfigs: new Map(),
  pubkeys: new Map(),
  missing: new Map(),
  errors: [],
  complete: true,
});

const cp1: NodeIdentity = { node: 'cp1', names: ['cp1'], addresses: ['10.199.0.10'] };
const cp2: NodeIdentity = { node: 'cp2', names: ['cp2'], addresses: ['10.199.0.11', '192.168.50.11'] };

describe('audit: node-specific certificate SANs', () => {
  it("a node's own certificates pass", () => {
    expect(certSanFindings(cp1, [cp2], collected(certsOf('cp1', '10.199.0.10')))).toEqual([]);
    expect(certSanFindings(cp2, [cp1], collected(certsOf('cp2', '10.199.0.11')))).toEqual([]);
  });

  it("cp1's certificates copied onto cp2 are CRITICAL, each naming cp1 and showing both SAN lists", () => {
    const found = certSanFindings(cp2, [cp1], collected(certsOf('cp1', '10.199.0.10')));
    expect(found.map((f) => f.message)).toEqual([
      'apiserver.crt does not name this node; it names cp1 (copied from another control plane?)',
      'etcd-server.crt does not name this node; it names cp1 (copied from another control plane?)',
      'etcd-peer.crt does not name this node; it names cp1 (copied from another control plane?)',
    ]);
    expect(found.every((f) => f.severity === 'critical' && f.node === 'cp2')).toBe(true);
    expect(found[1]!.evidence).toEqual([
      '/etc/kubernetes/pki/etcd/server.crt SANs: cp1, localhost, 10.199.0.10, 127.0.0.1, ::1',
      'this node: cp2, 10.199.0.11, 192.168.50.11',
    ]);
  });

  it('a certificate with the right name but without any of the node addresses is still found', () => {
    const found = certSanFindings(cp2, [cp1], collected(certsOf('cp2', '10.0.0.99')));
    expect(found).toHaveLength(3);
    expect(found[0]!.message).toBe('apiserver.crt does not name this node');
  });
});
