/** What `kubesmith certs renew|distribute` passes to its tasks through ctx.options. */
import type { TaskContext } from '../../engine/types.js';
import type { RestartOptions } from './restart.js';
import { API_SERVER_PORT } from '../../inventory/derived.js';

export interface CertsRunOptions {
  /** One timestamp per run: names the backup directory on nodes and on the admin machine. */
  stamp: string;
  /** Absolute admin-machine directory for this run's backups: <root>/<node>/etc-kubernetes.tar.gz. */
  localBackupDir: string;
  /** Seconds the manifests stay out of /etc/kubernetes/manifests (kubelet fileCheckFrequency, default 20). */
  offSeconds: number;
  healthTimeoutSeconds: number;
  /** Filled by the tasks: what state each control plane is in, for the final report. */
  states: Map<string, string>;
  /** certs distribute: take the shared files from this node instead of the majority. */
  from?: string;
}

export function certsOptions(ctx: Pick<TaskContext, 'options'>): CertsRunOptions {
  const o = ctx.options.certs as CertsRunOptions | undefined;
  if (!o) throw new Error('certs tasks run only from `kubesmith certs renew|distribute|rotate-ca` (missing run options)');
  return o;
}

export const BACKUP_ROOT = '/var/backups/kubesmith';
export const backupFile = (stamp: string) => `${BACKUP_ROOT}/${stamp}/etc-kubernetes.tar.gz`;

/** https://<internal address>:6443 — this node's own API server (kubeadm's default bind port). */
export function localApiServer(address: string): string {
  return `https://${address.includes(':') ? `[${address}]` : address}:${API_SERVER_PORT}`;
}

/** How this node's static pods are restarted, with the command's wait settings (--restart-wait, --health-timeout). */
export function restartOptions(ctx: TaskContext, o: { offSeconds: number; healthTimeoutSeconds: number }): RestartOptions {
  return {
    node: ctx.host.name,
    apiServer: localApiServer(ctx.host.internalAddress),
    offSeconds: o.offSeconds,
    healthTimeoutSeconds: o.healthTimeoutSeconds,
    signal: ctx.signal,
    log: (m) => ctx.log(m),
  };
}
