/**
 * Typed view models: everything a template needs, computed from the inventory, the host and (where needed)
 * a fact such as the installed containerd version. Pure functions, no I/O, so golden tests pin the output.
 */
import type { Inventory } from '../inventory/schema.js';
import { createHash } from 'node:crypto';
import { API_SERVER_PORT, LOCAL_PROXY, derived, ipStack, podSubnetOf } from '../inventory/derived.js';
import type { Host, Hosts } from '../model/host.js';
import { defaultFlannelCniPluginTag, defaultFlannelRegistry, flannelCniPluginTag, needsSuperAdminForInit } from '../data/versions.js';

export const REGISTRY_CONFIG_PATH = '/etc/containerd/certs.d';

export interface NodeView {
  name: string;
  /** The primary node IP: the API server's advertise address on control planes. */
  ip: string;
  apiPort: number;
  /** kubeadm nodeRegistration.kubeletExtraArgs (node-ip, node-labels, spec.kubelet.extraArgs). */
  kubeletArgs: { name: string; value: string }[];
  /** kubeadm nodeRegistration.taints: written always, since an absent list means "the default taints" to kubeadm. */
  taints: { key: string; value?: string | undefined; effect: string }[];
}

export function nodeView(inv: Inventory, host: Host): NodeView {
  const node = derived(inv).nodes[host.name];
  if (!node) throw new Error(`${host.name} is not a host of the inventory`);
  return { name: host.name, ip: host.internalAddress, apiPort: API_SERVER_PORT, kubeletArgs: node.kubeletArgs, taints: node.taints };
}

export function criSocket(inv: Inventory): string {
  return derived(inv).criSocket;
}

/** `<imageRepository>/pause:<tag kubeadm pins for this minor>`. */
export function sandboxImage(inv: Inventory): string {
  const pause = derived(inv).images.pause;
  if (!pause) throw new Error(`no pause image tag known for Kubernetes ${inv.spec.kubernetes.version}`);
  return pause;
}

/** Where joining nodes reach the API: the shared endpoint (explicit or the kube-vip VIP), else the first control plane. */
export function apiServerEndpoint(inv: Inventory): string {
  return derived(inv).apiServer.address;
}

export interface KubeadmInitView {
  node: NodeView;
  criSocket: string;
  clusterName: string;
  kubernetesVersion: string;
  controlPlaneEndpoint?: string;
  imageRepository: string;
  podSubnet: string;
  serviceSubnet: string;
  dnsDomain: string;
  certSANs: string[];
  /** spec.certificates, v1beta4 only (a rule refuses them for older kubeadm). */
  certificateValidityPeriod?: string;
  caCertificateValidityPeriod?: string;
  failSwapOn: boolean;
  /** KubeletConfiguration fields from spec.kubelet. */
  kubelet: Record<string, unknown>;
  proxyMode: string;
  ipvs: boolean;
  skipPhases: string[];
  /** "Never" for offline installs: kubeadm's preflight then fails fast on a missing image instead of pulling. */
  imagePullPolicy?: 'Never';
  /** Only in the transient file init runs with (never in the kept copy): secrets kubesmith chose itself. */
  bootstrapToken?: string;
  certificateKey?: string;
}

export interface InitSecrets {
  bootstrapToken: string;
  certificateKey?: string;
}

/** Offline installs (spec.offline.bundle) never pull: every image was imported from the bundle. */
export function imagePullPolicy(inv: Inventory): { imagePullPolicy?: 'Never' } {
  return inv.spec.offline?.bundle ? { imagePullPolicy: 'Never' } : {};
}

