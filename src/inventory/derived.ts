/** Values derived from an inventory that rules and later layers must agree on (one definition each). */
import { durationSeconds, goDuration } from './validity.js';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { LOAD_BALANCER_IMAGES, criSockets, kubeadmApiVersion, parseKubeVersion, pauseTag, type KubeVersion } from '../data/versions.js';
import { CONTROL_PLANE_TAINT, EVICTION_HARD_DEFAULTS, kubeletMaySetLabel } from '../data/kubelet.js';
import type { HostSpec, Inventory, InventorySpec, Taint } from './schema.js';

/** Kubernetes minors kubesmith accepts, and the narrower range it is tested with (kubeadm v1beta4 era). */
export const SUPPORTED_MINORS = { min: 24, max: 36 } as const;
export const TESTED_MINORS = { min: 31, max: 36 } as const;

export const controlPlanes = (spec: InventorySpec): HostSpec[] => spec.hosts.filter((h) => h.roles.includes('control-plane'));

/** The API endpoint port kubeadm uses when the endpoint has none. */
export const API_SERVER_PORT = 6443;

const hostPort = (host: string, port: number): string => `${host.includes(':') ? `[${host}]` : host}:${port}`;

/**
 * The endpoint every node and kubeconfig uses: kubernetes.controlPlaneEndpoint when set, otherwise — with
 * loadBalancer kube-vip and a vip — "<vip>:6443" (decision: the VIP is the endpoint, so HA inventories need not
 * repeat it). Undefined means "the first control plane's internal address" (single control plane only).
 */
export function controlPlaneEndpoint(spec: InventorySpec): string | undefined {
  const k8s = spec.kubernetes;
  if (k8s.controlPlaneEndpoint) return k8s.controlPlaneEndpoint;
  const lb = k8s.loadBalancer;
  if (lb?.type === 'kube-vip' && lb.vip) {
    return lb.vip.includes(':') ? `[${lb.vip}]:${API_SERVER_PORT}` : `${lb.vip}:${API_SERVER_PORT}`;
  }
  // local: nodes reach the API through their own proxy; the cluster's registered endpoint (kubeadm-config,
  // cluster-info, admin.conf, joins) is the first control plane, as kubespray does for its localhost load balancer
  const first = lb?.type === 'local' ? controlPlanes(spec)[0] : undefined;
  return first ? hostPort(first.internalAddress ?? first.address, API_SERVER_PORT) : undefined;
}

/** Where a worker's own API proxy listens (loadBalancer local), and the server its kubeconfigs name. */
export const LOCAL_PROXY = { bind: `127.0.0.1:${API_SERVER_PORT}`, server: `https://localhost:${API_SERVER_PORT}` } as const;

export interface Endpoint {
  /** Name or IP, IPv6 without brackets. */
  host: string;
  port: number;
  /** "host:port", IPv6 in brackets: what kubeadm and kubeconfigs take. */
  address: string;
}

/** "host:port" / "[v6]:port" / "host" → its parts; the port defaults to 6443. */
export function parseEndpoint(endpoint: string): Endpoint {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(endpoint);
  const i = endpoint.lastIndexOf(':');
  const [host, port] = v6
    ? [v6[1]!, Number(v6[2] ?? API_SERVER_PORT)]
    : i > 0 && endpoint.indexOf(':') === i
      ? [endpoint.slice(0, i), Number(endpoint.slice(i + 1))]
      : [endpoint, API_SERVER_PORT];
  return { host, port, address: hostPort(host, port) };
}

/** "host:port" / "[v6]:port" / "host" → host part. */
export const endpointHost = (endpoint: string): string => parseEndpoint(endpoint).host;

/**
 * Everything later layers derive from an inventory, computed once (parseInventory computes it at load): renderers,
 * tasks and commands read these instead of re-deriving from raw fields.
 */
