// The emulated kubelet's client certificate on the lab clock (src/kube/kubelet-client.ts): 400 days on, the node is
// NotReady and a restarting kubelet fails with the real kubelet's messages; with bootstrap-kubelet.conf holding a
// valid token it does the TLS bootstrap (same key, signed by the cluster CA for a year of the lab clock) and kubelet.conf
// points at kubelet-client-current.pem; a wrong token is refused.
import { beforeAll, describe, expect, it } from 'vitest';
import { readlinkSync } from 'node:fs';
import { Lab, initWithWorker, openssl } from './harness.js';

const lab = new Lab().seedKeys();
const DAY = 86_400_000;
const LATER = { LAB_NOW: String(Date.now() + 400 * DAY) };
const kubectl = (args: string[], env = LATER) => lab.run('cp1', 'kubectl', ['--kubeconfig', '/etc/kubernetes/admin.conf', ...args], env);
const bootstrapConf = (ca: string, token: string) => `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: ${Buffer.from(ca).toString('base64')}
    server: https://10.199.0.10:6443
  name: kubernetes
contexts:
- context: { cluster: kubernetes, user: tls-bootstrap-token-user }
  name: tls-bootstrap-token-user@kubernetes
current-context: tls-bootstrap-token-user@kubernetes
kind: Config
users:
- name: tls-bootstrap-token-user
  user:
    token: ${token}
`;

describe.sequential('kubelet client certificate on the lab clock', () => {
  beforeAll(() => {
    initWithWorker(lab);
  }, 180_000);

  it('today the kubelet starts; 400 days on it exits with the real messages and the node is NotReady', () => {
    expect(lab.run('w1', 'lab-node-sync', ['kubelet-start']).code).toBe(0);
    const later = lab.run('w1', 'lab-node-sync', ['kubelet-start'], LATER);
    expect(later.code).toBe(3);
    expect(lab.read('w1', '/var/log/lab/kubelet.log')).toMatch(
      /^E kubelet bootstrap\.go:266\] part of the existing bootstrap client certificate in \/etc\/kubernetes\/kubelet\.conf is expired: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000 UTC\nE kubelet run\.go:74\] "command failed" err="failed to run Kubelet: unable to load bootstrap kubeconfig: stat \/etc\/kubernetes\/bootstrap-kubelet\.conf: no such file or directory"\n$/,
    );
    expect(kubectl(['get', 'nodes']).stderr).toMatch(/x509: certificate has expired or is not yet valid: current time \S+ is after/);
    expect(lab.run('cp1', 'kubeadm', ['certs', 'renew', 'all'], LATER).code).toBe(0);
    lab.run('w1', 'lab-node-sync', [], LATER);
    const nodes = JSON.parse(kubectl(['get', 'nodes', '-o', 'json']).stdout).items as any[];
    const w1 = nodes.find((n) => n.metadata.name === 'w1');
    expect(w1.status.conditions.find((c: any) => c.type === 'Ready')).toMatchObject({ status: expect.not.stringMatching(/^True$/) });
  });

  it('a wrong token is refused; a valid one bootstraps a new certificate with the same key, valid a year on the lab clock', () => {
    const ca = lab.read('cp1', '/etc/kubernetes/pki/ca.crt');
    lab.write('w1', '/etc/kubernetes/bootstrap-kubelet.conf', bootstrapConf(ca, 'abcdef.0123456789abcdef'));
    expect(lab.run('w1', 'lab-node-sync', ['kubelet-start'], LATER).code).toBe(3);
    expect(lab.read('w1', '/var/log/lab/kubelet.log')).toContain('cannot create certificate signing request: Unauthorized');

    const oldKey = openssl(['pkey', '-pubout', '-in', lab.path('w1', '/var/lib/kubelet/pki/kubelet-client-current.pem')]);
    const token = lab.run('cp1', 'kubeadm', ['token', 'create', '--ttl', '1h'], LATER).stdout.trim();
    lab.write('w1', '/etc/kubernetes/bootstrap-kubelet.conf', bootstrapConf(ca, token));
    expect(lab.run('w1', 'lab-node-sync', ['kubelet-start'], LATER).code).toBe(0);
    const pem = lab.path('w1', '/var/lib/kubelet/pki/kubelet-client-current.pem');
    expect(readlinkSync(pem)).toMatch(/^kubelet-client-\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d\.pem$/);
    expect(openssl(['pkey', '-pubout', '-in', pem])).toBe(oldKey);
    const end = Date.parse(openssl(['x509', '-noout', '-enddate', '-in', pem]).trim().replace('notAfter=', ''));
    expect(Math.abs(end - (Number(LATER.LAB_NOW) + 365 * DAY))).toBeLessThan(10 * 60_000);
    expect(openssl(['x509', '-noout', '-subject', '-in', pem]).trim()).toBe('subject=O = system:nodes, CN = system:node:w1');
    expect(lab.read('w1', '/etc/kubernetes/kubelet.conf')).toContain('client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem');
    expect(lab.run('w1', 'lab-node-sync', ['kubelet-start'], LATER).code).toBe(0); // valid now: nothing to do
  });
});
