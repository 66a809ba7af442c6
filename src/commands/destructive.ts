/**
 * Destructive playbook commands (reset, recover, node remove): without --yes they run the playbook as a plan
 * (nothing is written), print exactly what would change and exit 2; with --yes they run it.
 */
import type { CommandContext } from '../cli/context.js';
import { EXIT, UsageError } from '../cli/context.js';
import { stampOf } from '../engine/stamp.js';
import { executePlaybook } from './run-playbook.js';

/** Options every backup-taking playbook reads: where the admin machine keeps backups, one stamp per run. */
export async function backupOptions(ctx: CommandContext): Promise<Record<string, unknown>> {
  return { adminDir: (await ctx.cluster()).adminDir, stamp: stampOf(ctx.now()) };
}

/**
 * Plan without --yes, run with it. `only`: the one host a command's NAME argument names, matched by name only (never
 * as a role); the hosts selected (by NAME or --limit) are printed first.
 */
export async function runDestructive(
  ctx: CommandContext,
  playbook: string,
  what: string,
  options: Record<string, unknown>,
  only?: string,
): Promise<number> {
  const scope = only ? { only: [only], announceScope: true } : { announceScope: true };
  if (!ctx.flags.yes) {
    await executePlaybook(ctx, { playbook, dryRun: true, options, ...scope });
    ctx.out.stderr.write(`${what}: destructive, so nothing was changed. The plan above is what it would do; add --yes to do it.\n`);
    return EXIT.usage;
  }
  const { code } = await executePlaybook(ctx, { playbook, dryRun: false, options, ...scope });
  return code;
}

/** A command that names its one host refuses --limit: the name alone says what it touches. */
export function refuseLimit(ctx: CommandContext, what: string): void {
  if (ctx.flags.limit) throw new UsageError(`${what} touches only the host it names: drop --limit ${ctx.flags.limit.join(',')}`);
}