export function kubeadmInitView(inv: Inventory, host: Host, hosts: Hosts, secrets?: InitSecrets): KubeadmInitView {
  const k = inv.spec.kubernetes;
  const d = derived(inv);
  const sans = new Set<string>(k.certSANs);
  if (d.controlPlaneEndpoint) sans.add(d.controlPlaneEndpoint.host);
  if (k.loadBalancer?.vip) sans.add(k.loadBalancer.vip);
  // loadBalancer local: workers' kubelets and every kube-proxy name the API https://localhost:6443 (their proxy, or
  // a control plane's own API server); haproxy passes TLS through, so the serving certificate must name localhost
  if (k.loadBalancer?.type === 'local') for (const name of ['localhost', '127.0.0.1']) sans.add(name);
  for (const cp of hosts.controlPlanes) {
    sans.add(cp.name);
    sans.add(cp.internalAddress);
    if (cp.address !== cp.internalAddress) sans.add(cp.address);
    if (cp.spec.address6) sans.add(cp.spec.address6);
  }
  const kpr = inv.spec.network.plugin === 'cilium' && inv.spec.network.cilium.kubeProxyReplacement;
  return {
    node: nodeView(inv, host),
    criSocket: criSocket(inv),
    clusterName: inv.metadata.name,
    kubernetesVersion: d.kubernetes.tag,
    ...(d.controlPlaneEndpoint ? { controlPlaneEndpoint: d.controlPlaneEndpoint.address } : {}),
    imageRepository: k.imageRepository,
    podSubnet: k.podSubnet,
    serviceSubnet: k.serviceSubnet,
    dnsDomain: k.dnsDomain,
    certSANs: [...sans],
    ...d.certificates,
    failSwapOn: inv.spec.hostPrep.swap === 'disable',
    kubelet: d.kubeletConfiguration,
    proxyMode: k.proxyMode,
    ipvs: k.proxyMode === 'ipvs',
    skipPhases: kpr ? ['addon/kube-proxy'] : [],
    ...imagePullPolicy(inv),
    ...(secrets ? { bootstrapToken: secrets.bootstrapToken } : {}),
    ...(secrets?.certificateKey ? { certificateKey: secrets.certificateKey } : {}),
  };
}

export interface KubeadmJoinView {
  node: NodeView;
  criSocket: string;
  apiServerEndpoint: string;
  /** The bootstrap token (a secret: the rendered file is mode 0600 and removed after the join). */
  token: string;
  caCertHashes: string[];
  controlPlane: boolean;
  certificateKey?: string;
  imagePullPolicy?: 'Never';
}

export function kubeadmJoinView(
  inv: Inventory,
  host: Host,
  hosts: Hosts,
  join: { token: string; caCertHash: string; certificateKey?: string },
): KubeadmJoinView {
  return {
    node: nodeView(inv, host),
    criSocket: criSocket(inv),
    apiServerEndpoint: apiServerEndpoint(inv),
    token: join.token,
    caCertHashes: [join.caCertHash],
    controlPlane: join.certificateKey !== undefined,
    ...(join.certificateKey !== undefined ? { certificateKey: join.certificateKey } : {}),
    ...imagePullPolicy(inv),
  };
}

export interface ContainerdView {
  sandboxImage: string;
  registryConfigPath: string;
}

export function containerdView(inv: Inventory): ContainerdView {
  return { sandboxImage: sandboxImage(inv), registryConfigPath: REGISTRY_CONFIG_PATH };
}

export interface RegistryHostsView {
  registry: string;
  /** certs.d directory name. */
  dir: string;
  server: string;
  mirrors: { url: string; skipVerify: boolean }[];
}

function upstreamServer(registry: string): string {
  return registry === 'docker.io' ? 'https://registry-1.docker.io' : `https://${registry}`;
}

/** One hosts.toml per registry with mirrors, plus one per insecure registry (skip_verify). */
export function registryHostsViews(inv: Inventory): RegistryHostsView[] {
  const rt = inv.spec.containerRuntime;
  const views = new Map<string, RegistryHostsView>();
  for (const [registry, urls] of Object.entries(rt.registryMirrors).sort(([a], [b]) => a.localeCompare(b))) {
    views.set(registry, {
      registry,
      dir: registry,
      server: upstreamServer(registry),
      mirrors: urls.map((url) => ({ url, skipVerify: false })),
    });
  }
  for (const registry of [...rt.insecureRegistries].sort()) {
    const view = views.get(registry) ?? { registry, dir: registry, server: upstreamServer(registry), mirrors: [] };
    view.mirrors.push({ url: `https://${registry}`, skipVerify: true });
    views.set(registry, view);
  }
  return [...views.values()];
}

