// kubeadm refuses a control-plane join to a cluster initialized without controlPlaneEndpoint, as the real one does
// (kubernetes/kubernetes cmd/kubeadm/app/cmd/phases/join/preflight.go checkIfReadyForAdditionalControlPlane), and
// registers a node with the taints and --node-labels of its nodeRegistration.
import { beforeAll, describe, expect, it } from 'vitest';
import { INIT_CONFIG, Lab, ensureBuilt, opensslCaHash } from './harness.js';

const lab = new Lab();
let token = '';
let certKey = '';
let hash = '';

describe.sequential('kubeadm emulator: a cluster without a shared endpoint', () => {
  beforeAll(() => {
    ensureBuilt();
    lab.seedKeys();
    for (const [name, ip] of Object.entries({ cp1: '10.199.0.10', cp2: '10.199.0.12', w1: '10.199.0.11' })) lab.host(name, ip);
    lab.write('cp1', '/root/kubeadm.yaml', INIT_CONFIG.replace('controlPlaneEndpoint: k8s-api.lab:6443\n', ''));
    const r = lab.run('cp1', 'kubeadm', ['init', '--config', '/root/kubeadm.yaml', '--upload-certs']);
    expect(r.code, r.stderr).toBe(0);
    token = /--token ([a-z0-9]{6}\.[a-z0-9]{16})/.exec(r.stdout)![1]!;
    certKey = /--certificate-key ([0-9a-f]{64})/.exec(r.stdout)?.[1] ?? '0'.repeat(64);
    hash = opensslCaHash(lab.path('cp1', '/etc/kubernetes/pki/ca.crt'));
  }, 180_000);

  it('refuses the control-plane join naming the missing stable controlPlaneEndpoint', () => {
    const r = lab.run('cp2', 'kubeadm', [
      'join',
      '10.199.0.10:6443',
      '--token',
      token,
      '--discovery-token-ca-cert-hash',
      hash,
      '--control-plane',
      '--certificate-key',
      certKey,
    ]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      "unable to add a new control plane instance to a cluster that doesn't have a stable controlPlaneEndpoint address",
    );
  });

  it('a worker joins at the first control plane with its taints and the labels its kubelet may set', () => {
    lab.write(
      'w1',
      '/root/join.yaml',
      `apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\ndiscovery:\n  bootstrapToken:\n    apiServerEndpoint: 10.199.0.10:6443\n    token: ${token}\n    caCertHashes: [${hash}]\nnodeRegistration:\n  name: w1\n  kubeletExtraArgs:\n  - name: node-ip\n    value: 10.199.0.11\n  - name: node-labels\n    value: disk=ssd,node.kubernetes.io/pool=a\n  taints: [{key: example.com/gpu, value: "true", effect: NoSchedule}]\n`,
    );
    const r = lab.run('w1', 'kubeadm', ['join', '--config', '/root/join.yaml']);
    expect(r.code, r.stderr).toBe(0);
    const node = JSON.parse(
      lab.run('cp1', 'kubectl', ['--kubeconfig', '/etc/kubernetes/admin.conf', 'get', 'node', 'w1', '-o', 'json']).stdout,
    );
    expect(node.metadata.labels).toMatchObject({ disk: 'ssd', 'node.kubernetes.io/pool': 'a', 'kubernetes.io/hostname': 'w1' });
    expect(node.spec.taints).toEqual([{ key: 'example.com/gpu', value: 'true', effect: 'NoSchedule' }]);
    expect(node.status.capacity.pods).toBe('110');
  });
});
