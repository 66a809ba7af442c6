import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sh } from '../../transport/command.js';
import { defineTask, action, type Action } from '../common/define.js';
import { adminDir, runStamp, NODE_BACKUP_DIR } from '../etcd/paths.js';
import { etcdNodeOf, localEtcdHealthy } from '../etcd/node.js';
import { latestLocalSnapshot, takeSnapshot } from '../etcd/snapshot.js';
import { describeSnapshot, parseStamp, snapshotInfo } from '../recover/snapshot-age.js';
import { keptDir } from './keep-etcd.js';
import type { Host } from '../../model/host.js';
import { doneInRecovery, recoverId } from '../recover/marker.js';
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

/** One value per run and key, shared by the hosts of a step (health checks, a snapshot taken through another host). */
function oncePerRun<T>(ctx: TaskContext, key: string, make: () => Promise<T>): Promise<T> {
  let p = ctx.run.get<Promise<T>>(key);
  if (!p) ctx.run.set(key, (p = make()));
  return p;
}

const memberHealthy = (ctx: TaskContext, host: Host) =>
  oncePerRun(ctx, `reset.etcd-healthy.${host.name}`, () => localEtcdHealthy(etcdNodeOf(ctx, host)).catch(() => false));

/**
 * A control plane's etcd data is snapshotted (verified) before its reset: through its own member when healthy, else
 * through another control plane's healthy member (one snapshot per member and run). With no healthy member the reset
 * stops here, before anything changes, unless options.withoutFreshSnapshot (--without-fresh-snapshot): the operator
 * accepts restoring from an older snapshot or from the data reset.node keeps in /var/lib/etcd-kept. In a recovery
 * recover.prepare has chosen the data already: only a healthy own member is snapshotted.
 */
async function snapshotFirst(ctx: TaskContext, stamp: string): Promise<Action[]> {
  const local = join(adminDir(ctx), 'etcd');
  const own = await memberHealthy(ctx, ctx.host);
  if (!own && recoverId(ctx)) {
    ctx.log('etcd member not healthy: no snapshot taken from this host (recover.prepare chose the data to restore)');
    return [];
  }
  const via = own ? ctx.host : await firstHealthy(ctx);
  if (via) {
    const through =
      via === ctx.host ? 'this etcd member' : `the etcd cluster through ${via.name}'s healthy member (this host's is not healthy)`;
    return [
      action(`snapshot ${through} to /var/backups/kubesmith/etcd/${stamp}-${via.name}.db and ${local}/ (verified)`, async () => {
        const rec = await oncePerRun(ctx, `reset.snapshot.${via.name}`, () => takeSnapshot(etcdNodeOf(ctx, via), stamp, local));
        ctx.run.set(`backup.snapshot.${ctx.host.name}`, rec);
        ctx.log(`snapshot ${rec.file}: revision ${rec.status.revision}, ${rec.status.totalKey} keys`);
      }),
    ];
  }
  const kept = `${keptDir(ctx.host.name, stamp)}/member`;
  if (ctx.options.withoutFreshSnapshot === true) {
    ctx.log(`no healthy etcd member: no fresh snapshot (accepted by --without-fresh-snapshot); this host's etcd data is kept in ${kept}`);
    return [];
  }
  const newest = await latestLocalSnapshot(local);
  const older = newest
    ? `the newest snapshot on this machine is ${describeSnapshot(snapshotInfo(newest), parseStamp(stamp) ?? new Date())}`
    : `this machine holds no snapshot in ${local}`;
  throw new Error(
    `etcd is not healthy on ${ctx.host.name} nor on any other control plane: no fresh snapshot can be taken, so reset stopped before changing anything (${older}). ` +
      `Bring etcd back, or add --without-fresh-snapshot to accept restoring from an older snapshot or from the etcd data reset keeps in ${kept}`,
  );
}

async function firstHealthy(ctx: TaskContext): Promise<Host | undefined> {
  for (const cp of ctx.hosts.controlPlanes) if (cp !== ctx.host && (await memberHealthy(ctx, cp))) return cp;
  return undefined;
}

export const resetBackup = defineTask({
  id: 'reset.backup',
  title: 'Reset | Back up PKI, kubeconfigs, kubeadm config and a verified etcd snapshot first (none possible: stop)',
  async plan(ctx) {
    if (await doneInRecovery(ctx, 'reset')) return [];
    const t = ctx.transport;
    const present = await t.exec(
      ['sh', '-c', 'ls /etc/kubernetes/pki/ca.crt /etc/kubernetes/kubelet.conf /etc/kubernetes/admin.conf 2>/dev/null'],
      { allowFailure: true },
    );
    if (!present.stdout.trim()) return { skip: 'no kubeadm configuration on this host: nothing to back up' };
    const stamp = runStamp(ctx);
    const actions = [await backupConfigAction(ctx, stamp)];
    if (ctx.host.isControlPlane) actions.push(...(await snapshotFirst(ctx, stamp)));
    return actions;
  },
});