export function crictlView(inv: Inventory): { socket: string } {
  return { socket: criSocket(inv) };
}

export function dockerDaemonView(inv: Inventory): { registryMirrors: string[]; insecureRegistries: string[] } {
  const rt = inv.spec.containerRuntime;
  return { registryMirrors: rt.registryMirrors['docker.io'] ?? [], insecureRegistries: [...rt.insecureRegistries] };
}

/** Dual-stack nodes also forward IPv6 (kubeadm's dual-stack prerequisite: net.ipv6.conf.all.forwarding=1). */
export function sysctlView(inv?: Inventory): { settings: { key: string; value: string }[] } {
  const settings = [
    { key: 'net.ipv4.ip_forward', value: '1' },
    { key: 'net.bridge.bridge-nf-call-iptables', value: '1' },
    { key: 'net.bridge.bridge-nf-call-ip6tables', value: '1' },
  ];
  if (inv && ipStack(inv.spec) === 'dual') settings.push({ key: 'net.ipv6.conf.all.forwarding', value: '1' });
  return { settings };
}

export const IPVS_MODULES = ['ip_vs', 'ip_vs_rr', 'ip_vs_wrr', 'ip_vs_sh', 'nf_conntrack'];

export function modulesView(inv: Inventory): { modules: string[] } {
  const modules = ['overlay', 'br_netfilter'];
  if (inv.spec.kubernetes.proxyMode === 'ipvs') modules.push(...IPVS_MODULES);
  return { modules };
}

export interface FlannelView {
  version: string;
  /** net-conf.json's Network: the IPv4 pod CIDR. */
  network: string;
  /** Dual-stack: EnableIPv6 with IPv6Network (flannel Documentation/configuration.md, "Dual-stack"). */
  ipv6Network?: string;
  enableNFTables: boolean;
  backend: Record<string, unknown>;
  images: { flannel: string; cniPlugin: string };
  args: string[];
}

export function flannelView(inv: Inventory, registry = defaultFlannelRegistry): FlannelView {
  const f = inv.spec.network.flannel;
  const backend: Record<string, unknown> = { Type: f.backend };
  if (f.backend === 'vxlan' && f.directRouting) backend.DirectRouting = true;
  const args = ['--ip-masq', '--kube-subnet-mgr', '--healthz-port=8081'];
  if (f.iface) args.push(`--iface=${f.iface}`);
  const ipv6Network = podSubnetOf(inv.spec, 6);
  return {
    version: `v${f.version}`,
    network: podSubnetOf(inv.spec, 4) ?? inv.spec.kubernetes.podSubnet,
    ...(ipv6Network ? { ipv6Network } : {}),
    enableNFTables: inv.spec.kubernetes.proxyMode === 'nftables',
    backend,
    images: {
      flannel: `${registry}/flannel:v${f.version}`,
      cniPlugin: `${registry}/flannel-cni-plugin:${flannelCniPluginTag[f.version] ?? defaultFlannelCniPluginTag}`,
    },
    args,
  };
}

export interface CiliumView {
  version: string;
  /** Helm values ipv4.enabled / ipv6.enabled: the families of podSubnet (ipam kubernetes reads each node's podCIDRs). */
  ipv4: boolean;
  ipv6: boolean;
  kubeProxyReplacement: boolean;
  k8sServiceHost?: string;
  k8sServicePort?: number;
  operatorReplicas: number;
}

