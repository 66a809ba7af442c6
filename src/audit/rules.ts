/**
 * The hazards of hand-built clusters, as pure functions: data read from hosts and the API in, findings out.
 * Each finding names what was seen and the fix kubesmith offers (or the manual step when it offers none).
 */
import { overlaps, parseCidrs } from '../inventory/cidr.js';
import { tryKubeVersion } from '../data/versions.js';
import { oneFinding, type CheckOutcome, type Finding } from '../checks/report.js';
import type { ApiNode, Binding, ClusterConfig } from './api.js';
import type { HostAudit, RepoLine } from './host.js';

const ANONYMOUS = ['system:anonymous', 'system:unauthenticated'];
/** Default bindings that name system:unauthenticated on purpose (bootstrap policy: /version, /healthz …). */
const DEFAULT_PUBLIC = ['system:public-info-viewer', 'system:discovery'];

export function anonymousAdmin(bindings: Binding[]): CheckOutcome {
  const id = 'rbac.anonymous';
  const findings: Finding[] = [];
  for (const b of bindings) {
    const who = b.subjects.filter((s) => (s.kind === 'User' || s.kind === 'Group') && ANONYMOUS.includes(s.name));
    if (!who.length || DEFAULT_PUBLIC.includes(b.name)) continue;
    const admin = b.role === 'cluster-admin';
    findings.push({
      check: id,
      severity: admin ? 'critical' : 'warning',
      message: `ClusterRoleBinding ${b.name} gives ${b.role} to ${who.map((s) => s.name).join(' and ')}${admin ? ': anyone who reaches port 6443 owns the cluster' : ''}`,
      evidence: [
        `clusterrolebinding/${b.name}: roleRef ClusterRole ${b.role}, subjects ${who.map((s) => `${s.kind} ${s.name}`).join(', ')}`,
      ],
      fix: `kubectl delete clusterrolebinding ${b.name}; give tools a ServiceAccount token bound to the narrow role they need`,
    });
  }
  return { id, title: 'RBAC: nothing bound to anonymous or unauthenticated users', findings };
}

export function noEndpoint(config: ClusterConfig, controlPlanes: number): CheckOutcome {
  const id = 'kubeadm.endpoint';
  if (config.controlPlaneEndpoint)
    return { id, title: 'kubeadm: controlPlaneEndpoint set', info: config.controlPlaneEndpoint, findings: [] };
  return {
    id,
    title: 'kubeadm: controlPlaneEndpoint set',
    findings: [
      {
        check: id,
        severity: 'warning',
        message: `no controlPlaneEndpoint: every kubeconfig and kubelet.conf names one control plane's address, so ${controlPlanes > 1 ? 'losing it cuts nodes off the API' : 'no control plane can be added'} without re-issuing certificates and kubeconfigs`,
        evidence: ['kube-system/kubeadm-config ClusterConfiguration has no controlPlaneEndpoint'],
        fix: 'give the cluster a DNS name or VIP (kubernetes.controlPlaneEndpoint, or kube-vip in the inventory) before growing to several control planes; the apiserver certificates, kubeadm-config, cluster-info and every kubeconfig then move to it',
      },
    ],
  };
}

export function subnetOverlap(config: ClusterConfig): CheckOutcome {
  const id = 'network.subnets';
  const title = 'Network: service subnet apart from the pod subnet';
  if (!config.podSubnet || !config.serviceSubnet)
    return { id, title, skipped: 'kubeadm-config names no podSubnet or serviceSubnet', findings: [] };
  const pods = parseCidrs(config.podSubnet);
  const svcs = parseCidrs(config.serviceSubnet);
  const clash = pods.some((p) => svcs.some((s) => overlaps(p, s)));
  if (!clash) return { id, title, info: `pods ${config.podSubnet}, services ${config.serviceSubnet}`, findings: [] };
  return oneFinding(id, title, {
    severity: 'critical',
    message:
      "the service subnet overlaps the pod subnet: ClusterIPs and pod IPs collide, cross-node traffic breaks (the seed runbook's incident 10)",
    evidence: [`podSubnet ${config.podSubnet}, serviceSubnet ${config.serviceSubnet} (kube-system/kubeadm-config)`],
    fix: 'pick disjoint subnets (kubernetes.podSubnet / serviceSubnet, which `kubesmith validate` checks); changing them on a running cluster means re-creating the CNI and every Service: plan a rebuild',
  });
}

/** Legacy package sources: Google's, removed 2024-03-04, and the old Aliyun tree that mirrored it (kubeadm-facts.md §1). */
const DEAD_REPOS: { re: RegExp; what: string; severity: Finding['severity'] }[] = [
  {
    re: /packages\.cloud\.google\.com|apt\.kubernetes\.io|yum\.kubernetes\.io/,
    what: "Google's legacy repository (frozen 2023-09-13, removed 2024-03-04)",
    severity: 'critical',
  },
  {
    re: /mirrors\.aliyun\.com\/kubernetes\/(?!.*kubernetes-new)/,
    what: 'the old Aliyun tree, a frozen mirror of the removed Google repository (no release after 1.28)',
    severity: 'warning',
  },
];

