/**
 * Take an etcd snapshot on a control plane, verify it with `snapshot status`, keep it on the node and copy it to
 * the admin machine as <adminDir>/etcd/<stamp>-<node>.db (0600) with a .json record next to it, then apply retention.
 */
import { chmod, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { sh } from '../../transport/command.js';
import type { Transport } from '../../transport/types.js';
import {
  LOCAL_ENDPOINT, etcdctl, missingToolReason, offlineTool, parseEndpointStatus, parseSnapshotStatus, snapshotSaveArgv,
  snapshotStatusArgv, endpointStatusArgv, type SnapshotStatus,
} from '../../etcd/index.js';
import { NODE_ETCD_BACKUP_DIR } from './paths.js';
import { etcdctlMode, runEtcdctl, snapshotTools } from './node.js';

/** Kinds whose keys stand for workloads: counted at backup, checked after a restore. */
export const WORKLOAD_PREFIXES = ['/registry/deployments/', '/registry/statefulsets/', '/registry/daemonsets/'];

export interface SnapshotRecord {
  node: string;
  file: string;
  takenAt: string;
  etcdVersion: string;
  status: SnapshotStatus;
  sha256: string;
  workloads: number;
}

export async function countWorkloads(t: Transport, node: string): Promise<number> {
  let n = 0;
  for (const prefix of WORKLOAD_PREFIXES) {
    const r = await runEtcdctl(t, node, etcdctl(['get', prefix, '--prefix', '--keys-only']));
    n += r.stdout.split('\n').filter((l) => l.trim()).length;
  }
  return n;
}

/** Take, verify and fetch one snapshot. Returns the record (also written as <file>.json on the admin machine). */
export async function takeSnapshot(t: Transport, node: string, stamp: string, localDir: string, remoteDir = NODE_ETCD_BACKUP_DIR): Promise<SnapshotRecord> {
  const name = `${stamp}-${node}.db`;
  const remote = `${remoteDir}/${name}`;
  await t.exec(['install', '-d', '-m', '0700', remoteDir]);
  const viaPod = (await etcdctlMode(t)) === 'pod';
  // Through the pod, the file lands in the etcd data dir (a hostPath mount) and is moved out afterwards.
  const target = viaPod ? `/var/lib/etcd/kubesmith-${name}` : remote;
  await runEtcdctl(t, node, snapshotSaveArgv(target));
  if (viaPod) await t.exec(['mv', target, remote]);
  await t.exec(['chmod', '0600', remote]);

  const tools = await snapshotTools(t);
  const tool = offlineTool(tools);
  if (!tool) throw new Error(`${node}: cannot verify ${remote}: ${missingToolReason(tools)}`);
  const status = parseSnapshotStatus((await t.exec(snapshotStatusArgv(tool, remote), { timeoutMs: 120_000 })).stdout);
  if (status.totalKey <= 0) throw new Error(`${node}: snapshot ${remote} holds no keys`);
  const version = parseEndpointStatus((await runEtcdctl(t, node, endpointStatusArgv([LOCAL_ENDPOINT]))).stdout)[0]?.version ?? '';
  const workloads = await countWorkloads(t, node);

  const bytes = await t.readFile(remote);
  if (!bytes) throw new Error(`${node}: ${remote} vanished before it could be copied`);
  await mkdir(localDir, { recursive: true, mode: 0o700 });
  const local = join(localDir, name);
  await writeFile(local, bytes, { mode: 0o600 });
  await chmod(local, 0o600);
  const record: SnapshotRecord = { node, file: local, takenAt: stamp, etcdVersion: version, status, sha256: createHash('sha256').update(bytes).digest('hex'), workloads };
  await writeFile(local.replace(/\.db$/, '.json'), JSON.stringify(record, null, 2) + '\n', { mode: 0o600 });
  return record;
}

/** Keep the newest `keep` snapshots (names sort by time) in a local dir; returns the removed names. */
export async function pruneLocal(dir: string, keep: number): Promise<string[]> {
  const dbs = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.db')).sort();
  const old = dbs.slice(0, Math.max(0, dbs.length - keep));
  for (const f of old) {
    await rm(join(dir, f), { force: true });
    await rm(join(dir, f.replace(/\.db$/, '.json')), { force: true });
  }
  return old;
}

/** Same retention on the node. */
export async function pruneRemote(t: Transport, keep: number, dir = NODE_ETCD_BACKUP_DIR): Promise<void> {
  const list = (await t.exec(sh`ls -1 -- ${dir} 2>/dev/null | grep '\\.db$' | sort || true`, { allowFailure: true })).stdout.split('\n').filter(Boolean);
  const old = list.slice(0, Math.max(0, list.length - keep)).map((f) => `${dir}/${f}`);
  if (old.length) await t.exec(['rm', '-f', ...old]);
}

/** The newest snapshot record on the admin machine, if any. */
export async function latestLocalSnapshot(dir: string): Promise<string | undefined> {
  const dbs = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.db')).sort();
  const last = dbs[dbs.length - 1];
  return last ? join(dir, last) : undefined;
}
