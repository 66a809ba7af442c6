// An API server proxy on a node (kubernetes.loadBalancer.type local: kubespray's and kubeasz's localhost load
// balancer): any static pod running the haproxy image. haproxy reads /usr/local/etc/haproxy/haproxy.cfg (the official
// image's path), here the hostPath the manifest mounts there, once at its start: a config changed afterwards counts
// only when the manifest changes (new ctime or content), as the kubelet restarts a static pod only then. Connections
// to a frontend `bind` go to a backend server whose API server runs (a control plane publishes whether its
// kube-apiserver manifest is in place at its lab-node-sync).
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import type { ApiProxy, Cluster, ControlPlaneMember, KubeNode } from './cluster-state.js';
import { exists, hostPath, readText } from './lab.js';
import { imagePresent } from './image-ref.js';

const MANIFESTS = '/etc/kubernetes/manifests';
const CONFIG_DIR = '/usr/local/etc/haproxy';

/** haproxy.cfg → its tcp frontends' binds and its backends' servers. */
export function parseHaproxyConfig(text: string): Pick<ApiProxy, 'binds' | 'servers'> {
  const binds: string[] = [];
  const servers: ApiProxy['servers'] = [];
  let section = '';
  let sectionBinds: string[] = [];
  let http = false;
  const close = () => {
    if (section === 'frontend' && !http) binds.push(...sectionBinds);
  };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    const [word, ...rest] = line.split(/\s+/);
    if (!word) continue;
    if (['global', 'defaults', 'frontend', 'backend', 'listen'].includes(word)) {
      close();
      [section, sectionBinds, http] = [word === 'listen' ? 'frontend' : word, [], false];
    } else if (word === 'bind' && rest[0]) sectionBinds.push(rest[0].replace(/^\*:|^:/, '0.0.0.0:'));
    else if (word === 'mode') http = rest[0] === 'http';
    else if (word === 'monitor-uri') http = true;
    else if (word === 'server' && rest[1]) servers.push({ address: rest[1] });
  }
  close();
  return { binds, servers };
}

/** The haproxy static pod's manifest and config on this host, when one is there and its image is on the node. */
function haproxyPod(images: string[]): { since: string; config: string } | undefined {
  if (!exists(MANIFESTS)) return undefined;
  for (const file of readdirSync(hostPath(MANIFESTS)).sort()) {
    const manifest = readText(`${MANIFESTS}/${file}`) ?? '';
    const image = /^\s*(?:-\s+)?image:\s*"?([^"\s]+)"?/m.exec(manifest)?.[1];
    if (!image || !/(^|\/)haproxy(:|@|$)/.test(image) || !imagePresent(images, image)) continue;
    // the hostPath mounted at the image's config directory: the volume name of that mount, then its path
    const mount = new RegExp(`-\\s+name:\\s*(\\S+)\\s*\\n\\s*mountPath:\\s*${CONFIG_DIR}\\b`).exec(manifest)?.[1];
    const dir = mount && new RegExp(`-\\s+name:\\s*${mount}\\s*\\n\\s*hostPath:\\s*\\n\\s*path:\\s*"?([^"\\s]+)`).exec(manifest)?.[1];
    const config = dir ? readText(`${dir}/haproxy.cfg`) : undefined;
    if (!config) continue;
    const ctime = statSync(hostPath(`${MANIFESTS}/${file}`)).ctimeMs;
    return { since: `${ctime}:${createHash('sha256').update(manifest).digest('hex').slice(0, 16)}`, config };
  }
  return undefined;
}

/** What this node's proxy runs with now: the previous record while its pod has not restarted, else the config read now. */
export function syncApiProxy(previous: ApiProxy | undefined, images: string[]): ApiProxy | undefined {
  const pod = haproxyPod(images);
  if (!pod) return undefined;
  if (previous?.since === pod.since) return previous;
  return { since: pod.since, ...parseHaproxyConfig(pod.config) };
}

const LOOPBACK = ['localhost', '127.0.0.1'];

/** Whether host:port (from a kubeconfig on this node) is one of the proxy's binds. */
export function proxyServes(proxy: ApiProxy | undefined, hostPort: string): boolean {
  const i = hostPort.lastIndexOf(':');
  const [host, port] = [hostPort.slice(0, i), hostPort.slice(i + 1)];
  return (proxy?.binds ?? []).some((b) => {
    const j = b.lastIndexOf(':');
    const [bh, bp] = [b.slice(0, j), b.slice(j + 1)];
    return bp === port && (bh === '0.0.0.0' || (LOOPBACK.includes(bh) && LOOPBACK.includes(host)) || bh === host);
  });
}

/** A control plane's API server runs: its manifest was in place at its last sync (unknown: assumed running). */
const running = (c: Cluster, m: ControlPlaneMember): boolean => c.nodes[m.name]?.status.apiserverRunning !== false;

/**
 * The API server a connection through the proxy reaches: the first listed server whose API server runs (haproxy's
 * health checks take stopped ones out; without `check`, its retries and redispatch reach the same end), else "EOF"
 * (haproxy accepts, then closes: the TLS client reads EOF). Balancing between running servers is not modelled.
 */
export function proxiedMember(c: Cluster, proxy: ApiProxy): ControlPlaneMember | 'EOF' {
  const members = Object.values(c.controlPlane);
  for (const s of proxy.servers) {
    const m = members.find((x) => `${x.advertiseAddress}:${x.bindPort}` === s.address);
    if (m && running(c, m)) return m;
  }
  return 'EOF';
}

/** This node's record: a control plane publishes whether its API server's manifest is there (while its kubelet runs). */
export function apiserverRunning(node: KubeNode, kubeletActive: boolean): { apiserverRunning?: boolean } {
  if (!node.roles.includes('control-plane')) return {};
  if (!kubeletActive) return node.status.apiserverRunning === undefined ? {} : { apiserverRunning: node.status.apiserverRunning };
  return { apiserverRunning: exists(`${MANIFESTS}/kube-apiserver.yaml`) };
}