export function ciliumView(inv: Inventory, hosts: Hosts): CiliumView {
  const c = inv.spec.network.cilium;
  const view: CiliumView = {
    version: c.version,
    ipv4: podSubnetOf(inv.spec, 4) !== undefined,
    ipv6: podSubnetOf(inv.spec, 6) !== undefined,
    kubeProxyReplacement: c.kubeProxyReplacement,
    operatorReplicas: hosts.all.length > 1 ? 2 : 1,
  };
  if (c.kubeProxyReplacement) {
    const { host, port } = derived(inv).apiServer;
    view.k8sServiceHost = host;
    view.k8sServicePort = port;
  }
  return view;
}

export const ADMIN_CONF = '/etc/kubernetes/admin.conf';
export const SUPER_ADMIN_CONF = '/etc/kubernetes/super-admin.conf';

export interface KubeVipView {
  image: string;
  vip: string;
  interface: string;
  port: string;
  kubeconfigPath: string;
}

/**
 * kube-vip on a control plane. `clusterInitialized` = admin.conf already exists on this host: on the first control
 * plane of a ≥1.29 cluster that is not initialized yet, kube-vip must use super-admin.conf (admin.conf has no rights
 * until kubeadm has bootstrapped RBAC); everywhere else admin.conf.
 */
export function kubeVipView(inv: Inventory, host: Host, hosts: Hosts, clusterInitialized: boolean): KubeVipView {
  const lb = inv.spec.kubernetes.loadBalancer;
  if (!lb || lb.type !== 'kube-vip' || !lb.vip) throw new Error('kube-vip needs spec.kubernetes.loadBalancer {type: kube-vip, vip}');
  const port = derived(inv).controlPlaneEndpoint?.port ?? API_SERVER_PORT;
  const isFirst = hosts.firstControlPlane.name === host.name;
  const superAdmin = isFirst && !clusterInitialized && needsSuperAdminForInit(derived(inv).kubernetes.version.text);
  return {
    image: derived(inv).images.kubeVip!,
    vip: lb.vip,
    interface: lb.interface ?? 'eth0',
    port: String(port),
    kubeconfigPath: superAdmin ? SUPER_ADMIN_CONF : ADMIN_CONF,
  };
}

/** Where the apiserver-proxy static pod of loadBalancer local keeps its haproxy configuration (a directory it mounts). */
export const APISERVER_PROXY_DIR = '/etc/kubernetes/apiserver-proxy';
export const APISERVER_PROXY_MANIFEST = '/etc/kubernetes/manifests/apiserver-proxy.yaml';
/** haproxy's own health endpoint for the pod's probes (kubespray's localhost load balancer uses the same port). */
const APISERVER_PROXY_HEALTHZ_PORT = 8081;

export interface ApiserverProxyView {
  bind: string;
  healthzBind: string;
  healthzPort: number;
  upstreams: { name: string; address: string }[];
}

/** haproxy's configuration for loadBalancer local: 127.0.0.1:6443 → every control plane's API server. */
export function apiserverProxyConfigView(inv: Inventory): ApiserverProxyView {
  const proxy = derived(inv).localProxy;
  if (!proxy) throw new Error('the apiserver proxy needs spec.kubernetes.loadBalancer {type: local}');
  return {
    bind: LOCAL_PROXY.bind,
    healthzBind: `127.0.0.1:${APISERVER_PROXY_HEALTHZ_PORT}`,
    healthzPort: APISERVER_PROXY_HEALTHZ_PORT,
    upstreams: proxy.upstreams,
  };
}

/** The static pod: its image, the configuration directory, and the configuration's hash (a new one restarts the pod). */
export function apiserverProxyPodView(inv: Inventory, config: string) {
  return {
    bind: LOCAL_PROXY.bind,
    image: derived(inv).images.localProxy!,
    healthzPort: APISERVER_PROXY_HEALTHZ_PORT,
    configDir: APISERVER_PROXY_DIR,
    configHash: createHash('sha256').update(config).digest('hex'),
  };
}
