/** audit's parsers on the recorded samples of test/fixtures/real, and each hazard rule on them (found, and not found). */
import { describe, expect, it } from 'vitest';
import { parseApiNodes, parseBindings, parseKubeadmConfig } from '../../../src/audit/api.js';
import { parseAddresses, parseGrepLines, parseKubeadmFlags, parseProcSwaps, type HostAudit } from '../../../src/audit/host.js';
import { anonymousAdmin, containerdEol, deadRepos, dockershim, noEndpoint, subnetOverlap, swapOn } from '../../../src/audit/rules.js';
import { parseContainerdVersion } from '../../../src/tasks/runtime/containerd-configure.js';
import { real } from '../fixtures-real/real.js';

const host = (over: Partial<HostAudit> = {}): HostAudit => ({
  swaps: [],
  repoLines: [],
  kubeletFlags: [],
  addresses: ['10.199.0.12'],
  hostname: 'w1',
  ...over,
});

describe('audit parsers on real samples', () => {
  it('reads /proc/swaps, grep -rHn lines, kubeadm-flags.env, ip -o addr', () => {
    expect(parseProcSwaps(real('proc', 'swaps.txt'))).toEqual(['/swap.img']);
    expect(parseProcSwaps(real('proc', 'swaps-none.txt'))).toEqual([]);
    const lines = parseGrepLines(real('grep', 'repo-lines.txt'));
    expect(lines).toContainEqual({
      file: '/etc/apt/sources.list.d/kubernetes.list',
      line: 1,
      text: 'deb https://mirrors.aliyun.com/kubernetes/apt/ kubernetes-xenial main',
    });
    expect(lines.filter((l) => l.file === '/etc/yum.repos.d/kubernetes.repo').map((l) => l.line)).toEqual([1, 3]);
    expect(parseGrepLines(real('grep', 'repo-lines-no-yum.txt'))).toHaveLength(3);
    expect(parseKubeadmFlags(real('kubeadm', 'kubeadm-flags-env-dockershim.txt'))).toEqual([
      '--cgroup-driver=systemd',
      '--network-plugin=cni',
      '--pod-infra-container-image=k8s.gcr.io/pause:3.2',
    ]);
    expect(parseAddresses(real('ip', 'addr-show-o.txt'))).toEqual(['10.199.0.12', 'fd00:199::12', '192.168.50.12', '10.244.1.0']);
  });

  it('reads bindings, nodes and the kubeadm ClusterConfiguration from kubectl -o json', () => {
    const b = parseBindings(real('kubectl', 'get-clusterrolebindings-o-json.json'));
    expect(b.find((x) => x.name === 'test:anonymous')).toEqual({
      name: 'test:anonymous',
      role: 'cluster-admin',
      subjects: [{ kind: 'User', name: 'system:anonymous' }],
    });
    const nodes = parseApiNodes(real('kubectl', 'get-nodes-flannel-o-json.json'));
    expect(nodes.map((n) => [n.name, n.internalIPs, n.runtime])).toEqual([
      ['cp1', ['10.199.0.10'], 'containerd://1.6.20'],
      ['w1', ['10.199.0.12'], 'containerd://1.6.20'],
    ]);
    expect(parseKubeadmConfig(real('kubectl', 'get-cm-kubeadm-config-o-json.json'))).toEqual({
      podSubnet: '10.244.0.0/16',
      serviceSubnet: '10.96.0.0/12',
      kubernetesVersion: 'v1.34.1',
    });
  });
});

