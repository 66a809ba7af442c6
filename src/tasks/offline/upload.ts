import { defineTask, action } from '../common/define.js';
import { sh } from '../../transport/command.js';
import { onlyOffline } from '../common/gates.js';
import type { Transport } from '../../transport/types.js';
import type { BundleFile } from '../../bundle/manifest.js';
import { join } from 'node:path';
import { filesFor, remotePath, runBundle, type OpenBundle } from './bundle.js';
import { resumableUpload } from './resumable-upload.js';
import { peerCopy } from './peer-copy.js';
import { Distribution, type Grant } from '../../bundle/distribution.js';
import type { TaskContext } from '../../engine/types.js';

/** Uploads in flight per host (each is one SSH channel; the pool caps channels too). */
export const UPLOADS_PER_HOST = 2;

/** sha256 of the files that exist on the host, by remote path. */
export async function remoteSums(t: Transport, paths: string[]): Promise<Map<string, string>> {
  const out = await t.exec(sh`sha256sum -- ${paths} 2>/dev/null; true`, { allowFailure: true, timeoutMs: 600_000 });
  const sums = new Map<string, string>();
  for (const line of out.stdout.split('\n')) {
    const m = /^([a-f0-9]{64}) [ *](.+)$/.exec(line.trim());
    if (m) sums.set(m[2]!, m[1]!);
  }
  return sums;
}

const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
const fileMode = (f: BundleFile) => (f.kind === 'binary' ? '0755' : '0644');

const DISTRIBUTION = 'offline.distribution';

/** The run's one distribution plan (src/bundle/distribution.ts), shared by every host's upload. */
export function runDistribution(ctx: TaskContext): Distribution {
  let d = ctx.run.get<Distribution>(DISTRIBUTION);
  if (!d) ctx.run.set(DISTRIBUTION, (d = new Distribution({ servesPerHolder: UPLOADS_PER_HOST })));
  return d;
}

function fromAdmin(ctx: TaskContext, bundle: OpenBundle, f: BundleFile, log: (m: string) => void) {
  const t0 = Date.now();
  let next = 0.25;
  return resumableUpload(ctx.transport, join(bundle.dir, f.path), remotePath(f), {
    size: f.size,
    sha256: f.sha256,
    mode: fileMode(f),
    onProgress: (done, total) => {
      if (total > 64 * 1048576 && done / total >= next) {
        log(`${f.path}: ${Math.round((done / total) * 100)}% (${mib(done / (Math.max(1, Date.now() - t0) / 1000))}/s)`);
        next += 0.25;
      }
    },
  });
}

function fromPeer(ctx: TaskContext, holder: string, f: BundleFile): Promise<void> {
  const host = ctx.hosts.byName(holder);
  if (!host) throw new Error(`${holder} is not in the inventory`);
  return peerCopy(
    { t: ctx.transportFor(host), address: host.internalAddress },
    { t: ctx.transport, address: ctx.host.internalAddress },
    remotePath(f),
    { size: f.size, sha256: f.sha256, mode: fileMode(f) },
  );
}

/** One file by its grant; false when a peer failed (the file goes back to `wanted`: the admin machine sends it next). */
async function fetchOne(ctx: TaskContext, bundle: OpenBundle, f: BundleFile, g: Grant, log: (m: string) => void) {
  const t0 = Date.now();
  const took = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
  if (g.source.kind === 'admin') {
    const r = await fromAdmin(ctx, bundle, f, log);
    log(`${f.path}: ${mib(r.sent)} from the admin machine in ${took()}${r.resumedAt ? `, resumed at byte ${r.resumedAt}` : ''}`);
    return r.sent;
  }
  await fromPeer(ctx, g.source.host, f);
  log(`${f.path}: ${mib(f.size)} from ${g.source.host} in ${took()}`);
  return 0;
}

/** Every missing file, each from a peer holding it when one is free, else from the admin machine (once per file). */
async function distribute(ctx: TaskContext, bundle: OpenBundle, files: BundleFile[], log: (m: string) => void): Promise<void> {
  const dist = runDistribution(ctx);
  const me = ctx.host.name;
  const byPath = new Map(files.map((f) => [f.path, f]));
  const wanted = files.map((f) => f.path);
  let adminBytes = 0;
  const started = Date.now();
  const worker = async () => {
    for (let g = await dist.next(me, wanted, ctx.signal); g; g = await dist.next(me, wanted, ctx.signal)) {
      const f = byPath.get(g.file)!;
      try {
        adminBytes += await fetchOne(ctx, bundle, f, g, log);
        dist.done(g, me, true);
      } catch (e) {
        dist.done(g, me, false);
        if (g.source.kind === 'admin') throw e;
        log(`${f.path}: ${e instanceof Error ? e.message : String(e)}; taking it from the admin machine`);
        wanted.push(g.file);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(UPLOADS_PER_HOST, files.length) }, worker));
  log(`${files.length} files in ${((Date.now() - started) / 1000).toFixed(1)}s, ${mib(adminBytes)} of them from the admin machine`);
}

/**
 * Put on each host exactly the bundle files it needs (its platform's image archives, its distro family's packages
 * or else the binaries), skipping every file whose sha256 already matches: a second run moves 0 bytes. The admin
 * machine sends each file about once: hosts holding a verified copy serve the next hosts over the cluster network
 * (peer-copy.ts, planned by src/bundle/distribution.ts), and a failed peer sends the receiver back to the admin
 * machine. A transfer cut off midway resumes from the bytes already on the host (resumable-upload.ts).
 */
export const offlineUpload = defineTask({
  id: 'offline.upload',
  title: 'Offline | Upload the bundle files this host needs (checksum skip)',
  skip: onlyOffline,
  async plan(ctx) {
    const bundle = await runBundle(ctx);
    const need = filesFor(bundle, ctx.host);
    const files = [...need.images, ...need.packages, ...need.binaries];
    const sums = await remoteSums(ctx.transport, files.map(remotePath));
    const dist = runDistribution(ctx);
    for (const f of files) if (sums.get(remotePath(f)) === f.sha256) dist.holds(f.path, ctx.host.name);
    const missing = files.filter((f) => sums.get(remotePath(f)) !== f.sha256);
    if (missing.length === 0) return [];
    const bytes = missing.reduce((n, f) => n + f.size, 0);
    return [
      action(
        `upload ${missing.length} of ${files.length} bundle files (${mib(bytes)}) to /var/lib/kubesmith/bundle (from a peer holding them, else the admin machine)`,
        () => distribute(ctx, bundle, missing, (m) => ctx.log(m)),
      ),
    ];
  },
});
