// Where a Deployment's replicas run. Until something disturbs them, replicas are derived (spread over the Ready,
// schedulable nodes they tolerate). A cordon pins every replica where it runs (cordoning moves nothing, as in a real
// cluster); an eviction or a deletion then replaces one pod by a new one the scheduler puts on another schedulable
// node, which becomes Ready only after its containers started (LAB_POD_START_MS, default 3000 ms): until then the
// Deployment has one available replica less, which is what a PodDisruptionBudget counts.
import { createHash } from 'node:crypto';
import type { Cluster, KubeNode, KubeObject } from './cluster-state.js';
import { objectKey } from './cluster-state.js';
import { labEnv, now } from './lab.js';
import { notReadyReason } from './node-state.js';

export interface Placement {
  pod: string;
  node: string; // "" while no node can take it (Pending, unschedulable)
  since: number; // when it was scheduled: Ready LAB_POD_START_MS later
}

export type Placements = Record<string, Placement[]>; // Deployment object key → its replicas

export const suffix = (seed: string, n: number): string => {
  const h = createHash('sha256').update(seed).digest();
  return Array.from(h.subarray(0, n), (b) => 'bcdfghjklmnpqrstvwxz2456789'[b % 27]).join('');
};

export const tolerates = (obj: KubeObject, n: KubeNode): boolean => {
  const tol = ((obj as any).spec?.template?.spec?.tolerations ?? []) as { key?: string; operator?: string }[];
  return n.taints.every((t) => tol.some((x) => x.operator === 'Exists' && !x.key) || tol.some((x) => x.key === t.key)) && !n.unschedulable;
};

export const podStartMs = (): number => Number(labEnv('LAB_POD_START_MS') ?? 3000);

const placementsOf = (c: Cluster): Placements => (c.placements ??= {});

export interface ReplicaSlot {
  name: string;
  node?: KubeNode | undefined;
  since?: number; // absent: running since the Deployment was created
}

/** The replicas of a Deployment: its pinned placements, then derived ones up to spec.replicas. */
export function replicaSlots(c: Cluster, obj: KubeObject): ReplicaSlot[] {
  const name = obj.metadata?.name ?? '';
  const replicas = Number((obj as any).spec?.replicas ?? 1);
  const rs = suffix(`${name}rs`, 10);
  const pinned = (placementsOf(c)[objectKey('Deployment', obj.metadata?.namespace ?? 'default', name)] ?? []).slice(0, replicas);
  const nodes = Object.values(c.nodes);
  const candidates = nodes.filter((n) => tolerates(obj, n) && !notReadyReason(c, n));
  // a pinned pod whose node is gone (or that found none) goes where the scheduler finds room now
  const slots: ReplicaSlot[] = pinned.map((p) => ({ name: p.pod, node: c.nodes[p.node] ?? candidates[0], since: p.since }));
  const fallback = nodes.filter((n) => tolerates(obj, n) || (name === 'coredns' && !n.unschedulable));
  const pool = candidates.length ? candidates : fallback;
  for (let i = 0; slots.length < replicas; i++) {
    const podName = `${name}-${rs}-${suffix(name + i, 5)}`;
    if (slots.some((s) => s.name === podName)) continue;
    const node = name === 'coredns' && !candidates.length ? undefined : pool[i % Math.max(pool.length, 1)];
    slots.push({ name: podName, node });
  }
  return slots;
}

/** Pin every Deployment's replicas where they run now (before a cordon or an eviction changes the picture). */
export function pinPlacements(c: Cluster): void {
  const all = placementsOf(c);
  for (const [key, obj] of Object.entries(c.objects)) {
    if (obj.kind !== 'Deployment') continue;
    all[key] = replicaSlots(c, obj).map((s) => ({ pod: s.name, node: s.node?.name ?? '', since: s.since ?? 0 }));
  }
}

/** Remove one pod of a Deployment and schedule its replacement on the schedulable node with the fewest replicas. */
export function replacePod(c: Cluster, deploymentKey: string, pod: string): void {
  const obj = c.objects[deploymentKey];
  const list = placementsOf(c)[deploymentKey];
  if (!obj || !list) return;
  const rest = list.filter((p) => p.pod !== pod);
  const load = (n: KubeNode) => rest.filter((p) => p.node === n.name).length;
  const target = Object.values(c.nodes)
    .filter((n) => tolerates(obj, n) && !notReadyReason(c, n))
    .sort((a, b) => load(a) - load(b) || a.name.localeCompare(b.name))[0];
  const name = obj.metadata?.name ?? '';
  rest.push({ pod: `${name}-${suffix(`${name}rs`, 10)}-${suffix(`${pod}/${now()}`, 5)}`, node: target?.name ?? '', since: now() });
  placementsOf(c)[deploymentKey] = rest;
}
