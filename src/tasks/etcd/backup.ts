import { join } from 'node:path';
import { defineTask, action } from '../common/define.js';
import { adminDir, keepCount, runStamp, NODE_ETCD_BACKUP_DIR } from './paths.js';
import { etcdNodeOf, healthyControlPlane } from './node.js';
import { pruneLocal, pruneRemote, takeSnapshot } from './snapshot.js';

/** `kubesmith etcd backup`: one verified snapshot from a healthy member, copied to the admin machine, with retention. */
export const etcdBackup = defineTask({
  id: 'etcd.backup',
  title: 'Etcd | Snapshot a healthy member, verify it and copy it to the admin machine',
  async plan(ctx) {
    const member = await healthyControlPlane(ctx);
    if (!member)
      throw new Error(
        `no control plane has a healthy etcd member (${ctx.hosts.controlPlanes.map((h) => h.name).join(', ')}): nothing to snapshot`,
      );
    const stamp = runStamp(ctx);
    const local = join(adminDir(ctx), 'etcd');
    const keep = keepCount(ctx);
    return [
      action(
        `snapshot etcd on ${member.name} to ${NODE_ETCD_BACKUP_DIR}/${stamp}-${member.name}.db, verify, copy to ${local}/ (keep ${keep})`,
        async () => {
          const e = etcdNodeOf(ctx, member);
          const rec = await takeSnapshot(e, stamp, local);
          ctx.log(
            `snapshot ${rec.file}: revision ${rec.status.revision}, ${rec.status.totalKey} keys, ${rec.status.totalSize} bytes, ${rec.workloads} workload objects`,
          );
          for (const f of await pruneLocal(local, keep)) ctx.log(`retention: removed ${f}`);
          await pruneRemote(e.t, keep);
        },
      ),
    ];
  },
});
