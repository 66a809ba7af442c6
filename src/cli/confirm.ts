import { UsageError, type CommandContext } from './context.js';

/**
 * Destructive commands (reset, certificate renewal, etcd restore …) call this first: without --yes they stop
 * with exit code 2 and say what would have happened. There is no interactive prompt, so CI never hangs.
 */
export function requireYes(ctx: CommandContext, what: string): void {
  if (ctx.flags.yes) return;
  throw new UsageError(`${what}: this is destructive; run \`kubesmith plan\` with the same arguments to see what would change, then add --yes`);
}
