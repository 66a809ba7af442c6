/** Values derived from an inventory that rules and later layers must agree on (one definition each). */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { HostSpec, InventorySpec } from './schema.js';

/** Kubernetes minors kubesmith accepts, and the narrower range it is tested with (kubeadm v1beta4 era). */
export const SUPPORTED_MINORS = { min: 24, max: 36 } as const;
export const TESTED_MINORS = { min: 31, max: 36 } as const;

export interface KubeVersion {
  major: number;
  minor: number;
  patch: number;
}

/** "1.34.1" or "v1.34.1" → {1, 34, 1}; undefined when malformed. */
export function parseKubeVersion(text: string): KubeVersion | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

export const controlPlanes = (spec: InventorySpec): HostSpec[] => spec.hosts.filter((h) => h.roles.includes('control-plane'));

/** The API endpoint port kubeadm uses when the endpoint has none. */
export const API_SERVER_PORT = 6443;

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
  return undefined;
}

/** "host:port" / "[v6]:port" / "host" → host part. */
export function endpointHost(endpoint: string): string {
  const bracketed = /^\[([^\]]+)\]/.exec(endpoint);
  if (bracketed) return bracketed[1]!;
  return endpoint.replace(/:\d+$/, '');
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
