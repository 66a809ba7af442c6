/** The worker kubelet re-bootstrap: when it is needed (at the node's clock) and the bootstrap kubeconfig it writes. */
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { bootstrapKubeconfig, kubeletClientProblem } from '../../../src/tasks/certs/kubelet-bootstrap.js';
import { generateKey, signCert } from '../../lab/emulators/src/kube/pki.js';

const DAY = 86_400_000;
const NOW = Math.floor(Date.now() / 1000) * 1000; // whole seconds, as `date +%s` reports
const ca = (() => {
  const key = generateKey();
  return { key, cert: signCert({ cn: 'kubernetes', isCA: true, notBefore: NOW - DAY, notAfter: NOW + 3650 * DAY }, key) };
})();
const other = (() => {
  const key = generateKey();
  return { key, cert: signCert({ cn: 'kubernetes', isCA: true, notBefore: NOW - DAY, notAfter: NOW + 3650 * DAY }, key) };
})();
const leafKey = generateKey();
const client = (signer: typeof ca, days: number) =>
  signCert(
    { cn: 'system:node:w1', orgs: ['system:nodes'], usages: ['client'], notBefore: NOW - DAY, notAfter: NOW + days * DAY },
    leafKey,
    signer,
  ) + leafKey;
const nowS = Math.floor(NOW / 1000);

describe('worker kubelet client certificate', () => {
  it('valid for a year: nothing to do; at a node clock 400 days ahead: expired', () => {
    const pem = client(ca, 365);
    expect(kubeletClientProblem(pem, ca.cert, nowS)).toBeUndefined();
    expect(kubeletClientProblem(pem, ca.cert, nowS + 400 * 86_400)).toBe('expired 35 day(s) ago');
  });

  it('expiring within 30 days, signed by another CA, or missing: needs a new one', () => {
    expect(kubeletClientProblem(client(ca, 10), ca.cert, nowS)).toBe('expires in 10 day(s)');
    expect(kubeletClientProblem(client(other, 365), ca.cert, nowS)).toBe('not signed by the cluster CA');
    expect(kubeletClientProblem(undefined, ca.cert, nowS)).toBe('missing');
  });

  it('bootstrap-kubelet.conf has the shape kubeadm join writes: CA, server, tls-bootstrap-token-user with the token', () => {
    const doc = YAML.parse(bootstrapKubeconfig('https://10.0.0.1:6443', ca.cert, 'abcdef.0123456789abcdef'));
    expect(doc).toMatchObject({
      kind: 'Config',
      'current-context': 'tls-bootstrap-token-user@kubernetes',
      clusters: [{ name: 'kubernetes', cluster: { server: 'https://10.0.0.1:6443' } }],
      users: [{ name: 'tls-bootstrap-token-user', user: { token: 'abcdef.0123456789abcdef' } }],
    });
    expect(Buffer.from(doc.clusters[0].cluster['certificate-authority-data'], 'base64').toString()).toBe(ca.cert);
  });
});
