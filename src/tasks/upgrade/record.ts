/**
 * Each node's progress through one upgrade step, kept on the node: /var/lib/kubesmith/upgrade/v<target>.json lists
 * the steps it completed. A re-run (after a failure or a kill -9) reads it and continues after the last completed
 * step; above all it never runs a completed `kubeadm upgrade apply` again. Written after each step, atomically
 * (Transport.writeFile writes a temporary file and renames it).
 */
import type { Transport } from '../../transport/types.js';

export const UPGRADE_RECORD_DIR = '/var/lib/kubesmith/upgrade';

/** A node's upgrade steps, in the order kubeadm's upgrade procedure runs them. */
export const NODE_STEPS = ['repository', 'kubeadm', 'kubeadm-upgrade', 'drain', 'kubelet', 'uncordon'] as const;
export type NodeStep = (typeof NODE_STEPS)[number];

export interface UpgradeRecord {
  target: string;
  done: NodeStep[];
}

export const recordPath = (target: string) => `${UPGRADE_RECORD_DIR}/v${target}.json`;

export function parseRecord(text: string | null, target: string): UpgradeRecord {
  if (!text) return { target, done: [] };
  try {
    const r = JSON.parse(text) as Partial<UpgradeRecord>;
    const done = (Array.isArray(r.done) ? r.done : []).filter((s): s is NodeStep => (NODE_STEPS as readonly string[]).includes(s));
    return { target, done: r.target === target ? done : [] };
  } catch {
    return { target, done: [] }; // a torn record counts as nothing done; every step checks the host's state anyway
  }
}

/** Did this node begin the upgrade and stop before its last step (the uncordon)? */
export const unfinished = (r: UpgradeRecord) => r.done.length > 0 && !r.done.includes('uncordon');

export async function readRecord(t: Transport, target: string): Promise<UpgradeRecord> {
  const buf = await t.readFile(recordPath(target));
  return parseRecord(buf === null ? null : buf.toString('utf8'), target);
}

/**
 * Note in memory that `step` is done (kept in NODE_STEPS order), e.g. when the host shows a step done whose record a
 * kill prevented: the next markDone writes it with its own step.
 */
export function noteDone(record: UpgradeRecord, step: NodeStep): void {
  if (!record.done.includes(step)) record.done = NODE_STEPS.filter((s) => s === step || record.done.includes(s));
}

/** Mark `step` done and write the record. */
export async function markDone(t: Transport, record: UpgradeRecord, step: NodeStep): Promise<void> {
  noteDone(record, step);
  await t.exec(['install', '-d', '-m', '0755', UPGRADE_RECORD_DIR]);
  await t.writeFile(recordPath(record.target), JSON.stringify(record) + '\n', { mode: '0644' });
}
