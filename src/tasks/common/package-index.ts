/**
 * The package index (apt-get update / dnf makecache) is refreshed once per change of the repositories, not once
 * per task: a repository task refreshes right after writing its file, and an install later in the same run skips
 * its own refresh on that host. A real `apt-get update` costs seconds to minutes per host, three times per host
 * is what hand-written runbooks do.
 */
import type { TaskContext } from '../../engine/types.js';

const freshKey = (host: string) => `package-index-fresh:${host}`;

/** Refresh the host's package index now, and remember it is fresh for the rest of the run. */
export async function refreshPackageIndex(ctx: TaskContext): Promise<void> {
  await ctx.transport.exec(ctx.host.requireDistro().refreshPackageIndex(), { timeoutMs: 600_000 });
  ctx.run.set(freshKey(ctx.host.name), true);
}

/** Refresh unless this run already did on this host (after its last repository change). */
export async function ensureFreshPackageIndex(ctx: TaskContext): Promise<void> {
  if (ctx.run.get<boolean>(freshKey(ctx.host.name)) === true) {
    ctx.log('package index already refreshed in this run');
    return;
  }
  await refreshPackageIndex(ctx);
}