export interface DerivedValues {
  /** The shared endpoint (controlPlaneEndpoint or kube-vip's "<vip>:6443"); absent for one control plane without one. */
  controlPlaneEndpoint?: Endpoint;
  /** Where joining nodes reach the API: the shared endpoint, else the first control plane's internal address. */
  apiServer: Endpoint;
  /** The port every kube-apiserver binds on its node (kubeadm's default). */
  apiServerBindPort: number;
  kubernetes: {
    version: KubeVersion;
    /** "v1.34.1", as kubeadm's kubernetesVersion. */
    tag: string;
    kubeadmApiVersion: 'v1beta3' | 'v1beta4';
  };
  criSocket: string;
  images: {
    /** `<imageRepository>/pause:<tag kubeadm pins for this minor>`; absent when no tag is known for the minor. */
    pause?: string;
    /** With loadBalancer kube-vip only. */
    kubeVip?: string;
    /** With loadBalancer local only: the proxy every worker runs. */
    localProxy?: string;
  };
  /** loadBalancer local: the control planes' API servers each worker's proxy balances over (inventory order). */
  localProxy?: { upstreams: { name: string; address: string }[] };
  /** KubeletConfiguration fields from spec.kubelet (evictionHard completed with the kubelet's defaults). */
  kubeletConfiguration: Record<string, unknown>;
  /** Per host name: what its Node must carry and how its kubelet is started. */
  nodes: Record<string, NodeValues>;
  /** ClusterConfiguration (v1beta4) validity fields as kubeadm writes them ("8760h0m0s"); absent: kubeadm's defaults. */
  certificates: { certificateValidityPeriod?: string; caCertificateValidityPeriod?: string };
}

export interface NodeValues {
  /** The inventory's taints, plus kubeadm's control-plane taint on control planes unless spec.controlPlane.schedulable. */
  taints: Taint[];
  /** Taints that must be absent (the control-plane taint on a schedulable control plane). */
  absentTaints: Taint[];
  /** Every inventory label: `kubectl label` keeps them on the Node. */
  labels: Record<string, string>;
  /** kubelet flags for kubeadm's nodeRegistration.kubeletExtraArgs: node-ip, node-labels (those the kubelet may set), extraArgs. */
  kubeletArgs: { name: string; value: string }[];
}

