/** Writes a kubesmith inventory (apiVersion kubesmith.io/v1alpha1) that targets a lab instance. */
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { hostIp6 } from './paths.js';

export interface InventoryOverrides {
  controlPlanes: string[];
  workers: string[];
  /** SSH login user: root (default) or the sudo user kube. */
  user?: 'root' | 'kube';
  /** Merged into `spec` (top-level keys replace, objects one level deep are merged). */
  extra?: Record<string, unknown>;
  /** metadata.name (default: the lab's name). */
  clusterName?: string;
  /** Dual-stack: every host also gets address6, its IPv6 address on the lab network (paths.ts hostIp6). */
  dualStack?: boolean;
}

export interface InventoryTarget {
  name: string;
  keyPath: string;
  knownHostsPath: string;
  hosts: ReadonlyArray<{ name: string; ip: string }>;
}

export function buildInventory(lab: InventoryTarget, o: InventoryOverrides): Record<string, unknown> {
  const known = new Set(lab.hosts.map((h) => h.name));
  for (const n of [...o.controlPlanes, ...o.workers]) {
    if (!known.has(n)) throw new Error(`lab ${lab.name}: no host named ${n} (hosts: ${[...known].join(', ')})`);
  }
  const hosts = lab.hosts
    .filter((h) => o.controlPlanes.includes(h.name) || o.workers.includes(h.name))
    .map((h) => ({
      name: h.name,
      address: h.ip,
      ...(o.dualStack ? { address6: hostIp6(h.ip) } : {}),
      roles: [...(o.controlPlanes.includes(h.name) ? ['control-plane'] : []), ...(o.workers.includes(h.name) ? ['worker'] : [])],
    }));
  const ssh = { user: o.user ?? 'root', keyPath: lab.keyPath, knownHostsPath: lab.knownHostsPath, hostKeyPolicy: 'strict' };
  const spec: Record<string, unknown> = { ssh, hosts };
  for (const [k, v] of Object.entries(o.extra ?? {})) {
    const cur = spec[k];
    spec[k] = isObject(cur) && isObject(v) ? { ...cur, ...v } : v;
  }
  return { apiVersion: 'kubesmith.io/v1alpha1', kind: 'Cluster', metadata: { name: o.clusterName ?? lab.name }, spec };
}

export function writeInventoryFile(path: string, lab: InventoryTarget, o: InventoryOverrides): void {
  writeFileSync(path, stringify(buildInventory(lab, o), { lineWidth: 0 }));
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
