import { join } from 'node:path';
import { upgradeRun } from '../../upgrade/options.js';
import { action, defineTask } from '../common/define.js';
import { adminDir, runStamp } from '../etcd/paths.js';
import { etcdNodeOf, healthyControlPlane } from '../etcd/node.js';
import { takeSnapshot } from '../etcd/snapshot.js';
import { backupConfigAction } from '../reset/backup.js';
import { readRecord } from './record.js';

/** "20261207T160812Z-upgrade-v1.34.1": the backup's name says which upgrade it was taken before. */
export const backupName = (stamp: string, target: string) => `${stamp}-upgrade-v${target}`;

/**
 * Before anything changes: a verified etcd snapshot (etcd backup's code) and /etc/kubernetes (PKI, kubeconfigs,
 * manifests; reset's backup code) of the first control plane, both copied to the admin machine under names that carry
 * the upgrade's target. Not taken again by a re-run once the first control plane has started this step.
 */
export const upgradeBackup = defineTask({
  id: 'upgrade.backup',
  title: 'Upgrade | Snapshot etcd and back up the PKI, named after the upgrade, to the admin machine',
  async plan(ctx) {
    const u = upgradeRun(ctx.options);
    if ((await readRecord(ctx.transport, u.target)).done.length > 0) return []; // this step began after its backup
    const member = await healthyControlPlane(ctx);
    if (!member) throw new Error(`no control plane has a healthy etcd member: no snapshot, so the upgrade to ${u.target} does not start`);
    const name = backupName(runStamp(ctx), u.target);
    const local = join(adminDir(ctx), 'etcd');
    return [
      action(`snapshot etcd on ${member.name} (verified) to ${local}/${name}-${member.name}.db`, async () => {
        const rec = await takeSnapshot(etcdNodeOf(ctx, member), name, local);
        ctx.log(`snapshot ${rec.file}: revision ${rec.status.revision}, ${rec.status.totalKey} keys, ${rec.workloads} workload objects`);
      }),
      await backupConfigAction(ctx, name),
    ];
  },
});
