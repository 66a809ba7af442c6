/**
 * What the stage tasks of a CA rotation (rotate-node.ts, rotate-cp-ca.ts) share: the check's answer from where the
 * node stands, and the copy of a staged CA from the first control plane to another.
 */
import type { CheckResult, TaskContext } from '../../engine/types.js';
import { sh } from '../../transport/command.js';
import { controlPlaneTransport } from '../common/cluster.js';

/** Where the node stands for a stage: undefined = done; `unknown` = no rotation yet; `blocked` = nodes still behind. */
export type StageDecision = undefined | { unknown: string } | { blocked: string[] };

/** The check of a stage task. Nodes still behind: unknown in a plan, an error in a run (the playbook runs stages in order). */
export function stageCheck(ctx: TaskContext, d: StageDecision, summary: string, what: string, peers: string): CheckResult {
  if (!d) return { status: 'ok' };
  const change = { summary };
  if ('unknown' in d) return { status: 'unknown', reason: d.unknown, changes: [change] };
  if (d.blocked.length) {
    const waiting = `the ${peers} before it reached this stage: ${d.blocked.join(', ')}`;
    if (ctx.dryRun) return { status: 'unknown', reason: waiting, changes: [change] };
    throw new Error(`cannot ${what} on ${ctx.host.name} yet: ${waiting}`);
  }
  return { status: 'change', changes: [change] };
}

/** The staged files of a rotation: the new CA, the old CA's certificate, the new key (0600). */
export const STAGED = ['new-ca.crt', 'old-ca.crt', 'new-ca.key'] as const;

/** Copy `dir`'s staged files from the first control plane to this one (control plane to control plane, never a local file). */
export async function copyStaged(ctx: TaskContext, dir: string): Promise<void> {
  const from = controlPlaneTransport(ctx);
  await ctx.transport.exec(sh`set -e; mkdir -p -m 0700 ${dir}; chmod 0700 ${dir}`);
  for (const f of STAGED) {
    const bytes = await from.readFile(`${dir}/${f}`);
    if (!bytes) throw new Error(`${ctx.hosts.firstControlPlane.name}: ${dir}/${f} vanished`);
    await ctx.transport.writeFile(`${dir}/${f}`, bytes, { mode: f.endsWith('.key') ? '0600' : '0644', owner: 'root:root' });
  }
}
