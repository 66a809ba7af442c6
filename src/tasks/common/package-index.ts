/**
 * The package index (apt-get update / dnf makecache) is refreshed once per run, right before the first install
 * that needs it, not once per repository: the repository tasks only write their files (and mark the index stale),
 * and come first in the playbook, so one refresh sees them all. A real `apt-get update` costs seconds to minutes
 * per host; hand-written runbooks run it after every repository they add.
 */
import type { TaskContext } from '../../engine/types.js';
import type { Command } from '../../transport/command.js';

const freshKey = (host: string) => `package-index-fresh:${host}`;

/** A repository file changed on this host: the next install refreshes the index first. */
export function markPackageIndexStale(ctx: TaskContext): void {
  ctx.run.set(freshKey(ctx.host.name), false);
}

/** Refresh the host's package index unless this run already did after its last repository change. */
export async function ensureFreshPackageIndex(ctx: TaskContext): Promise<void> {
  if (ctx.run.get<boolean>(freshKey(ctx.host.name)) === true) return;
  ctx.log('refreshing the package index');
  await ctx.transport.exec(ctx.host.requireDistro().refreshPackageIndex(), { timeoutMs: 600_000 });
  ctx.run.set(freshKey(ctx.host.name), true);
}

/**
 * The refresh as a step of a commandAction: the command while a refresh is still due on this host, else none. The
 * index counts as fresh from here on: the step runs before the install that follows it, and a failed step fails the
 * host for the rest of the run.
 */
export function packageIndexRefreshStep(ctx: TaskContext): Command[] {
  if (ctx.run.get<boolean>(freshKey(ctx.host.name)) === true) return [];
  ctx.log('refreshing the package index');
  ctx.run.set(freshKey(ctx.host.name), true);
  return [ctx.host.requireDistro().refreshPackageIndex()];
}