describe('audit rules', () => {
  it('the seed runbook anonymous cluster-admin binding is CRITICAL; the default bindings are not findings', () => {
    const bindings = parseBindings(real('kubectl', 'get-clusterrolebindings-o-json.json'));
    const out = anonymousAdmin(bindings);
    expect(out.findings).toHaveLength(1);
    expect(out.findings[0]).toMatchObject({
      severity: 'critical',
      message: expect.stringContaining('test:anonymous gives cluster-admin to system:anonymous'),
    });
    expect(out.findings[0]!.fix).toContain('kubectl delete clusterrolebinding test:anonymous');
    expect(anonymousAdmin(bindings.filter((b) => b.name !== 'test:anonymous')).findings).toEqual([]);
    const publicInfo = {
      name: 'system:public-info-viewer',
      role: 'system:public-info-viewer',
      subjects: [{ kind: 'Group', name: 'system:unauthenticated' }],
    };
    expect(anonymousAdmin([publicInfo]).findings).toEqual([]);
    const viewer = { name: 'open-view', role: 'view', subjects: [{ kind: 'Group', name: 'system:unauthenticated' }] };
    expect(anonymousAdmin([viewer]).findings[0]?.severity).toBe('warning');
  });

  it('no controlPlaneEndpoint is a WARNING; with one, none', () => {
    const cc = parseKubeadmConfig(real('kubectl', 'get-cm-kubeadm-config-o-json.json'));
    expect(noEndpoint(cc, 1).findings[0]).toMatchObject({
      severity: 'warning',
      evidence: [expect.stringContaining('no controlPlaneEndpoint')],
    });
    expect(noEndpoint({ ...cc, controlPlaneEndpoint: 'k8s.example.com:6443' }, 1).findings).toEqual([]);
  });

  it('a service subnet inside the pod subnet (incident 10) is CRITICAL; disjoint subnets pass', () => {
    const cc = parseKubeadmConfig(real('kubectl', 'get-cm-kubeadm-config-o-json.json'));
    expect(subnetOverlap(cc).findings).toEqual([]);
    const clash = subnetOverlap({ podSubnet: '172.200.0.0/16', serviceSubnet: '172.200.0.0/24' });
    expect(clash.findings[0]).toMatchObject({
      severity: 'critical',
      evidence: ['podSubnet 172.200.0.0/16, serviceSubnet 172.200.0.0/24 (kube-system/kubeadm-config)'],
    });
  });

  it("Google's removed repository is CRITICAL, the old Aliyun tree a WARNING, commented lines and pkgs.k8s.io nothing", () => {
    const found = deadRepos('w1', parseGrepLines(real('grep', 'repo-lines.txt')));
    expect(found.map((f) => [f.severity, f.evidence[0]])).toEqual([
      ['warning', '/etc/apt/sources.list.d/kubernetes.list:1: deb https://mirrors.aliyun.com/kubernetes/apt/ kubernetes-xenial main'],
      ['critical', '/etc/yum.repos.d/kubernetes.repo:3: baseurl=https://packages.cloud.google.com/yum/repos/kubernetes-el7-x86_64'],
    ]);
    const newAliyun = [
      { file: '/etc/apt/sources.list.d/k.list', line: 1, text: 'deb https://mirrors.aliyun.com/kubernetes-new/core/stable/v1.34/deb/ /' },
    ];
    expect(deadRepos('w1', newAliyun)).toEqual([]);
  });

  it('swap on is a WARNING naming the area', () => {
    expect(swapOn('w1', host({ swaps: parseProcSwaps(real('proc', 'swaps.txt')) }))[0]?.evidence).toEqual(['/proc/swaps: /swap.img']);
    expect(swapOn('w1', host())).toEqual([]);
  });

  it('dockershim flags: CRITICAL on 1.24+, WARNING before; none with containerd flags', () => {
    const flags = parseKubeadmFlags(real('kubeadm', 'kubeadm-flags-env-dockershim.txt'));
    const old = {
      ...parseApiNodes(real('kubectl', 'get-nodes-flannel-o-json.json'))[1]!,
      kubeletVersion: 'v1.20.15',
      runtime: 'docker://19.3.15',
    };
    expect(dockershim('w1', host({ kubeletFlags: flags }), old, '1.20.15')[0]?.severity).toBe('warning');
    expect(dockershim('w1', host({ kubeletFlags: flags }), old, '1.34.1')[0]?.severity).toBe('critical');
    const modern = parseKubeadmFlags(real('kubeadm', 'kubeadm-flags-env.txt'));
    expect(dockershim('w1', host({ kubeletFlags: modern }), undefined, '1.34.1')).toEqual([]);
  });

  it('containerd past its end of life (RELEASES.md dates) is a WARNING; a supported one is not', () => {
    const v = parseContainerdVersion(real('containerd', 'version.txt'))!;
    expect(v).toBe('1.6.20');
    const now = new Date('2026-12-07T00:00:00Z');
    expect(containerdEol('w1', host({ containerd: v }), now)[0]?.message).toContain('1.6: 2025-07-23');
    expect(containerdEol('w1', host({ containerd: v }), new Date('2025-01-01T00:00:00Z'))).toEqual([]);
    expect(containerdEol('w1', host({ containerd: parseContainerdVersion(real('containerd', 'version-2.2.1.txt'))! }), now)).toEqual([]);
  });
});
