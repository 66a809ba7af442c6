/** Where backups live: on the node under /var/backups/kubesmith, on the admin machine under .kubesmith/<cluster>/. */
import { resolve } from 'node:path';
import { stampOf } from '../../engine/stamp.js';
import type { TaskContext } from '../../engine/types.js';

export const NODE_BACKUP_DIR = '/var/backups/kubesmith';
export const NODE_ETCD_BACKUP_DIR = `${NODE_BACKUP_DIR}/etcd`;

/** The admin machine's directory for this cluster (the command passes options.adminDir; default ./.kubesmith/<cluster>). */
export function adminDir(ctx: Pick<TaskContext, 'options' | 'inventory'>): string {
  const dir = ctx.options.adminDir;
  return typeof dir === 'string' && dir ? dir : resolve('.kubesmith', ctx.inventory.metadata.name);
}

/** One timestamp per run (options.stamp from the command), e.g. 20261127T042250Z. */
export function runStamp(ctx: Pick<TaskContext, 'options'>): string {
  const s = ctx.options.stamp;
  return typeof s === 'string' && s ? s : stampOf(new Date());
}

export { stampOf };

/** Snapshots kept on the admin machine: options.keep (default 7). */
export function keepCount(ctx: Pick<TaskContext, 'options'>): number {
  const k = Number(ctx.options.keep);
  return Number.isInteger(k) && k > 0 ? k : 7;
}
