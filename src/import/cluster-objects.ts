/**
 * The cluster's API objects as `kubesmith import` reads them (`kubectl get … -o json`): nodes, the kubeadm-config,
 * kubelet-config and kube-proxy ConfigMaps, DaemonSets. Pure parsing; each function names what it could not read.
 */
import { parse } from 'yaml';

export interface ImportedNode {
  name: string;
  internalIP?: string | undefined;
  internalIP6?: string | undefined;
  controlPlane: boolean;
  /** The control-plane NoSchedule taint (kubeadm's default on control planes). */
  controlPlaneTaint: boolean;
  labels: Record<string, string>;
  taints: { key: string; value?: string | undefined; effect: string }[];
  kubeletVersion: string;
  /** "containerd://2.1.4", "docker://28.5.2" (status.nodeInfo.containerRuntimeVersion). */
  runtime: string;
  criSocket?: string | undefined;
}

interface K8sList<T> {
  items?: T[];
}

interface NodeJson {
  metadata?: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: { taints?: { key: string; value?: string; effect: string }[] };
  status?: {
    addresses?: { type: string; address: string }[];
    nodeInfo?: { kubeletVersion?: string; containerRuntimeVersion?: string };
  };
}

interface ContainerJson {
  name?: string;
  image?: string;
  args?: string[];
  command?: string[];
}

interface DaemonSetJson {
  metadata?: { name?: string; namespace?: string };
  spec?: { template?: { spec?: { containers?: ContainerJson[] } } };
}

/** kubeadm's extraArgs: a map (v1beta3) or a list of {name, value} (v1beta4). */
type ExtraArgs = Record<string, string> | { name: string; value: string }[];

/** The ClusterConfiguration fields import reads (v1beta3 and v1beta4 agree on them). */
export interface ClusterConfiguration {
  kubernetesVersion?: string;
  clusterName?: string;
  controlPlaneEndpoint?: string;
  imageRepository?: string;
  networking?: { podSubnet?: string; serviceSubnet?: string; dnsDomain?: string };
  apiServer?: { certSANs?: string[]; extraArgs?: ExtraArgs };
  controllerManager?: { extraArgs?: ExtraArgs };
  scheduler?: { extraArgs?: ExtraArgs };
  etcd?: { local?: { dataDir?: string }; external?: unknown };
}

export const hasExtraArgs = (a: ExtraArgs | undefined): boolean => (Array.isArray(a) ? a.length > 0 : Object.keys(a ?? {}).length > 0);

const CP_ROLE_LABELS = ['node-role.kubernetes.io/control-plane', 'node-role.kubernetes.io/master'];
const CP_TAINT_KEYS = CP_ROLE_LABELS;
/** Labels the kubelet and kubeadm set themselves: never carried into the inventory. */
const managedLabel = (key: string): boolean =>
  CP_ROLE_LABELS.includes(key) ||
  key === 'node.kubernetes.io/exclude-from-external-load-balancers' ||
  (/(^|\.)(kubernetes\.io|k8s\.io)\//.test(key) && !key.startsWith('node-role.kubernetes.io/'));
/** Taints the node controller sets (not-ready, unreachable, unschedulable …). */
const automaticTaint = (key: string): boolean =>
  key.startsWith('node.kubernetes.io/') || key.startsWith('node.cloudprovider.kubernetes.io/');

export function parseNodes(json: string): ImportedNode[] {
  const list = JSON.parse(json) as K8sList<NodeJson>;
  return (list.items ?? []).map((n) => {
    const labels: Record<string, string> = n.metadata?.labels ?? {};
    const ips = (n.status?.addresses ?? []).filter((a) => a.type === 'InternalIP').map((a) => String(a.address));
    const taints: ImportedNode['taints'] = (n.spec?.taints ?? []).map((t) => ({
      key: String(t.key),
      ...(t.value ? { value: String(t.value) } : {}),
      effect: String(t.effect),
    }));
    const controlPlane = CP_ROLE_LABELS.some((l) => l in labels);
    return {
      name: String(n.metadata?.name),
      internalIP: ips.find((ip) => !ip.includes(':')),
      internalIP6: ips.find((ip) => ip.includes(':')),
      controlPlane,
      controlPlaneTaint: taints.some((t) => CP_TAINT_KEYS.includes(t.key) && t.effect === 'NoSchedule'),
      labels: Object.fromEntries(Object.entries(labels).filter(([k]) => !managedLabel(k))),
      taints: taints.filter((t) => !(controlPlane && CP_TAINT_KEYS.includes(t.key)) && !automaticTaint(t.key)),
      kubeletVersion: String(n.status?.nodeInfo?.kubeletVersion ?? ''),
      runtime: String(n.status?.nodeInfo?.containerRuntimeVersion ?? ''),
      criSocket: n.metadata?.annotations?.['kubeadm.alpha.kubernetes.io/cri-socket'],
    };
  });
}

/** A ConfigMap's data key parsed as YAML (kubeadm stores its component configurations that way); undefined when absent. */
export function configMapYaml<T = Record<string, unknown>>(json: string | null, key: string): T | undefined {
  if (!json) return undefined;
  const text = (JSON.parse(json) as { data?: Record<string, string> }).data?.[key];
  if (text === undefined) return undefined;
  return (parse(text) ?? {}) as T;
}

export function configMapData(json: string | null): Record<string, string> | undefined {
  if (!json) return undefined;
  return (JSON.parse(json) as { data?: Record<string, string> }).data ?? {};
}

export interface ImportedDaemonSet {
  namespace: string;
  name: string;
  containers: { name: string; image: string; args: string[]; command: string[] }[];
}

export function parseDaemonSets(json: string): ImportedDaemonSet[] {
  const list = JSON.parse(json) as K8sList<DaemonSetJson>;
  return (list.items ?? []).map((d) => ({
    namespace: String(d.metadata?.namespace ?? ''),
    name: String(d.metadata?.name ?? ''),
    containers: (d.spec?.template?.spec?.containers ?? []).map((c) => ({
      name: String(c.name ?? ''),
      image: String(c.image ?? ''),
      args: (c.args ?? []).map(String),
      command: (c.command ?? []).map(String),
    })),
  }));
}

/** "ghcr.io/flannel-io/flannel:v0.28.9" → "0.28.9" (a digest-pinned or untagged image has none). */
export function imageVersion(image: string): string | undefined {
  const tag = /:([^:/@]+)(@sha256:[a-f0-9]+)?$/.exec(image)?.[1];
  return tag ? /^v?(\d+\.\d+\.\d+)/.exec(tag)?.[1] : undefined;
}

/** The value of --NAME=V or --NAME V in a container's command and args. */
export function argValue(argv: readonly string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
    if (a === `--${name}`) return argv[i + 1];
  }
  return undefined;
}
