// The shared cluster state in $LAB_CLUSTER_DIR/state.json: every cluster of a lab instance, keyed by
// its CA hash. Writers take an O_EXCL lock file (stale after 15 s) and replace the file atomically.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clusterDir, ExitError, sleepMs } from './lab.js';
import { servingMember } from './api-endpoint.js';

export interface BootstrapToken {
  id: string;
  secret: string;
  description: string;
  usages: string[];
  groups: string[];
  created: number;
  expires: number | null; // null: never
}

export interface UploadedCerts {
  expires: number;
  iv: string; // AES-256-GCM, keyed by the certificate key (like the kubeadm-certs Secret)
  tag: string;
  data: string;
}

export interface NodeStatus {
  kubeletActive: boolean;
  cniConfigured: boolean;
  images: string[];
  updatedAt: number;
  /** notAfter (ms) of the kubelet's client certificate at the last sync: past it, the kubelet cannot post status. */
  clientNotAfter?: number;
  /** flanneld's external address on this node (flannel-node.ts), published as flannel.alpha.coreos.com/public-ip. */
  flannelPublicIp?: string;
  /** This host's IPv4 routes at its last sync (pod-network.ts: pod traffic across nodes). */
  routes?: { type: string; dest: string }[];
  /** host:port of the kube-vip VIPs this node's kubelet runs (api-endpoint.ts: the node answering there). */
  vips?: string[];
  /** A control plane: its kube-apiserver static pod manifest was there at the last sync (false: stopped). */
  apiserverRunning?: boolean;
  /** An haproxy static pod in front of the API servers (apiserver-proxy.ts), as it loaded its config at its start. */
  apiProxy?: ApiProxy;
}

export interface ApiProxy {
  /** The static pod's start: manifest ctime and content hash. */
  since: string;
  /** host:port of its tcp frontends' `bind` lines. */
  binds: string[];
  /** Its backends' `server` addresses, in order. */
  servers: { address: string }[];
}

export interface KubeNode {
  name: string;
  host: string;
  roles: string[];
  labels: Record<string, string>;
  taints: { key: string; effect: string; value?: string | undefined }[];
  kubeletVersion: string;
  /** The kubelet's --node-ip: one IP, or "v4,v6" on dual-stack nodes (each an InternalIP address). */
  internalIP: string;
  /** One block per podSubnet family, comma-joined (spec.podCIDRs); "" without podSubnet. */
  podCIDR: string;
  unschedulable: boolean;
  created: number;
  criSocket: string;
  osImage?: string | undefined; // PRETTY_NAME of the host's /etc/os-release at registration
  capacity?: Record<string, string>; // from the host and its kubelet configuration at registration
  allocatable?: Record<string, string>;
  kubeletConfigHash?: string; // sha256 of /var/lib/kubelet/config.yaml the capacity was computed from
  status: NodeStatus;
}

export interface ControlPlaneMember {
  name: string;
  advertiseAddress: string;
  bindPort: number;
  apiserverNotAfter: number;
  /** SANs of this member's API server certificate when kubeadm last wrote it (api-endpoint.ts checks TLS by them). */
  apiserverSans?: { dnsNames: string[]; ips: string[] };
  /** Version of this member's static pods once `kubeadm upgrade` rewrote them (absent: the cluster's version). */
  version?: string;
  /** What its API server read at its last start (trust.ts). */
  apiServerTrust?: import('./trust.js').LoadedApiServer;
  /** What its etcd read at its last start (trust.ts). */
  etcdTrust?: { since: string; clientCA: string; serving: string };
  /** Its controller-manager's last start seen (trust.ts). */
  controllerManagerSince?: string;
}

export interface EtcdMember {
  id: string;
  name: string;
  peerURL: string;
  clientURL: string;
}

export type KubeObject = Record<string, unknown> & {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; [k: string]: unknown };
};

export interface Cluster {
  id: string; // "sha256:<hex>" of the CA's SubjectPublicKeyInfo
  name: string;
  created: number;
  endpoint: string; // host:port the join commands use
  kubernetesVersion: string;
  caCert: string; // PEM, served as the cluster-info ConfigMap
  caKey: string; // the controller-manager's CSR signer (signs kubelet client certificates of joining nodes)
  /** Hashes of the CAs the cluster rotated to (trust.ts): a kubeconfig naming one of them reaches this cluster. */
  caIds?: string[];
  /** The controller-manager's --root-ca-file as it loaded it: kube-root-ca.crt (absent: caCert). */
  rootCA?: string;
  /** "<kind>/<namespace>/<name>" of a Deployment/DaemonSet → the kube-root-ca.crt its pods started with (trust.ts). */
  podTrust?: Record<string, string>;
  clusterConfiguration: Record<string, unknown>;
  kubeletConfiguration: Record<string, unknown>;
  tokens: Record<string, BootstrapToken>;
  uploadedCerts?: UploadedCerts;
  controlPlane: Record<string, ControlPlaneMember>;
  etcdMembers: Record<string, EtcdMember>;
  nodes: Record<string, KubeNode>;
  objects: Record<string, KubeObject>; // "<kind>/<namespace>/<name>" → object
  /** Deployment replicas pinned to nodes once a cordon or an eviction happened (pod-placement.ts). */
  placements?: Record<string, { pod: string; node: string; since: number }[]>;
  /** apiserver_requested_deprecated_apis series since the API server (re)started (api-deprecations.ts). */
  deprecatedRequested?: Record<string, Record<string, string>>;
  nextPodSubnet: number;
  resourceVersion: number;
}

