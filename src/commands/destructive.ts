
import type { CommandContext } from '../cli/context.js';
import { EXIT } from '../cli/context.js';
import { stampOf } from '../engine/stamp.js';
import { executePlaybook, } from './run-playbook.js';

/** Options every backup-taking playbook reads: where the admin machine keeps backups, one stamp per run. */
export async function backupOptions(ctx: CommandContext): Promise<Record<string, unknown>> {
  return { adminDir: (await ctx.cluster()).adminDir, stamp: stampOf(ctx.now()) };
}

export async function runDestructive(ctx: CommandContext, playbook: string, what: string, options: Record<string, unknown>): Promise<number> {
  if (!ctx.flags.yes) {
    await executePlaybook(ctx, { playbook, dryRun: true, options });
    ctx.out.stderr.write(`${what}: destructive, so nothing was changed. The plan above is what it would do; add --yes to do it.\n`);
    return EXIT.usage;
  }
  const { code } = await executePlaybook(ctx, { playbook, dryRun: false, options });
  return code;
}

/** Run on one host only: the command's own --limit. */
export function limitedTo(ctx: CommandContext, host: string): CommandContext {
  return { ...ctx, flags: { ...ctx.flags, limit: [host] } };
}
