/**
 * The cluster API as `audit` and `doctor` read it: kubectl with admin.conf on a control plane, over the SSH
 * connection kubesmith holds, every call read-only and batched. Shapes: test/fixtures/real/kubectl.
 */
import { parse } from 'yaml';
import { kubectl } from '../tasks/common/cluster.js';
import { lookups, run } from '../transport/lookups.js';
import type { Transport } from '../transport/types.js';

export interface Subject {
  kind: string;
  name: string;
  namespace?: string;
}

export interface Binding {
  name: string;
  role: string;
  subjects: Subject[];
}

export interface ApiNode {
  name: string;
  internalIPs: string[];
  kubeletVersion: string;
  /** containerd://1.6.20, docker://20.10.7 … */
  runtime: string;
  annotations: Record<string, string>;
  conditions: { type: string; status: string; reason: string; message: string }[];
  podCIDRs: string[];
}

export interface ClusterConfig {
  controlPlaneEndpoint?: string;
  podSubnet?: string;
  serviceSubnet?: string;
  kubernetesVersion?: string;
}

interface BindingJson {
  metadata?: { name?: string };
  roleRef?: { name?: string };
  subjects?: { kind?: string; name?: string; namespace?: string }[];
}

interface NodeJson {
  metadata?: { name?: string; annotations?: Record<string, string> };
  spec?: { podCIDR?: string; podCIDRs?: string[] };
  status?: {
    addresses?: { type?: string; address?: string }[];
    nodeInfo?: { kubeletVersion?: string; containerRuntimeVersion?: string };
    conditions?: { type?: string; status?: string; reason?: string; message?: string }[];
  };
}

export const itemsOf = <T>(json: string): T[] => (JSON.parse(json) as { items?: T[] }).items ?? [];

/** `kubectl get clusterrolebindings -o json` → the bindings (name, role, subjects). */
export function parseBindings(json: string): Binding[] {
  return itemsOf<BindingJson>(json).map((b) => ({
    name: String(b.metadata?.name ?? ''),
    role: String(b.roleRef?.name ?? ''),
    subjects: (b.subjects ?? []).map((s) => ({
      kind: String(s.kind),
      name: String(s.name),
      ...(s.namespace ? { namespace: String(s.namespace) } : {}),
    })),
  }));
}

/** `kubectl get nodes -o json` → what the checks need of each node. */
export function parseApiNodes(json: string): ApiNode[] {
  return itemsOf<NodeJson>(json).map((n) => ({
    name: String(n.metadata?.name ?? ''),
    internalIPs: (n.status?.addresses ?? []).filter((a) => a.type === 'InternalIP').map((a) => String(a.address)),
    kubeletVersion: String(n.status?.nodeInfo?.kubeletVersion ?? ''),
    runtime: String(n.status?.nodeInfo?.containerRuntimeVersion ?? ''),
    annotations: n.metadata?.annotations ?? {},
    conditions: (n.status?.conditions ?? []).map((c) => ({
      type: String(c.type),
      status: String(c.status),
      reason: String(c.reason ?? ''),
      message: String(c.message ?? ''),
    })),
    podCIDRs: (n.spec?.podCIDRs ?? (n.spec?.podCIDR ? [n.spec.podCIDR] : [])).map(String),
  }));
}

/** The ClusterConfiguration kubeadm keeps in kube-system/kubeadm-config (`-o json` of the ConfigMap). */
export function parseKubeadmConfig(json: string): ClusterConfig {
  const cm = JSON.parse(json) as { data?: Record<string, string> };
  const cc = (parse(cm.data?.ClusterConfiguration ?? '') ?? {}) as {
    controlPlaneEndpoint?: string;
    kubernetesVersion?: string;
    networking?: { podSubnet?: string; serviceSubnet?: string };
  };
  const out: ClusterConfig = {};
  if (cc.controlPlaneEndpoint) out.controlPlaneEndpoint = String(cc.controlPlaneEndpoint);
  if (cc.networking?.podSubnet) out.podSubnet = String(cc.networking.podSubnet);
  if (cc.networking?.serviceSubnet) out.serviceSubnet = String(cc.networking.serviceSubnet);
  if (cc.kubernetesVersion) out.kubernetesVersion = String(cc.kubernetesVersion);
  return out;
}

export interface ApiAudit {
  bindings: Binding[];
  nodes: ApiNode[];
  config: ClusterConfig;
}

/** One round trip on a control plane; throws with kubectl's own words when the API does not answer. */
export async function readApiAudit(t: Transport): Promise<ApiAudit> {
  const [crb, nodes, cm] = await lookups(
    t,
    [
      run(kubectl('get', 'clusterrolebindings', '-o', 'json')),
      run(kubectl('get', 'nodes', '-o', 'json')),
      run(kubectl('-n', 'kube-system', 'get', 'configmap', 'kubeadm-config', '-o', 'json')),
    ],
    { timeoutMs: 90_000 },
  );
  for (const [what, r] of [
    ['clusterrolebindings', crb],
    ['nodes', nodes],
    ['kube-system/kubeadm-config', cm],
  ] as const) {
    if (r.code !== 0) throw new Error(`kubectl get ${what} on ${t.host} exited ${r.code}`);
  }
  return { bindings: parseBindings(crb.stdout), nodes: parseApiNodes(nodes.stdout), config: parseKubeadmConfig(cm.stdout) };
}
