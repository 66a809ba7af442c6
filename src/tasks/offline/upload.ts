import { defineTask, action } from '../common/define.js';
import { sh } from '../../transport/command.js';
import { onlyOffline } from '../common/gates.js';
import type { Transport } from '../../transport/types.js';
import type { BundleFile } from '../../bundle/manifest.js';
import { join } from 'node:path';
import { filesFor, remotePath, runBundle, type OpenBundle } from './bundle.js';
import { resumableUpload } from './resumable-upload.js';

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

async function uploadAll(t: Transport, bundle: OpenBundle, files: BundleFile[], log: (m: string) => void): Promise<void> {
  const queue = [...files];
  let moved = 0;
  const started = Date.now();
  const worker = async () => {
    for (let f = queue.shift(); f; f = queue.shift()) {
      const t0 = Date.now();
      let next = 0.25;
      const r = await resumableUpload(t, join(bundle.dir, f.path), remotePath(f), {
        size: f.size,
        sha256: f.sha256,
        mode: f.kind === 'binary' ? '0755' : '0644',
        onProgress: (done, total) => {
          if (total > 64 * 1048576 && done / total >= next) {
            log(`${f.path}: ${Math.round((done / total) * 100)}% (${mib(done / (Math.max(1, Date.now() - t0) / 1000))}/s)`);
            next += 0.25;
          }
        },
      });
      moved += r.sent;
      const s = Math.max(1, Date.now() - t0) / 1000;
      log(`${f.path}: ${mib(r.sent)} in ${s.toFixed(1)}s (${mib(r.sent / s)}/s)${r.resumedAt ? `, resumed at byte ${r.resumedAt}` : ''}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(UPLOADS_PER_HOST, files.length) }, worker));
  log(`uploaded ${mib(moved)} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}

/**
 * Put on each host exactly the bundle files it needs (its platform's image archives, its distro family's packages
 * or else the binaries), skipping every file whose sha256 already matches: a second run moves 0 bytes. An upload cut
 * off midway resumes from the bytes already on the host (resumable-upload.ts).
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
    const missing = files.filter((f) => sums.get(remotePath(f)) !== f.sha256);
    if (missing.length === 0) return [];
    const bytes = missing.reduce((n, f) => n + f.size, 0);
    return [
      action(`upload ${missing.length} of ${files.length} bundle files (${mib(bytes)}) to /var/lib/kubesmith/bundle`, () =>
        uploadAll(ctx.transport, bundle, missing, (m) => ctx.log(m)),
      ),
    ];
  },
});
