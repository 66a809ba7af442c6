// kubeadm config decoding and preflight failures, pinned to kubeadm's wording.
import { beforeAll, describe, expect, it } from 'vitest';
import { Lab, ensureBuilt } from './harness.js';

const lab = new Lab();
const V4 = (cc: string) => `apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n${cc}`;
const TAIL =
  '[preflight] If you know what you are doing, you can make a check non-fatal with `--ignore-preflight-errors=...`\nerror: error execution phase preflight: preflight checks failed\nTo see the stack trace of this error execute with --v=5 or higher';

describe('kubeadm emulator: config and preflight', () => {
  beforeAll(() => {
    ensureBuilt();
    lab.seedKeys(80);
  }, 180_000);

  it('rejects a v1beta3-style extraArgs map in a v1beta4 config', () => {
    lab.host('a', '10.199.0.20');
    lab.write('a', '/root/c.yaml', V4('apiServer:\n  extraArgs:\n    audit-log-maxage: "30"\n'));
    const r = lab.run('a', 'kubeadm', ['init', '--config', '/root/c.yaml']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'error unmarshaling configuration schema.GroupVersionKind{Group:"kubeadm.k8s.io", Version:"v1beta4", Kind:"ClusterConfiguration"}: json: cannot unmarshal object into Go struct field APIServer.apiServer.extraArgs of type []v1beta4.Arg\n',
    );
    expect(lab.exists('a', '/etc/kubernetes/pki')).toBe(false);
  });

  it('accepts the same map in v1beta3, and the list form in v1beta4', () => {
    lab.write(
      'a',
      '/root/v3.yaml',
      'apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\napiServer:\n  extraArgs:\n    audit-log-maxage: "30"\n',
    );
    expect(lab.run('a', 'kubeadm', ['config', 'images', 'list', '--config', '/root/v3.yaml']).code).toBe(0);
    lab.write('a', '/root/v4.yaml', V4('apiServer:\n  extraArgs:\n  - name: audit-log-maxage\n    value: "30"\n'));
    expect(lab.run('a', 'kubeadm', ['config', 'validate', '--config', '/root/v4.yaml']).code).toBe(0);
  });

  it("warns about unknown fields like kubeadm's strict decoder (init) and fails `config validate`", () => {
    lab.write('a', '/root/u.yaml', V4('kubernetesVersion: v1.34.1\napiServer:\n  timeoutForControlPlane: 4m0s\nfoo: bar\n'));
    const list = lab.run('a', 'kubeadm', ['config', 'images', 'list', '--config', '/root/u.yaml']);
    expect(list.code).toBe(0);
    expect(list.stderr).toMatch(
      /^W\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ initconfiguration.go:\d+\] error unmarshaling configuration schema.GroupVersionKind\{Group:"kubeadm.k8s.io", Version:"v1beta4", Kind:"ClusterConfiguration"\}: strict decoding error: unknown field "apiServer.timeoutForControlPlane"$/m,
    );
    const v = lab.run('a', 'kubeadm', ['config', 'validate', '--config', '/root/u.yaml']);
    expect(v.code).toBe(1);
    expect(v.stderr).toContain('strict decoding error: unknown field "foo"');
  });

  it('rejects removed API versions and unknown kinds', () => {
    lab.write('a', '/root/old.yaml', 'apiVersion: kubeadm.k8s.io/v1beta2\nkind: ClusterConfiguration\n');
    expect(lab.run('a', 'kubeadm', ['init', '--config', '/root/old.yaml']).stderr).toContain(
      'your configuration file uses an old API spec: "kubeadm.k8s.io/v1beta2"',
    );
    lab.write('a', '/root/kind.yaml', 'apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfig\n');
    expect(lab.run('a', 'kubeadm', ['init', '--config', '/root/kind.yaml']).stderr).toContain(
      'no kind "ClusterConfig" is registered for version "kubeadm.k8s.io/v1beta4"',
    );
  });

  it('lists the exact images, flattening coredns under a custom repository', () => {
    const d = lab.run('a', 'kubeadm', ['config', 'images', 'list', '--kubernetes-version', 'v1.34.1']);
    expect(d.stdout).toBe(
      ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kube-proxy']
        .map((c) => `registry.k8s.io/${c}:v1.34.1`)
        .concat(['registry.k8s.io/coredns/coredns:v1.12.1', 'registry.k8s.io/pause:3.10.1', 'registry.k8s.io/etcd:3.6.5-0'])
        .join('\n') + '\n',
    );
    const m = lab.run('a', 'kubeadm', [
      'config',
      'images',
      'list',
      '--kubernetes-version',
      '1.35.0',
      '--image-repository',
      'registry.aliyuncs.com/google_containers',
    ]);
    expect(m.stdout).toContain(
      'registry.aliyuncs.com/google_containers/coredns:v1.13.1\nregistry.aliyuncs.com/google_containers/pause:3.10.1\nregistry.aliyuncs.com/google_containers/etcd:3.6.6-0\n',
    );
  });

  it("fails preflight on ip_forward 0, one CPU, port 6443 in use, runtime down, with kubeadm's lines", () => {
    lab.host('b', '10.199.0.21', { runtime: false });
    lab.write('b', '/proc/sys/net/ipv4/ip_forward', '0\n');
    lab.write('b', '/run/fake-nproc', '1\n');
    lab.write(
      'b',
      '/proc/net/tcp',
      '  sl  local_address rem_address   st\n   0: 00000000:192B 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0\n',
    );
    const r = lab.run('b', 'kubeadm', ['init']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      '[preflight] Some fatal errors occurred:\n\t[ERROR NumCPU]: the number of available CPUs 1 is less than the required 2\n\t[ERROR Port-6443]: Port 6443 is in use\n',
    );
    expect(r.stderr).toContain('\t[ERROR CRI]: container runtime is not running: ');
    expect(r.stderr).toContain(
      '\t[ERROR FileContent--proc-sys-net-ipv4-ip_forward]: /proc/sys/net/ipv4/ip_forward contents are not set to 1\n' + TAIL,
    );
    const ignored = lab.run(
      'b',
      'kubeadm',
      ['init', '--ignore-preflight-errors=NumCPU,Port-6443,CRI,FileContent--proc-sys-net-ipv4-ip_forward'],
      { LAB_KUBE_VERSION: 'v1.34.1' },
    );
    expect(ignored.stdout).toContain('\t[WARNING NumCPU]: the number of available CPUs 1 is less than the required 2\n');
  }, 120_000);

  it('fails ImagePull with imagePullPolicy Never, and a second init on FileAvailable', () => {
    lab.host('c', '10.199.0.22', { images: ['registry.k8s.io/pause:3.10.1'] });
    lab.write(
      'c',
      '/root/never.yaml',
      'apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nnodeRegistration:\n  imagePullPolicy: Never\n---\n' +
        V4('kubernetesVersion: v1.34.1\n'),
    );
    const r = lab.run('c', 'kubeadm', ['init', '--config', '/root/never.yaml']);
    expect(r.stderr).toContain(
      '\t[ERROR ImagePull]: image registry.k8s.io/kube-apiserver:v1.34.1 does not exist and the image pull policy is "Never"\n',
    );
    expect(r.stderr).not.toContain('pause:3.10.1 does not exist');
    lab.write('c', '/etc/kubernetes/manifests/kube-apiserver.yaml', 'x');
    const again = lab.run('c', 'kubeadm', ['init', '--kubernetes-version', 'v1.34.1']);
    expect(again.stderr).toContain(
      '\t[ERROR FileAvailable--etc-kubernetes-manifests-kube-apiserver.yaml]: /etc/kubernetes/manifests/kube-apiserver.yaml already exists\n',
    );
  });

  it('warns about swap and then fails waiting for a kubelet that refuses to run with failSwapOn', () => {
    lab.host('d', '10.199.0.23');
    lab.write('d', '/run/fake-swaps', '/swapfile file 1G 0B -2\n');
    const r = lab.run('d', 'kubeadm', ['init', '--kubernetes-version', 'v1.34.1']);
    expect(r.stdout).toContain(
      '\t[WARNING Swap]: swap is supported for cgroup v2 only. The kubelet must be properly configured to use swap. Please refer to https://kubernetes.io/docs/concepts/architecture/nodes/#swap-memory, or disable swap on the node\n',
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "error: error execution phase wait-control-plane: failed while waiting for the kubelet to start: The HTTP call equal to 'curl -sSL http://127.0.0.1:10248/healthz' returned error",
    );
  }, 120_000);

  it('fails the control-plane check when images can neither be found nor pulled and ImagePull was ignored', () => {
    lab.host('e', '10.199.0.24');
    lab.write('e', '/run/fake-offline', '');
    const strict = lab.run('e', 'kubeadm', ['init', '--kubernetes-version', 'v1.34.1']);
    expect(strict.stderr).toContain(
      '\t[ERROR ImagePull]: failed to pull image registry.k8s.io/kube-apiserver:v1.34.1: failed to pull image registry.k8s.io/kube-apiserver:v1.34.1: pull access denied\n',
    );
    const r = lab.run('e', 'kubeadm', ['init', '--kubernetes-version', 'v1.34.1', '--ignore-preflight-errors=ImagePull']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('[control-plane-check] kube-apiserver is not healthy after 4m0.000000000s\n');
    expect(r.stderr).toContain(
      'error: error execution phase wait-control-plane: failed while waiting for the control plane to start: [kube-apiserver check failed at https://10.199.0.24:6443/livez: Get "https://10.199.0.24:6443/livez?timeout=10s": dial tcp 10.199.0.24:6443: connect: connection refused,',
    );
  }, 120_000);

  it('lets the kubelet run with swap on when the KubeletConfiguration sets failSwapOn: false', () => {
    lab.host('f', '10.199.0.25');
    lab.write('f', '/run/fake-swaps', '/swapfile file 1G 0B -2\n');
    lab.write(
      'f',
      '/root/swap.yaml',
      V4('kubernetesVersion: v1.34.1\n') +
        '---\napiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nfailSwapOn: false\nmemorySwap:\n  swapBehavior: LimitedSwap\n',
    );
    const r = lab.run('f', 'kubeadm', ['init', '--config', '/root/swap.yaml']);
    expect(r.stdout).toContain('\t[WARNING Swap]: swap is supported for cgroup v2 only.');
    expect(r.code).toBe(0);
    expect(lab.read('f', '/var/lib/kubelet/config.yaml')).toMatch(/failSwapOn: false\nmemorySwap:\n {2}swapBehavior: LimitedSwap/);
  }, 120_000);
});
