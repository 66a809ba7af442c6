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
  ETCD_DATA_DIR,
  LOCAL_ENDPOINT,
  etcdctl,
  missingToolReason,
  offlineTool,
  parseEndpointStatus,
  parseSnapshotStatus,
  snapshotSaveArgv,
  snapshotStatusArgv,
  endpointStatusArgv,
  type SnapshotStatus,
} from '../../etcd/index.js';
import { NODE_ETCD_BACKUP_DIR } from './paths.js';
import { runEtcdctl, runOffline, snapshotTools, type EtcdNode } from './node.js';

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

export async function countWorkloads(e: EtcdNode): Promise<number> {
  let n = 0;
  for (const prefix of WORKLOAD_PREFIXES) {
    const r = await runEtcdctl(e, etcdctl(['get', prefix, '--prefix', '--keys-only']));
    n += r.stdout.split('\n').filter((l) => l.trim()).length;
  }
  return n;
}

/** `snapshot status` of a file under /var/lib with the etcd image's tool; throws unless it holds keys. */
export async function verifySnapshot(e: EtcdNode, file: string): Promise<SnapshotStatus> {
  const tools = await snapshotTools(e);
  const tool = offlineTool(tools);
  if (!tool) throw new Error(`${e.node}: cannot verify ${file}: ${missingToolReason(tools)}`);
  const status = parseSnapshotStatus((await runOffline(e, snapshotStatusArgv(tool, file), { timeoutMs: 120_000 })).stdout);
  if (status.totalKey <= 0) throw new Error(`${e.node}: snapshot ${file} holds no keys`);
  return status;
}

/** Take, verify and fetch one snapshot. Returns the record (also written as <file>.json on the admin machine). */
export async function takeSnapshot(
  e: EtcdNode,
  stamp: string,
  localDir: string,
  remoteDir = NODE_ETCD_BACKUP_DIR,
): Promise<SnapshotRecord> {
  const { t, node } = e;
  const name = `${stamp}-${node}.db`;
  const remote = `${remoteDir}/${name}`;
  await t.exec(['install', '-d', '-m', '0700', remoteDir]);
  // etcdctl runs in the etcd pod: the file lands in the data dir (the pod's hostPath mount), is verified there by the
  // image's offline tool (which sees /var/lib), and only then moved out as the backup.
  const target = `${ETCD_DATA_DIR}/kubesmith-${name}`;
  await runEtcdctl(e, snapshotSaveArgv(target));
  let status: SnapshotStatus;
  try {
    status = await verifySnapshot(e, target);
  } catch (err) {
    await t.exec(['rm', '-f', '--', target], { allowFailure: true });
    throw err;
  }
  await t.exec(['mv', target, remote]);
  await t.exec(['chmod', '0600', remote]);
  const version = parseEndpointStatus((await runEtcdctl(e, endpointStatusArgv([LOCAL_ENDPOINT]))).stdout)[0]?.version ?? '';
  const workloads = await countWorkloads(e);

  const bytes = await t.readFile(remote);
  if (!bytes) throw new Error(`${node}: ${remote} vanished before it could be copied`);
  await mkdir(localDir, { recursive: true, mode: 0o700 });
  const local = join(localDir, name);
  await writeFile(local, bytes, { mode: 0o600 });
  await chmod(local, 0o600);
  const record: SnapshotRecord = {
    node,
    file: local,
    takenAt: stamp,
    etcdVersion: version,
    status,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    workloads,
  };
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
  const list = (await t.exec(sh`ls -1 -- ${dir} 2>/dev/null | grep '\\.db$' | sort || true`, { allowFailure: true })).stdout
    .split('\n')
    .filter(Boolean);
  const old = list.slice(0, Math.max(0, list.length - keep)).map((f) => `${dir}/${f}`);
  if (old.length) await t.exec(['rm', '-f', ...old]);
}

/** The newest snapshot record on the admin machine, if any. */
export async function latestLocalSnapshot(dir: string): Promise<string | undefined> {
  const dbs = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.db')).sort();
  const last = dbs[dbs.length - 1];
  return last ? join(dir, last) : undefined;
}