function nodeValues(spec: InventorySpec, host: HostSpec): NodeValues {
  const controlPlane = host.roles.includes('control-plane');
  const schedulable = spec.controlPlane.schedulable;
  const own = host.taints ?? [];
  const cpTaint = controlPlane && !own.some((t) => t.key === CONTROL_PLANE_TAINT.key && t.effect === CONTROL_PLANE_TAINT.effect);
  const labels = host.labels ?? {};
  const selfSet = Object.entries(labels)
    .filter(([key]) => kubeletMaySetLabel(key))
    .sort(([a], [b]) => a.localeCompare(b));
  const extra = Object.entries(spec.kubelet.extraArgs ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return {
    taints: [...own, ...(cpTaint && !schedulable ? [{ ...CONTROL_PLANE_TAINT }] : [])],
    absentTaints: cpTaint && schedulable ? [{ ...CONTROL_PLANE_TAINT }] : [],
    labels,
    kubeletArgs: [
      // dual-stack: both families, IPv4 first (kubeadm's dual-stack guide)
      { name: 'node-ip', value: [host.internalAddress ?? host.address, ...(host.address6 ? [host.address6] : [])].join(',') },
      ...(selfSet.length ? [{ name: 'node-labels', value: selfSet.map(([k, v]) => `${k}=${v}`).join(',') }] : []),
      ...extra.map(([name, value]) => ({ name, value })),
    ],
  };
}

function kubeletConfiguration(spec: InventorySpec): Record<string, unknown> {
  const k = spec.kubelet;
  const nonEmpty = (o: Record<string, unknown> | undefined) => (o && Object.keys(o).length ? o : undefined);
  const fields: Record<string, unknown> = {
    maxPods: k.maxPods,
    systemReserved: nonEmpty(k.systemReserved),
    kubeReserved: nonEmpty(k.kubeReserved),
    evictionHard: nonEmpty(k.evictionHard) && { ...EVICTION_HARD_DEFAULTS, ...k.evictionHard },
    serverTLSBootstrap: k.serverTLSBootstrap || undefined,
  };
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}

function deriveValues(inv: Inventory): DerivedValues {
  const k = inv.spec.kubernetes;
  const version = parseKubeVersion(k.version);
  const shared = controlPlaneEndpoint(inv.spec);
  const first = controlPlanes(inv.spec)[0] ?? inv.spec.hosts[0]!;
  const firstIp = first.internalAddress ?? first.address;
  return {
    ...(shared ? { controlPlaneEndpoint: parseEndpoint(shared) } : {}),
    apiServer: shared ? parseEndpoint(shared) : { host: firstIp, port: API_SERVER_PORT, address: hostPort(firstIp, API_SERVER_PORT) },
    apiServerBindPort: API_SERVER_PORT,
    kubernetes: {
      version: { ...version, text: `${version.major}.${version.minor}.${version.patch}` },
      tag: `v${version.major}.${version.minor}.${version.patch}`,
      kubeadmApiVersion: kubeadmApiVersion(k.version),
    },
    criSocket: criSockets[inv.spec.containerRuntime.type],
    images: {
      ...(knownPauseTag(k.version) ? { pause: `${k.imageRepository}/pause:${knownPauseTag(k.version)}` } : {}),
      ...(k.loadBalancer?.type === 'kube-vip' ? { kubeVip: k.loadBalancer.image ?? LOAD_BALANCER_IMAGES['kube-vip'] } : {}),
      ...(k.loadBalancer?.type === 'local' ? { localProxy: k.loadBalancer.image ?? LOAD_BALANCER_IMAGES.local } : {}),
    },
    ...(k.loadBalancer?.type === 'local'
      ? {
          localProxy: {
            upstreams: controlPlanes(inv.spec).map((h) => ({
              name: h.name,
              address: hostPort(h.internalAddress ?? h.address, API_SERVER_PORT),
            })),
          },
        }
      : {}),
    kubeletConfiguration: kubeletConfiguration(inv.spec),
    nodes: Object.fromEntries(inv.spec.hosts.map((h) => [h.name, nodeValues(inv.spec, h)])),
    certificates: validityPeriods(inv.spec),
  };
}

function validityPeriods(spec: InventorySpec): DerivedValues['certificates'] {
  const { validity, caValidity } = spec.certificates;
  return {
    ...(validity ? { certificateValidityPeriod: goDuration(durationSeconds(validity)) } : {}),
    ...(caValidity ? { caCertificateValidityPeriod: goDuration(durationSeconds(caValidity)) } : {}),
  };
}

/** The pause tag, or undefined for a supported minor the version table has no row for (rendering then fails). */
function knownPauseTag(version: string): string | undefined {
  try {
    return pauseTag(version);
  } catch {
    return undefined;
  }
}

const computed = new WeakMap<Inventory, DerivedValues>();

/**
 * The derived values of an inventory. parseInventory computes them when it loads the file; an inventory built
 * another way (tests) gets them computed on first use. Computed once per inventory object, never again.
 */
export function derived(inv: Inventory): DerivedValues {
  let values = computed.get(inv);
  if (!values) {
    values = deriveValues(inv);
    computed.set(inv, values);
  }
  return values;
}

/**
 * A path from the inventory, on the machine running kubesmith: "~" and "~/x" expand to the home directory,
 * relative paths resolve against the inventory file's directory (LoadedInventory.dir). Call it where the path is used.
 */
export function localPath(path: string, inventoryDir: string, home: string = homedir()): string {
  if (path === '~') return home;
  if (path.startsWith('~/')) return join(home, path.slice(2));
  return resolve(inventoryDir, path);
}

/** The cluster's IP families, read from podSubnet: "ipv4", "ipv6", or "dual" (kubeadm's "IPv4-CIDR,IPv6-CIDR"). */
export type IpStack = 'ipv4' | 'ipv6' | 'dual';

export function ipStack(spec: InventorySpec): IpStack {
  const parts = spec.kubernetes.podSubnet.split(',');
  if (parts.length > 1) return 'dual';
  return parts[0]!.includes(':') ? 'ipv6' : 'ipv4';
}

/** The node CIDR mask the controller manager allocates per family (kubeadm's defaults: /24 and /64). */
export const NODE_MASK = { 4: 24, 6: 64 } as const;

/** The pod CIDR of one family in podSubnet, or undefined ("10.244.0.0/16,fd00::/56", 6 → "fd00::/56"). */
export function podSubnetOf(spec: InventorySpec, family: 4 | 6): string | undefined {
  return spec.kubernetes.podSubnet.split(',').find((c) => c.includes(':') === (family === 6));
}
