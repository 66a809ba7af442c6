// The pod network as the lab models it, for traffic between pods (busybox-exec.ts): a Service's ClusterIP, and
// whether a packet from a pod on node A reaches a pod on node B. Same node: the CNI bridge, always. Across nodes
// (flannel vxlan): A sends to B's VTEP address — the flannel public-ip B published (flannel-node.ts), else B's
// InternalIP — and B answers to A's, so each node's kernel must route to the other's VTEP, and neither may hold a
// blackhole/unreachable/prohibit route covering the other's pod subnet (where flannel's route via flannel.1 goes).
// Each node's routes are its real IPv4 main table (`ip -o -4 route show` in the host's own netns), published at its
// lab-node-sync, and matched here by longest prefix, as the kernel's `ip route get` would (policy rules aside).
import { createHash } from 'node:crypto';
import type { Cluster, KubeNode, KubeObject } from './cluster-state.js';
import { runEmulator } from './lab.js';

export interface HostRoute {
  /** unicast (plain), blackhole, unreachable, prohibit, throw … */
  type: string;
  /** a.b.c.d/n; default is 0.0.0.0/0 */
  dest: string;
}

const TYPES = new Set(['unicast', 'blackhole', 'unreachable', 'prohibit', 'throw', 'local', 'broadcast', 'multicast', 'nat', 'anycast']);
const DROPS = new Set(['blackhole', 'unreachable', 'prohibit']);

/** `ip -o -4 route show` lines: "[type] dest …". */
export function parseRoutes(text: string): HostRoute[] {
  return text.split('\n').flatMap((l) => {
    const words = l.trim().split(/\s+/);
    const type = TYPES.has(words[0] ?? '') ? words.shift()! : 'unicast';
    const d = words[0];
    if (!d) return [];
    const dest = d === 'default' ? '0.0.0.0/0' : d.includes('/') ? d : `${d}/32`;
    return /^[\d.]+\/\d+$/.test(dest) ? [{ type, dest }] : [];
  });
}

/** This host's IPv4 main routing table (undefined outside a lab host). */
export function hostRoutes(): HostRoute[] | undefined {
  const r = runEmulator('ip', ['-o', '-4', 'route', 'show']);
  return r?.code === 0 ? parseRoutes(r.stdout) : undefined;
}

const toInt = (ip: string) => ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
const covers = (cidr: string, ip: string) => {
  const [net, bits] = cidr.split('/');
  const block = 2 ** (32 - Number(bits));
  return Math.floor(toInt(net!) / block) === Math.floor(toInt(ip) / block);
};

/** The route the kernel picks for `ip`: the longest prefix covering it. */
export function routeFor(routes: readonly HostRoute[], ip: string): HostRoute | undefined {
  return routes.filter((r) => covers(r.dest, ip)).sort((a, b) => Number(b.dest.split('/')[1]) - Number(a.dest.split('/')[1]))[0];
}

export const vtepOf = (n: KubeNode): string => n.status.flannelPublicIp ?? n.internalIP.split(',')[0]!;
const podNetOf = (n: KubeNode): string | undefined => n.podCIDR.split(',')[0]?.split('/')[0] || undefined;

/** Why `from`'s packets do not reach `to`'s VTEP or pod subnet, undefined when they do (routes unknown: assumed fine). */
function oneWay(from: KubeNode, to: KubeNode): string | undefined {
  const routes = from.status.routes;
  if (!routes) return undefined;
  const vtep = vtepOf(to);
  const r = routeFor(routes, vtep);
  if (!r) return `${from.name} has no route to ${to.name}'s VTEP address ${vtep}`;
  if (DROPS.has(r.type)) return `${from.name} has a ${r.type} route ${r.dest} for ${to.name}'s VTEP address ${vtep}`;
  const net = podNetOf(to);
  const p = net ? routeFor(routes, net) : undefined;
  if (p && DROPS.has(p.type)) return `${from.name} has a ${p.type} route ${p.dest} for ${to.name}'s pod subnet ${to.podCIDR.split(',')[0]}`;
  return undefined;
}

/** Why a pod on `a` and a pod on `b` cannot talk (both directions: the answer must come back), or undefined. */
export function podPathProblem(a: KubeNode, b: KubeNode): string | undefined {
  if (a.name === b.name) return undefined;
  return oneWay(a, b) ?? oneWay(b, a);
}

/** The ClusterIP the API server's allocator gives a Service: stable per namespace/name inside serviceSubnet. */
export function clusterIPFor(c: Cluster, svc: KubeObject): string {
  const subnet = String((c.clusterConfiguration.networking as { serviceSubnet?: string } | undefined)?.serviceSubnet ?? '10.96.0.0/12');
  const [net, bits] = subnet.split(',')[0]!.split('/');
  const size = 2 ** (32 - Number(bits));
  const h = createHash('sha256').update(`${svc.metadata?.namespace}/${svc.metadata?.name}`).digest().readUInt32BE(0);
  // past .10 (kube-dns) and below the broadcast address
  const offset = 11 + (h % Math.max(size - 12, 1));
  const n = toInt(net!) + offset;
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/** A Service as listed: spec.clusterIP(s) filled for a ClusterIP Service that does not name one. */
export function withClusterIP(c: Cluster, svc: KubeObject): KubeObject {
  const spec = ((svc as { spec?: object }).spec ?? {}) as { clusterIP?: string; type?: string };
  if (spec.clusterIP || spec.type === 'ExternalName') return svc;
  const ip = clusterIPFor(c, svc);
  return { ...svc, spec: { ...spec, clusterIP: ip, clusterIPs: [ip] } } as KubeObject;
}
