// Moving a cluster without controlPlaneEndpoint to a kube-vip VIP, step by step on the emulators, and what each missing
// step does, as with the real tools: a VIP nobody holds refuses connections; an API server certificate without the
// VIP fails TLS (Go's x509 HostnameError text); kubeadm keeps an existing apiserver pair and refuses it when it lacks
// a SAN the configuration asks for (certs.go validateCertificateWithConfig); a kubelet whose kubelet.conf points at an
// address that does not verify posts no status (NotReady); a join takes its kubelet's server from cluster-info.
import { renameSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Lab, ensureBuilt, opensslCaHash } from './harness.js';

const lab = new Lab();
const VIP = '10.199.0.200';
const ADMIN = ['--kubeconfig', '/etc/kubernetes/admin.conf'];
const KUBE_VIP = `apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-vip\n  namespace: kube-system\nspec:\n  containers:\n    - name: kube-vip\n      image: ghcr.io/kube-vip/kube-vip:v0.8.9\n      env:\n        - name: port\n          value: "6443"\n        - name: address\n          value: ${VIP}\n`;
const INIT = `apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: 10.199.0.10
nodeRegistration:
  name: cp1
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: v1.34.1
networking:
  podSubnet: 10.244.0.0/16
`;
const MOVED = INIT.replace('kubernetesVersion: v1.34.1\n', `kubernetesVersion: v1.34.1\ncontrolPlaneEndpoint: ${VIP}:6443\n`);

const kubectl = (host: string, ...args: string[]) => lab.run(host, 'kubectl', [...ADMIN, ...args]);
const ready = (node: string) =>
  JSON.parse(kubectl('cp1', 'get', 'node', node, '-o', 'json').stdout).status.conditions.find((c: any) => c.type === 'Ready').status;
const setServer = (host: string, file: string, server: string) =>
  lab.write(host, file, lab.read(host, file).replace(/server: \S+/, `server: ${server}`));

