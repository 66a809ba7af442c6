/**
 * recover.prepare (first control plane): pick the recovery id (re-used when a previous recover was interrupted)
 * and put the two inputs on the node, under /var/lib/kubesmith/recover/<id>/: snapshot.db (--from-snapshot, else a
 * snapshot taken now from a healthy member, else the newest on the admin machine if it is no older than
 * --max-snapshot-age; the plan names it with its age and revision) and etc-kubernetes.tgz (the
 * PKI as it is now, else the newest PKI backup of this host on the admin machine).
 */
import { existsSync, readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { sh } from '../../transport/command.js';
import { defineTask, action } from '../common/define.js';
import { fileExists } from '../common/cluster.js';
import { adminDir, runStamp } from '../etcd/paths.js';
import { etcdNodeOf, healthyControlPlane } from '../etcd/node.js';
import { latestLocalSnapshot, takeSnapshot, verifySnapshot } from '../etcd/snapshot.js';
import { CONFIG_TARBALL } from '../reset/backup.js';
import { CURRENT, recoverDir } from './marker.js';
import { DEFAULT_MAX_SNAPSHOT_AGE_MS, describeSnapshot, formatAge, parseStamp, snapshotInfo } from './snapshot-age.js';
import { ETCD_KEPT_DIR } from '../reset/keep-etcd.js';
import type { TaskContext } from '../../engine/types.js';

export const SNAPSHOT = 'snapshot.db';
export const EXPECTED = 'expected-workloads';

async function latestLocalConfig(ctx: TaskContext): Promise<string | undefined> {
  const base = join(adminDir(ctx), 'backups');
  const stamps = (await readdir(base).catch(() => [] as string[])).sort().reverse();
  return stamps.map((s) => join(base, s, ctx.host.name, CONFIG_TARBALL)).find((f) => existsSync(f));
}

/** Workload count recorded next to a local snapshot (<name>.json), if any. */
function recordedWorkloads(snapshot: string): number | undefined {
  try {
    const n = (JSON.parse(readFileSync(snapshot.replace(/\.db$/, '.json'), 'utf8')) as { workloads?: number }).workloads;
    return typeof n === 'number' ? n : undefined;
  } catch {
    return undefined;
  }
}

/** The run's time (its stamp, so tests can fix it). */
function runTime(ctx: TaskContext): Date {
  return parseStamp(runStamp(ctx)) ?? new Date();
}

/**
 * The newest local snapshot, described (age, revision), when it is no older than options.maxSnapshotAgeMs (default
 * 24h); else an error: with no healthy member the members' own data may be newer, and it is kept, not restored over.
 */
function freshEnough(ctx: TaskContext, file: string): string {
  const info = snapshotInfo(file);
  const now = runTime(ctx);
  const max = typeof ctx.options.maxSnapshotAgeMs === 'number' ? ctx.options.maxSnapshotAgeMs : DEFAULT_MAX_SNAPSHOT_AGE_MS;
  const text = describeSnapshot(info, now);
  if (now.getTime() - info.takenAt.getTime() <= max) return text;
  throw new Error(
    `etcd is not healthy on any control plane and the newest snapshot on this machine, ${text}, is older than --max-snapshot-age ${formatAge(max)}: ` +
      `recover stopped before changing anything. The members' own data may be newer (reset and recover keep it in ${ETCD_KEPT_DIR}/, never delete it). ` +
      `To restore this snapshot anyway, name it: --from-snapshot ${file}; or raise --max-snapshot-age`,
  );
}

export const recoverPrepare = defineTask({
  id: 'recover.prepare',
  title: 'Recover | Choose the etcd snapshot and the PKI backup; keep them on the first control plane',
  async plan(ctx) {
    const t = ctx.transport;
    const current = (await t.readFile(CURRENT))?.toString('utf8').trim();
    if (current && !/^\d{8}T\d{6}Z$/.test(current))
      throw new Error(`${CURRENT} holds ${JSON.stringify(current.slice(0, 40))}, not a recovery id: remove it and re-run`);
    const id = current || runStamp(ctx);
    ctx.run.set('recover.id', id);
    const dir = recoverDir(id);
    const from = typeof ctx.options.fromSnapshot === 'string' ? ctx.options.fromSnapshot : undefined;
    if (from && !existsSync(from)) throw new Error(`--from-snapshot ${from}: no such file on the admin machine`);
    const haveSnapshot = await fileExists(t, `${dir}/${SNAPSHOT}`);
    const haveConfig = await fileExists(t, `${dir}/${CONFIG_TARBALL}`);
    if (current && haveSnapshot && haveConfig && !from) {
      ctx.log(`continuing the interrupted recovery ${id}`);
      return [];
    }

    let snapshotSource: string;
    let takeFrom: string | undefined;
    let localSnapshot: string | undefined = from;
    if (from) snapshotSource = `--from-snapshot ${describeSnapshot(snapshotInfo(from), runTime(ctx))}`;
    else if (haveSnapshot) snapshotSource = `${dir}/${SNAPSHOT} (kept from the interrupted recovery)`;
    else {
      takeFrom = (await healthyControlPlane(ctx))?.name;
      localSnapshot = takeFrom ? undefined : await latestLocalSnapshot(join(adminDir(ctx), 'etcd'));
      if (!takeFrom && !localSnapshot)
        throw new Error(
          'no etcd snapshot: etcd is not healthy on any control plane and the admin machine has none; pass --from-snapshot FILE',
        );
      snapshotSource = takeFrom
        ? `a snapshot taken now on ${takeFrom}`
        : `the newest snapshot on the admin machine, ${freshEnough(ctx, localSnapshot!)}`;
    }
    let configSource: string;
    let localConfig: string | undefined;
    if (haveConfig) configSource = `${dir}/${CONFIG_TARBALL} (kept)`;
    else if (await fileExists(t, '/etc/kubernetes/pki/ca.crt')) configSource = '/etc/kubernetes as it is now';
    else {
      localConfig = await latestLocalConfig(ctx);
      if (!localConfig)
        throw new Error(
          `no PKI on ${ctx.host.name} and no backup of it under ${join(adminDir(ctx), 'backups')}: the cluster CA cannot be kept`,
        );
      configSource = localConfig;
    }

    return [
      action(`recovery ${id}: etcd data from ${snapshotSource}; PKI and kubeadm config from ${configSource}; kept in ${dir}`, async () => {
        await t.exec(['install', '-d', '-m', '0700', dir]);
        const snap = `${dir}/${SNAPSHOT}`;
        if (localSnapshot) {
          await t.upload(localSnapshot, snap, { mode: '0600' });
          const expected = recordedWorkloads(localSnapshot);
          if (expected !== undefined) await t.writeFile(`${dir}/${EXPECTED}`, `${expected}\n`, { mode: '0600' });
        } else if (takeFrom) {
          const host = ctx.hosts.byName(takeFrom)!;
          const rec = await takeSnapshot(etcdNodeOf(ctx, host), runStamp(ctx), join(adminDir(ctx), 'etcd'));
          await t.upload(rec.file, snap, { mode: '0600' });
          await t.writeFile(`${dir}/${EXPECTED}`, `${rec.workloads}\n`, { mode: '0600' });
        }
        const status = await verifySnapshot(etcdNodeOf(ctx), snap);
        ctx.log(`snapshot to restore: revision ${status.revision}, ${status.totalKey} keys`);
        if (localConfig) await t.upload(localConfig, `${dir}/${CONFIG_TARBALL}`, { mode: '0600' });
        else if (!haveConfig) await t.exec(sh`umask 077; tar -czf ${`${dir}/${CONFIG_TARBALL}`} -C / etc/kubernetes`);
        await t.writeFile(CURRENT, `${id}\n`, { mode: '0600' });
      }),
    ];
  },
});
