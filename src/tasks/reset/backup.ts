import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sh } from '../../transport/command.js';
import { defineTask, action, type Action } from '../common/define.js';
import { adminDir, runStamp, NODE_BACKUP_DIR } from '../etcd/paths.js';
import { etcdNodeOf, localEtcdHealthy } from '../etcd/node.js';
import { takeSnapshot } from '../etcd/snapshot.js';
import { doneInRecovery } from '../recover/marker.js';
import type { TaskContext } from '../../engine/types.js';

export const CONFIG_TARBALL = 'etc-kubernetes.tgz';

/** Back up /etc/kubernetes (PKI, kubeconfigs, manifests, kubesmith's kubeadm config) and root's kubeconfig. */
export async function backupConfigAction(ctx: TaskContext, stamp: string): Promise<Action> {
  const t = ctx.transport;
  const remoteDir = `${NODE_BACKUP_DIR}/${stamp}`;
  const remote = `${remoteDir}/${CONFIG_TARBALL}`;
  const localDir = join(adminDir(ctx), 'backups', stamp, ctx.host.name);
  return action(`back up /etc/kubernetes (PKI, kubeconfigs, kubeadm config) to ${remote} and ${localDir}/`, async () => {
    await t.exec(['install', '-d', '-m', '0700', remoteDir]);
    await t.exec(sh`umask 077; tar -czf ${remote} -C / etc/kubernetes $(test -e /root/.kube/config && echo root/.kube/config)`);
    const bytes = await t.readFile(remote);
    if (!bytes || bytes.length === 0) throw new Error(`${ctx.host.name}: ${remote} is empty`);
    await mkdir(localDir, { recursive: true, mode: 0o700 });
    await writeFile(join(localDir, CONFIG_TARBALL), bytes, { mode: 0o600 });
    await chmod(join(localDir, CONFIG_TARBALL), 0o600);
    ctx.run.set(`backup.config.${ctx.host.name}`, join(localDir, CONFIG_TARBALL));
  });
}

export const resetBackup = defineTask({
  id: 'reset.backup',
  title: 'Reset | Back up PKI, kubeconfigs, kubeadm config and an etcd snapshot first',
  async plan(ctx) {
    if (await doneInRecovery(ctx, 'reset')) return [];
    const t = ctx.transport;
    const present = await t.exec(['sh', '-c', 'ls /etc/kubernetes/pki/ca.crt /etc/kubernetes/kubelet.conf /etc/kubernetes/admin.conf 2>/dev/null'], { allowFailure: true });
    if (!present.stdout.trim()) return { skip: 'no kubeadm configuration on this host: nothing to back up' };
    const stamp = runStamp(ctx);
    const actions = [await backupConfigAction(ctx, stamp)];
    if (ctx.host.isControlPlane) {
      const etcd = etcdNodeOf(ctx);
      if (await localEtcdHealthy(etcd)) {
        const local = join(adminDir(ctx), 'etcd');
        actions.push(
          action(`snapshot this etcd member to /var/backups/kubesmith/etcd/${stamp}-${ctx.host.name}.db and ${local}/ (verified)`, async () => {
            const rec = await takeSnapshot(etcd, stamp, local);
            ctx.run.set(`backup.snapshot.${ctx.host.name}`, rec);
            ctx.log(`snapshot ${rec.file}: revision ${rec.status.revision}, ${rec.status.totalKey} keys`);
          }),
        );
      } else {
        ctx.log('etcd member not healthy: no snapshot taken from this host');
      }
    }
    return actions;
  },
});
