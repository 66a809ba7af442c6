// kubeadm upgrade with two control planes: apply on the first leaves the addons until `upgrade node` ran on the
// other; a stopped etcd member stops the static pod upgrade; plan warns about mixed API server versions.
import { beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { INIT_CONFIG, Lab, ensureBuilt, flannelDaemonSet, workerJoinArgs } from './harness.js';

const lab = new Lab();
const KC = ['--kubeconfig', '/etc/kubernetes/admin.conf'];
const FLANNEL = 'ghcr.io/flannel-io/flannel:v0.28.9';
const kubectl = (args: string[], input?: string) => lab.run('cp1', 'kubectl', [...KC, ...args], {}, input);
const withKubeadm = (host: string, v: string) =>
  lab.write(host, '/var/lib/lab/pkgdb.json', JSON.stringify({ packages: { kubeadm: { version: `${v}-1.1` } } }));
const image = (host: string, c: string) => /image: (\S+)/.exec(lab.read(host, `/etc/kubernetes/manifests/${c}.yaml`))![1];
const corednsImage = () =>
  kubectl(['-n', 'kube-system', 'get', 'deploy', 'coredns', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']).stdout;

describe.sequential('kubeadm upgrade emulator: two control planes', () => {
  beforeAll(() => {
    ensureBuilt();
    lab.seedKeys();
    lab.env.LAB_KUBE_VERSION = 'v1.33.5';
    lab.host('cp1', '10.199.0.10', { images: [FLANNEL] });
    lab.host('cp2', '10.199.0.12', { images: [FLANNEL] });
    lab.write('cp1', '/root/kubeadm.yaml', INIT_CONFIG.replace('kubernetesVersion: v1.34.1', 'kubernetesVersion: v1.33.5'));
    const init = lab.run('cp1', 'kubeadm', ['init', '--config', '/root/kubeadm.yaml', '--upload-certs']);
    expect(init.code).toBe(0);
    const key = /--certificate-key ([0-9a-f]{64})/.exec(init.stdout)![1]!;
    const join = lab.run('cp2', 'kubeadm', [...workerJoinArgs(init.stdout), '--control-plane', '--certificate-key', key]);
    expect(join.code, join.stderr).toBe(0);
    expect(kubectl(['apply', '-f', '-'], flannelDaemonSet(FLANNEL)).code).toBe(0);
    for (const h of ['cp1', 'cp2']) lab.run(h, 'lab-node-sync', []);
    expect(kubectl(['get', 'nodes']).stdout).toMatch(/cp1 +Ready .*\ncp2 +Ready /);
  }, 180_000);

  it('upgrades the first control plane and leaves the addons while cp2 still runs 1.33', () => {
    withKubeadm('cp1', '1.34.2');
    const r = lab.run('cp1', 'kubeadm', ['upgrade', 'apply', 'v1.34.2', '-y']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      '[upgrade/addon] Skipping upgrade of addons because control plane instances [cp2] have not been upgraded\n[upgrade/addon] Skipping upgrade of addons because control plane instances [cp2] have not been upgraded\n',
    );
    expect(corednsImage()).toBe('registry.k8s.io/coredns/coredns:v1.12.0');
    expect(image('cp1', 'kube-apiserver')).toBe('registry.k8s.io/kube-apiserver:v1.34.2');
    expect(image('cp2', 'kube-apiserver')).toBe('registry.k8s.io/kube-apiserver:v1.33.5');
    const pod = kubectl(['-n', 'kube-system', 'get', 'pod', 'kube-apiserver-cp2', '-o', 'jsonpath={.spec.containers[0].image}']);
    expect(pod.stdout).toBe('registry.k8s.io/kube-apiserver:v1.33.5');
    const plan = lab.run('cp1', 'kubeadm', ['upgrade', 'plan']);
    expect(plan.stderr).toMatch(
      /compute\.go:93\] Different API server versions in the cluster were discovered: v1\.34\.2 on nodes \[cp1\], v1\.33\.5 on nodes \[cp2\]\. Please upgrade your control plane nodes to the same version of Kubernetes/,
    );
  });

  it('stops before touching etcd when a member does not answer', () => {
    rmSync(lab.path('cp2', '/run/fake-systemd/kubelet.active')); // cp2's kubelet (and so its etcd pod) stopped
    lab.run('cp2', 'lab-node-sync', []);
    const health = lab.run('cp1', 'kubeadm', ['upgrade', 'apply', 'v1.34.2', '-y']);
    expect(health.stderr).toContain('[ERROR ControlPlaneNodesReady]: there are NotReady control-planes in the cluster: [cp2]');
    const before = lab.read('cp1', '/etc/kubernetes/manifests/etcd.yaml');
    const r = lab.run('cp1', 'kubeadm', ['upgrade', 'apply', 'v1.34.2', '-y', '--ignore-preflight-errors=ControlPlaneNodesReady']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "error: error execution phase control-plane: couldn't complete the static pod upgrade: failed to retrieve the current etcd version: context deadline exceeded",
    );
    expect(lab.read('cp1', '/etc/kubernetes/manifests/etcd.yaml')).toBe(before);
    lab.write('cp2', '/run/fake-systemd/kubelet.active', '');
    lab.run('cp2', 'lab-node-sync', []);
  });

  it('upgrade node killed after its control-plane phase leaves the addons behind (a phase fault)', () => {
    withKubeadm('cp2', '1.34.2');
    lab.write('cp2', '/var/lib/lab/faults/kubeadm.after-control-plane', '1 fail\n');
    const r = lab.run('cp2', 'kubeadm', ['upgrade', 'node']);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain('[upgrade/control-plane] The control plane instance for this node was successfully upgraded!');
    expect(r.stdout).not.toContain('[upgrade/kubeconfig]');
    expect(image('cp2', 'kube-apiserver')).toBe('registry.k8s.io/kube-apiserver:v1.34.2');
    expect(corednsImage()).not.toBe('registry.k8s.io/coredns/coredns:v1.12.1');
  });

  it('upgrade node on the second control plane (again after the kill) takes it to the cluster version and moves the addons', () => {
    withKubeadm('cp2', '1.34.2');
    const r = lab.run('cp2', 'kubeadm', ['upgrade', 'node']);
    expect(r.code, r.stderr).toBe(0);
    // the killed run moved the new manifests already: this one finds them equal and runs the phases after it
    expect(r.stdout).toContain('[upgrade/staticpods] Current and new manifests of kube-apiserver are equal, skipping upgrade');
    expect(r.stdout).toContain('[addons] Applied essential addon: CoreDNS\n[addons] Applied essential addon: kube-proxy\n');
    expect(image('cp2', 'kube-apiserver')).toBe('registry.k8s.io/kube-apiserver:v1.34.2');
    expect(image('cp2', 'etcd')).toBe('registry.k8s.io/etcd:3.6.5-0');
    expect(corednsImage()).toBe('registry.k8s.io/coredns/coredns:v1.12.1');
    expect(lab.run('cp1', 'kubeadm', ['upgrade', 'plan']).stderr).not.toContain('Different API server versions');
  });
});
