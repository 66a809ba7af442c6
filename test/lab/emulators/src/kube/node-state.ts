// Node status: what lab-node-sync publishes for this host, and the readiness rules kubectl applies.
import { readdirSync } from 'node:fs';
import { type ApiProxy, type Cluster, type KubeNode, type KubeObject, loadState, objectKey, updateState } from './cluster-state.js';
import { exists, hostName, hostPath, now, readText, writeText } from './lab.js';
import { parseKubeconfig } from './kubeadm-pki.js';
import { type ApiProblem, apiProblem, hostOfPort, hostPortOf, hostnameError } from './api-endpoint.js';
import { apiserverRunning, proxiedMember, proxyServes, syncApiProxy } from './apiserver-proxy.js';
import { clusterForCa, recordLoadedTrust } from './trust.js';
import { runtimeImages, serviceActive, swapOn } from './host-probe.js';
import { KUBELET_CONFIG, parseKubeletConfig } from './node-files.js';
import { imagePresent } from './image-ref.js';
import { configHash, nodeResources } from './kubelet-node.js';
import { BOOTSTRAP_KUBECONFIG, clientState, tlsBootstrap } from './kubelet-client.js';
import { flannelPublicIp } from './flannel-node.js';
import { hostRoutes } from './pod-network.js';
import { pendingServing, syncServing } from './kubelet-serving-csr.js';
import { registerThisNode } from './kubelet-register.js';
export { imagePresent, normalizeImage } from './image-ref.js';

export function podImages(obj: KubeObject): string[] {
  const spec = (obj as any).spec?.template?.spec ?? {};
  return [...(spec.initContainers ?? []), ...(spec.containers ?? [])].map((c: any) => String(c.image)).filter(Boolean);
}

export type CniKind = 'flannel' | 'cilium';

export function cniDaemonSet(c: Cluster): { kind: CniKind; obj: KubeObject } | undefined {
  for (const obj of Object.values(c.objects)) {
    if (obj.kind !== 'DaemonSet') continue;
    const name = obj.metadata?.name ?? '';
    if (name.includes('flannel')) return { kind: 'flannel', obj };
    if (name === 'cilium') return { kind: 'cilium', obj };
  }
  return undefined;
}

export const CNI_CONF: Record<CniKind, { file: string; content: string }> = {
  flannel: {
    file: '/etc/cni/net.d/10-flannel.conflist',
    content:
      JSON.stringify(
        {
          name: 'cbr0',
          cniVersion: '0.3.1',
          plugins: [
            { type: 'flannel', delegate: { hairpinMode: true, isDefaultGateway: true } },
            { type: 'portmap', capabilities: { portMappings: true } },
          ],
        },
        null,
        2,
      ) + '\n',
  },
  cilium: {
    file: '/etc/cni/net.d/05-cilium.conflist',
    content:
      JSON.stringify({ cniVersion: '0.3.1', name: 'cilium', plugins: [{ type: 'cilium-cni', 'enable-debug': false }] }, null, 2) + '\n',
  },
};

/**
 * With ipam kubernetes the cilium agent waits until its node has a PodCIDR of every enabled family, and writes no CNI
 * config meanwhile (docs.cilium.io/en/latest/network/concepts/ipam/kubernetes/): e.g. ipv6.enabled on an IPv4-only cluster.
 */
function ciliumWaitsForPodCIDR(c: Cluster, n: KubeNode): boolean {
  const cfg = ((c.objects[objectKey('ConfigMap', 'kube-system', 'cilium-config')] as any)?.data ?? {}) as Record<string, string>;
  if ((cfg.ipam ?? 'cluster-pool') !== 'kubernetes') return false;
  const families = n.podCIDR ? n.podCIDR.split(',').map((cidr) => (cidr.includes(':') ? 6 : 4)) : [];
  return (cfg['enable-ipv4'] !== 'false' && !families.includes(4)) || (cfg['enable-ipv6'] === 'true' && !families.includes(6));
}

/** Why a node is NotReady, or undefined when Ready. */
export function notReadyReason(c: Cluster, n: KubeNode): string | undefined {
  if (!n.status.kubeletActive) return 'Kubelet stopped posting node status.';
  // an expired client certificate: the API refuses the kubelet (Unauthorized), its status goes stale
  if (n.status.clientNotAfter !== undefined && n.status.clientNotAfter <= now()) return 'Kubelet stopped posting node status.';
  const cni = cniDaemonSet(c);
  const msg =
    'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized';
  if (!cni) return msg;
  if (!podImages(cni.obj).every((i) => imagePresent(n.status.images, i))) return msg;
  if (cni.kind === 'cilium' && ciliumWaitsForPodCIDR(c, n)) return msg;
  // the CNI DaemonSet writes its config itself once its pods run; a node whose status predates the
  // DaemonSet has not reported the file yet, but the pod would have written it by now.
  return undefined;
}

/**
 * Kubelet "runs" when its unit is active, it has a config, and swap does not stop it. `starting`: asked by the unit's
 * own start hook, which has just accepted the start (the unit turns active when the hook returns).
 */