describe.sequential('emulators: moving the API endpoint to a kube-vip VIP', () => {
  let token = '';
  let hash = '';

  beforeAll(() => {
    ensureBuilt();
    lab.seedKeys();
    for (const [name, ip] of Object.entries({ cp1: '10.199.0.10', w1: '10.199.0.11', w2: '10.199.0.12' })) lab.host(name, ip);
    lab.write('cp1', '/root/kubeadm.yaml', INIT);
    const init = lab.run('cp1', 'kubeadm', ['init', '--config', '/root/kubeadm.yaml']);
    expect(init.code, init.stderr).toBe(0);
    token = /--token ([a-z0-9]{6}\.[a-z0-9]{16})/.exec(init.stdout)![1]!;
    hash = opensslCaHash(lab.path('cp1', '/etc/kubernetes/pki/ca.crt'));
    const joined = lab.run('w1', 'kubeadm', ['join', '10.199.0.10:6443', '--token', token, '--discovery-token-ca-cert-hash', hash]);
    expect(joined.code, joined.stderr).toBe(0);
  }, 180_000);

  it('init writes cluster-info and kube-proxy kubeconfigs at the first control plane', () => {
    const info = kubectl('cp1', '-n', 'kube-public', 'get', 'cm', 'cluster-info', '-o', 'jsonpath={.data.kubeconfig}');
    expect(info.stdout).toContain('server: https://10.199.0.10:6443');
    const proxy = kubectl('cp1', '-n', 'kube-system', 'get', 'cm', 'kube-proxy', '-o', 'jsonpath={.data.kubeconfig\\.conf}');
    expect(proxy.stdout).toContain('server: https://10.199.0.10:6443');
  });

  it('a VIP no kube-vip holds refuses the connection', () => {
    const r = kubectl('cp1', '--server', `https://${VIP}:6443`, 'get', '--raw', '/readyz');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`The connection to the server ${VIP}:6443 was refused`);
  });

  it('once kube-vip holds it, TLS fails while the API server certificate lacks the VIP', () => {
    lab.write('cp1', '/etc/kubernetes/manifests/kube-vip.yaml', KUBE_VIP);
    expect(lab.run('cp1', 'lab-node-sync', []).code).toBe(0);
    const r = kubectl('cp1', '--server', `https://${VIP}:6443`, 'get', '--raw', '/readyz');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        `^Unable to connect to the server: tls: failed to verify certificate: x509: certificate is valid for 10\\.96\\.0\\.1, 10\\.199\\.0\\.10, not ${VIP.replace(/\./g, '\\.')}`,
      ),
    );
  });

  it('kubeadm init phase certs apiserver keeps a pair in place and refuses it when it lacks a configured SAN', () => {
    lab.write('cp1', '/root/moved.yaml', MOVED);
    const r = lab.run('cp1', 'kubeadm', ['init', 'phase', 'certs', 'apiserver', '--config', '/root/moved.yaml']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `error execution phase certs/apiserver: certificate apiserver is invalid: x509: certificate is valid for 10.96.0.1, 10.199.0.10, not ${VIP}`,
    );
  });

  it('with the old pair moved away it issues one naming the VIP, and the VIP then answers', () => {
    for (const f of ['apiserver.crt', 'apiserver.key'])
      renameSync(lab.path('cp1', `/etc/kubernetes/pki/${f}`), lab.path('cp1', `/root/${f}`));
    const r = lab.run('cp1', 'kubeadm', ['init', 'phase', 'certs', 'apiserver', '--config', '/root/moved.yaml']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('[certs] Generating "apiserver" certificate and key');
    expect(r.stdout).toMatch(
      new RegExp(
        `apiserver serving cert is signed for DNS names \\[cp1 kubernetes .*\\] and IPs \\[10\\.96\\.0\\.1 10\\.199\\.0\\.10 ${VIP.replace(/\./g, '\\.')}\\]`,
      ),
    );
    expect(kubectl('cp1', '--server', `https://${VIP}:6443`, 'get', '--raw', '/readyz').stdout).toBe('ok');
  });

  // no CNI runs here: a posting kubelet reports Ready False (network not ready), a silent one leaves it Unknown
  it('a kubelet whose kubelet.conf server does not answer posts no status; through the VIP it posts again', () => {
    const posting = ready('w1');
    expect(posting).not.toBe('Unknown');
    setServer('w1', '/etc/kubernetes/kubelet.conf', 'https://10.199.0.250:6443');
    lab.run('w1', 'lab-node-sync', []);
    expect(ready('w1')).toBe('Unknown');
    expect(lab.read('w1', '/var/log/lab/kubelet.log')).toContain('dial tcp 10.199.0.250:6443: connect: connection refused');
    setServer('w1', '/etc/kubernetes/kubelet.conf', `https://${VIP}:6443`);
    lab.run('w1', 'lab-node-sync', []);
    expect(ready('w1')).toBe(posting);
  });

  it("a joining node's kubelet takes cluster-info's server, not the address it joined through", () => {
    const cm = JSON.parse(kubectl('cp1', '-n', 'kube-public', 'get', 'cm', 'cluster-info', '-o', 'json').stdout);
    cm.data.kubeconfig = cm.data.kubeconfig.replace('https://10.199.0.10:6443', `https://${VIP}:6443`);
    const applied = lab.run('cp1', 'kubectl', [...ADMIN, 'apply', '-f', '-'], {}, JSON.stringify(cm));
    expect(applied.code, applied.stderr).toBe(0);
    const r = lab.run('w2', 'kubeadm', ['join', '10.199.0.10:6443', '--token', token, '--discovery-token-ca-cert-hash', hash]);
    expect(r.code, r.stderr).toBe(0);
    expect(lab.read('w2', '/etc/kubernetes/kubelet.conf')).toContain(`server: https://${VIP}:6443`);
  });
});