export interface ClusterState {
  clusters: Record<string, Cluster>;
}

const stateFile = () => join(clusterDir(), 'state.json');
const lockFile = () => join(clusterDir(), 'state.lock');

export function loadState(): ClusterState {
  const f = stateFile();
  if (!existsSync(f)) return { clusters: {} };
  return JSON.parse(readFileSync(f, 'utf8')) as ClusterState;
}

function acquireLock(): void {
  mkdirSync(clusterDir(), { recursive: true });
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      closeSync(openSync(lockFile(), 'wx'));
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      try {
        if (Date.now() - statSync(lockFile()).mtimeMs > 15_000) rmSync(lockFile(), { force: true });
      } catch {
        /* lock vanished meanwhile */
      }
      if (Date.now() > deadline) throw new ExitError('lab: timed out waiting for the cluster state lock');
      sleepMs(5 + Math.random() * 20);
    }
  }
}

/** Read-modify-write under the lock. The callback's return value is passed through. */
export function updateState<T>(fn: (s: ClusterState) => T): T {
  acquireLock();
  try {
    const s = loadState();
    const result = fn(s);
    const tmp = `${stateFile()}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(s));
    renameSync(tmp, stateFile());
    return result;
  } finally {
    rmSync(lockFile(), { force: true });
  }
}

export const objectKey = (kind: string, namespace: string | undefined, name: string): string => `${kind}/${namespace ?? ''}/${name}`;

/** The cluster whose API answers at host:port: its endpoint, a control-plane member's address or a kube-vip VIP. */
export function clusterAtEndpoint(s: ClusterState, endpoint: string): Cluster | undefined {
  const withPort = endpoint.includes(':') ? endpoint : `${endpoint}:6443`;
  return Object.values(s.clusters).find((c) => Object.keys(c.controlPlane).length > 0 && servingMember(c, withPort) !== undefined);
}

/**
 * Next free block of podSubnet for a new node: a /24 (or podSubnet-derived block) of IPv4, and for dual-stack
 * ("v4-CIDR,v6-CIDR", kubeadm's form) also the same-numbered /64 of the IPv6 CIDR, the kube-controller-manager's
 * default --node-cidr-mask-size-ipv6. Stored comma-joined in `podCIDR`, in podSubnet's order (spec.podCIDRs).
 */
export function allocatePodCIDR(c: Cluster): string {
  const net = (c.clusterConfiguration.networking as { podSubnet?: string } | undefined)?.podSubnet;
  if (!net) return '';
  const index = c.nextPodSubnet++;
  return net
    .split(',')
    .map((cidr) => (cidr.includes(':') ? nodeBlock6(cidr.trim(), index) : nodeBlock4(cidr.trim(), index)))
    .join(',');
}

function nodeBlock4(cidr: string, index: number): string {
  const [base, bits] = cidr.split('/');
  const o = base!.split('.').map(Number);
  const start = ((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0;
  const mask = Math.max(Number(bits), 24) === 24 ? 24 : Number(bits) + 2;
  const addr = (start + index * 2 ** (32 - mask)) >>> 0;
  return `${addr >>> 24}.${(addr >>> 16) & 255}.${(addr >>> 8) & 255}.${addr & 255}/${mask}`;
}

function nodeBlock6(cidr: string, index: number): string {
  const [base, bits] = cidr.split('/');
  const [head = '', tail = ''] = base!.includes('::') ? base!.split('::') : [base!, ''];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = [...left, ...Array(8 - left.length - right.length).fill('0'), ...right].map((g) => parseInt(g, 16));
  const hostBits = BigInt(128 - Number(bits));
  // Go's net.ParseCIDR hands the allocator the network address: host bits of the written base are dropped.
  const start = (groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n) >> hostBits) << hostBits;
  const addr = start + (BigInt(index) << 64n);
  const out = Array.from({ length: 8 }, (_, i) => Number((addr >> BigInt(16 * (7 - i))) & 0xffffn).toString(16));
  // RFC 5952: the longest run of two or more zero groups becomes "::"
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && out[j] === '0') j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j > i ? j : i + 1;
  }
  const text = best.at < 0 ? out.join(':') : `${out.slice(0, best.at).join(':')}::${out.slice(best.at + best.len).join(':')}`;
  return `${text}/64`;
}