export function kubeletRunning(starting = false): boolean {
  if (!starting && !serviceActive('kubelet')) return false;
  const text = readText(KUBELET_CONFIG);
  if (!text) return false;
  // what kubeadm writes is a mapping (truthy): parse it (loading yaml costs ~30 ms) only when failSwapOn matters
  const written = text.startsWith('apiVersion: kubelet.config.k8s.io/');
  const cfg = written ? undefined : parseKubeletConfig(text);
  if (!written && !cfg) return false;
  if (swapOn() && (cfg ?? parseKubeletConfig(text))!.failSwapOn !== false) return false;
  return true;
}

const cniConfigured = (): boolean => {
  if (!exists('/etc/cni/net.d')) return false;
  return readdirSync(hostPath('/etc/cni/net.d')).some((f) => /\.(conf|conflist|json)$/.test(f));
};

/** The cluster this host belongs to, found through its kubelet.conf's CA. */
export function localCluster(): { id: string } | undefined {
  const kc = readText('/etc/kubernetes/kubelet.conf');
  if (!kc) return undefined;
  try {
    const c = clusterForCa(loadState(), parseKubeconfig(kc).caCert);
    return c ? { id: c.id } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The kubelet posts its status through kubelet.conf's server: an address nobody serves, or whose API server certificate
 * does not name it, leaves the node's status stale (NotReady). Returns the kubelet's error line, or undefined.
 */
function kubeletApiProblem(c: Cluster, proxy?: ApiProxy): string | undefined {
  const text = readText('/etc/kubernetes/kubelet.conf');
  if (!text) return undefined;
  let server: string;
  try {
    server = parseKubeconfig(text).server;
  } catch {
    return undefined;
  }
  const hostPort = hostPortOf(server);
  // a local API server proxy listening there (apiserver-proxy.ts) passes the connection to a running API server
  const problem = proxyServes(proxy, hostPort) ? proxiedProblem(c, proxy!, hostPort) : apiProblem(c, hostPort);
  if (!problem) return undefined;
  const url = `${server.replace(/\/$/, '')}/api/v1/nodes/${hostName()}?timeout=10s`;
  const why =
    problem.kind === 'tls'
      ? `tls: failed to verify certificate: ${problem.message}`
      : problem.kind === 'eof'
        ? 'EOF'
        : `dial tcp ${hostPort}: connect: connection refused`;
  return `E kubelet_node_status.go:535] "Error updating node status, will retry" err="error getting node \\"${hostName()}\\": Get \\"${url}\\": ${why}"`;
}

/** Through the proxy: no running API server behind it (EOF), or one whose certificate does not name the address. */
function proxiedProblem(c: Cluster, proxy: ApiProxy, hostPort: string): ApiProblem | { kind: 'eof' } | undefined {
  const m = proxiedMember(c, proxy);
  if (m === 'EOF') return { kind: 'eof' };
  const message = m.apiserverSans && hostnameError(hostOfPort(hostPort), m.apiserverSans);
  return message ? { kind: 'tls', message } : undefined;
}

function logKubelet(line: string): void {
  const file = '/var/log/lab/kubelet.log';
  const before = readText(file) ?? '';
  if (!before.endsWith(`${line}\n`)) writeText(file, `${before}${line}\n`);
}

/** host:port of the VIP in this node's kube-vip static pod manifest ("address" and "port" env), while it runs. */
function kubeVipAddresses(): string[] {
  const text = readText('/etc/kubernetes/manifests/kube-vip.yaml');
  if (!text) return [];
  const env = (name: string) => new RegExp(`- name: ${name}\\n\\s+value: "?([^"\\s]+)"?`).exec(text)?.[1];
  const address = env('address') ?? env('vip_address');
  if (!address) return [];
  const port = env('port') ?? '6443';
  return [address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`];
}

/**
 * lab-node-sync: publish this node's status; let the CNI DaemonSet write its config when it can run. `starting`: from
 * the kubelet's start hook, which registers the Node and posts its first status as the real kubelet does on start.
 */
export function syncNode(starting = false): string | undefined {
  const local = localCluster();
  if (!local) return undefined;
  const snapshot = loadState().clusters[local.id];
  const node = snapshot && Object.values(snapshot.nodes).find((n) => n.host === hostName());
  if (!snapshot || !node) return undefined;
  const active = kubeletRunning(starting);
  const images = runtimeImages(node.criSocket);
  const cni = cniDaemonSet(snapshot);
  if (active && cni && podImages(cni.obj).every((i) => imagePresent(images, i))) {
    const conf = CNI_CONF[cni.kind];
    if (!exists(conf.file)) writeText(conf.file, conf.content);
  }
  const client = clientState(snapshot);
  const vips = active ? kubeVipAddresses() : [];
  // a running kubelet runs the API server proxy's static pod (apiserver-proxy.ts); a stopped one leaves it as it was
  const apiProxy = active ? syncApiProxy(node.status.apiProxy, images) : node.status.apiProxy;
  const apiserver = apiserverRunning(node, active);
  // this node's own VIP counts at once (its kube-vip runs beside the kubelet)
  const api = active
    ? kubeletApiProblem(
        { ...snapshot, nodes: { ...snapshot.nodes, [node.name]: { ...node, status: { ...node.status, vips, ...apiserver } } } },
        apiProxy,
      )
    : undefined;
  if (api) logKubelet(api);
  const runsFlannel = active && cni?.kind === 'flannel' && podImages(cni.obj).every((i) => imagePresent(images, i));
  const publicIp = runsFlannel ? flannelPublicIp(cni.obj) : undefined;
  const routes = runsFlannel ? hostRoutes() : undefined;
  const status = {
    kubeletActive: active && client.valid && !api,
    cniConfigured: cniConfigured(),
    images,
    // a kubelet that cannot reach the API posts no heartbeat
    updatedAt: api ? node.status.updatedAt : now(),
    ...(client.notAfter !== undefined ? { clientNotAfter: client.notAfter } : {}),
    ...(publicIp ? { flannelPublicIp: publicIp } : {}),
    ...(routes ? { routes } : {}),
    ...(vips.length ? { vips } : {}),
    ...apiserver,
    ...(apiProxy ? { apiProxy } : {}),
  };
  // a running kubelet reports the capacity of the config it started with (recomputed only when the file changed)
  const config = active ? (readText(KUBELET_CONFIG) ?? '') : '';
  const resources = active && configHash(config) !== node.kubeletConfigHash ? nodeResources(config) : undefined;
  // the kubelet reports the version of the binary it was started from (recorded by the unit's start hook)
  const running = active ? readText('/run/lab/kubelet.version')?.trim() : undefined;
  const version = running && /^v\d+\.\d+\.\d+$/.test(running) ? { kubeletVersion: running } : {};
  updateState((s) => {
    const cl = s.clusters[local.id];
    const n = cl?.nodes[node.name];
    if (n) Object.assign(n, { status }, resources ?? {}, version);
    if (cl && active) recordLoadedTrust(cl, node.name); // a control plane's components (trust.ts)
  });
  // serverTLSBootstrap: the kubelet's serving certificate comes from a CSR (kubelet-serving-csr.ts)
  if (active && client.valid) syncServing(snapshot, node, parseKubeletConfig(config)?.serverTLSBootstrap === true);
  return node.name;
}

/**
 * `lab-node-sync kubelet-start` (the kubelet unit's start hook): the kubelet's client identity at start. Exit 0 when
 * kubelet.conf is valid or a TLS bootstrap renewed it; else the kubelet's error goes to /var/log/lab/kubelet.log and
 * the hook fails (exit 3: the unit crash-loops, as the real kubelet exits). Outside a known cluster: nothing to do.
 */
export function kubeletStart(): number {
  const text = readText('/etc/kubernetes/kubelet.conf') ?? readText(BOOTSTRAP_KUBECONFIG);
  let id: string | undefined;
  try {
    const ca = text ? parseKubeconfig(text).caCert : undefined;
    id = ca ? clusterForCa(loadState(), ca)?.id : undefined;
  } catch {
    id = undefined;
  }
  const c = id ? loadState().clusters[id] : undefined;
  if (!c) return 0;
  const client = clientState(c);
  if (client.valid) {
    registerThisNode(c);
    syncNode(true);
    return 0;
  }
  const nodeName = Object.values(c.nodes).find((n) => n.host === hostName())?.name ?? hostName();
  const failed = tlsBootstrap(c, nodeName);
  if (!failed) {
    registerThisNode(loadState().clusters[c.id] ?? c);
    syncNode(true);
  }
  const log = [
    `E kubelet bootstrap.go:266] ${client.problem}`,
    ...(failed ? [`E kubelet run.go:74] "command failed" err="${failed}"`] : []),
  ];
  const file = '/var/log/lab/kubelet.log';
  writeText(file, (readText(file) ?? '') + log.join('\n') + '\n');
  return failed ? 3 : 0;
}

/**
 * `lab-node-sync serving-wait` (started detached by kubelet-serving-csr.ts): the kubelet waiting on its serving
 * request; once issued, a node sync stores it. Ends when the request is decided otherwise or gone, when the kubelet
 * unit stays inactive for 5 s (a restart starts a new waiter), or after 15 minutes (client-go certificateWaitTimeout).
 */
export async function watchServing(): Promise<void> {
  const end = Date.now() + 15 * 60_000;
  let inactiveSince = 0;
  while (Date.now() < end) {
    const local = localCluster();
    const c = local && loadState().clusters[local.id];
    if (!c) return;
    const state = pendingServing(c);
    if (state === 'issued') {
      syncNode();
      return;
    }
    if (state !== 'waiting') return;
    if (!serviceActive('kubelet')) {
      inactiveSince ||= Date.now();
      if (Date.now() - inactiveSince > 5000) return;
    } else inactiveSince = 0;
    await new Promise((r) => setTimeout(r, 500));
  }
}