const commentedOut = (l: RepoLine) => /^\s*#/.test(l.text);

export function deadRepos(node: string, lines: RepoLine[]): Finding[] {
  const out: Finding[] = [];
  for (const l of lines.filter((x) => !commentedOut(x))) {
    const hit = DEAD_REPOS.find((d) => d.re.test(l.text));
    if (!hit) continue;
    out.push({
      check: 'packages.repos',
      severity: hit.severity,
      node,
      message: `${l.file} uses ${hit.what}`,
      evidence: [`${l.file}:${l.line}: ${l.text.trim()}`],
      fix: `remove this source; \`kubesmith apply\` writes the pkgs.k8s.io source for kubernetes.version (or packages.mirror) itself`,
    });
  }
  return out;
}

export function swapOn(node: string, h: HostAudit): Finding[] {
  if (!h.swaps.length) return [];
  return [
    {
      check: 'host.swap',
      severity: 'warning',
      node,
      message:
        'swap is on: the kubelet refuses to start with swap unless failSwapOn is false, so the next reboot or kubelet restart can take the node down',
      evidence: [`/proc/swaps: ${h.swaps.join(', ')}`],
      fix: '`kubesmith apply` turns swap off and comments it out of /etc/fstab (host prep)',
    },
  ];
}

/** dockershim's kubelet flags, removed with dockershim in v1.24 (kubeadm-facts.md: dockershim removed in v1.24). */
const DOCKERSHIM_FLAGS = /^--(network-plugin|container-runtime=docker|docker-endpoint|cni-bin-dir|cni-conf-dir)/;

export function dockershim(node: string, h: HostAudit | undefined, api: ApiNode | undefined, targetVersion: string): Finding[] {
  const evidence: string[] = [];
  const flags = (h?.kubeletFlags ?? []).filter((f) => DOCKERSHIM_FLAGS.test(f));
  if (flags.length) evidence.push(`/var/lib/kubelet/kubeadm-flags.env: ${flags.join(' ')}`);
  const socket = api?.annotations['kubeadm.alpha.kubernetes.io/cri-socket'] ?? '';
  if (socket.includes('dockershim')) evidence.push(`node annotation kubeadm.alpha.kubernetes.io/cri-socket: ${socket}`);
  if (!evidence.length) return [];
  const running = tryKubeVersion(api?.kubeletVersion ?? '');
  const target = tryKubeVersion(targetVersion);
  const broken = (running && running.minor >= 24) || (target && target.minor >= 24);
  if (api?.runtime) evidence.push(`runtime ${api.runtime}, kubelet ${api.kubeletVersion}`);
  return [
    {
      check: 'runtime.dockershim',
      severity: broken ? 'critical' : 'warning',
      node,
      message: broken
        ? 'dockershim-era Docker setup on Kubernetes ≥ 1.24: the kubelet no longer has dockershim and refuses these flags'
        : 'Docker through dockershim: upgrading to Kubernetes 1.24 or later removes dockershim and the node stops',
      evidence,
      fix: 'containerRuntime.type: containerd (or docker, which kubesmith runs through cri-dockerd) in the inventory, then `kubesmith apply` rewrites the runtime and the kubelet flags node by node',
    },
  ];
}

/**
 * containerd end of life per minor: containerd RELEASES.md "Current State of containerd Releases" (1.x dates) and
 * /work/shared/reference/kubeadm-facts.md (1.7 LTS until September 2026 — month only, its first day taken — and
 * 2.0 LTS until March 2027). Tentative dates (2.1, 2.2) are not used.
 */
export const CONTAINERD_EOL: Readonly<Record<string, string>> = {
  '1.0': '2018-12-05',
  '1.1': '2019-10-23',
  '1.2': '2020-10-15',
  '1.3': '2021-03-04',
  '1.4': '2022-03-03',
  '1.5': '2023-02-28',
  '1.6': '2025-07-23',
  '1.7': '2026-09-01',
  '2.0': '2027-03-01',
};

export function containerdEol(node: string, h: HostAudit, now: Date): Finding[] {
  if (!h.containerd) return [];
  const minor = /^(\d+\.\d+)/.exec(h.containerd)?.[1] ?? '';
  const eol = CONTAINERD_EOL[minor];
  if (!eol || new Date(`${eol}T00:00:00Z`) > now) return [];
  return [
    {
      check: 'runtime.containerd-eol',
      severity: 'warning',
      node,
      message: `containerd ${h.containerd} is past its end of life (${minor}: ${eol}): no more security fixes`,
      evidence: [`containerd --version: ${h.containerd}`],
      fix: 'upgrade containerd to a supported release (containerd.io 2.x from the Docker repository `kubesmith apply` configures; kubesmith installs containerd where it is missing but does not upgrade an installed one), node by node after `kubectl drain`',
    },
  ];
}
