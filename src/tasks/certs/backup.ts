/**
 * Certs | Back up /etc/kubernetes (and /root/.kube/config, the kubelet's /var/lib/kubelet/pki) on the node, mode 0600 under /var/backups/kubesmith/<stamp>/,
 * and keep a copy on the admin machine under .kubesmith/<cluster>/backups/<stamp>/<node>/ (0600, directories 0700).
 * The archive holds private keys: it is read with the transport's unlogged file read and never printed.
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Task, TaskContext } from '../../engine/types.js';
import { sh } from '../../transport/command.js';
import { BACKUP_ROOT, backupFile, certsOptions } from './options.js';
import { manifestsBackScript } from './restart.js';

export function localBackupPath(ctx: TaskContext): string {
  return join(certsOptions(ctx).localBackupDir, ctx.host.name, 'etc-kubernetes.tar.gz');
}

export async function takeBackup(ctx: TaskContext): Promise<void> {
  const { stamp } = certsOptions(ctx);
  const file = backupFile(stamp);
  const r = await ctx.transport.exec(sh`set -e
umask 077
mkdir -p ${`${BACKUP_ROOT}/${stamp}`}
chmod 0700 ${BACKUP_ROOT} ${`${BACKUP_ROOT}/${stamp}`}
extra=; [ -e /root/.kube/config ] && extra=root/.kube/config
[ -d /var/lib/kubelet/pki ] && extra="$extra var/lib/kubelet/pki"
tar -czf ${file} -C / etc/kubernetes $extra
chmod 0600 ${file}
sha256sum ${file}`);
  const remoteSum = r.stdout.trim().split(/\s+/)[0];
  const bytes = await ctx.transport.readFile(file);
  if (!bytes) throw new Error(`${file} vanished right after it was written on ${ctx.host.name}`);
  const localSum = createHash('sha256').update(bytes).digest('hex');
  if (localSum !== remoteSum)
    throw new Error(`backup copy of ${file} from ${ctx.host.name} is corrupt (sha256 ${localSum} ≠ ${remoteSum})`);
  const local = localBackupPath(ctx);
  for (const dir of [certsOptions(ctx).localBackupDir, join(certsOptions(ctx).localBackupDir, ctx.host.name)]) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
  }
  await writeFile(local, bytes, { mode: 0o600 });
  await chmod(local, 0o600);
  ctx.log(`backup ${file} (sha256 ${localSum}) copied to ${local}`);
}

/** Put the node back exactly as backed up: manifests back in place, then the archive over /. */
export async function restoreBackup(ctx: TaskContext): Promise<void> {
  const file = backupFile(certsOptions(ctx).stamp);
  await ctx.transport.exec(manifestsBackScript());
  await ctx.transport.exec(sh`set -e; test -s ${file}; tar -xzf ${file} -C /`);
}

export const certsBackup: Task = {
  id: 'certs.backup',
  title: "Certs | Back up /etc/kubernetes and the kubelet's certificates on the node and on the admin machine",
  async check(ctx) {
    const { stamp } = certsOptions(ctx);
    return {
      status: 'change',
      changes: [
        {
          summary: `archive /etc/kubernetes and /var/lib/kubelet/pki to ${backupFile(stamp)} (0600) and copy it to ${localBackupPath(ctx)}`,
        },
      ],
    };
  },
  async apply(ctx) {
    await takeBackup(ctx);
  },
};
