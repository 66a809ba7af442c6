/** One task on one host: check, then (not in a dry run) apply and verify; plus timeouts and masking. */
import { maskSecrets } from '../transport/command.js';
import type { Change, HostOutcome, Task, TaskContext } from './types.js';

export interface TaskOutcome {
  outcome: HostOutcome | 'unknown';
  reason?: string;
  changes?: Change[];
  planned?: { status: 'change' | 'unknown'; changes: Change[] };
}

/** One task on one host: check, then (not in a dry run) apply and verify; `changing` is told just before apply. */
export async function runTask(task: Task, ctx: TaskContext, dryRun: boolean, changing?: () => void): Promise<TaskOutcome> {
  const result = await task.check(ctx);
  switch (result.status) {
    case 'ok':
      return { outcome: 'ok' };
    case 'skip':
      return { outcome: 'skipped', reason: result.reason };
    case 'unknown':
      if (!dryRun) throw new Error(`cannot decide what to do: ${result.reason}`);
      return {
        outcome: 'unknown',
        reason: result.reason,
        changes: result.changes ?? [],
        planned: { status: 'unknown', changes: result.changes ?? [] },
      };
    case 'change':
      if (result.changes.length === 0) return { outcome: 'ok' };
      if (dryRun) return { outcome: 'changed', changes: result.changes, planned: { status: 'change', changes: result.changes } };
      changing?.();
      await task.apply(ctx, result.changes);
      await task.verify?.(ctx);
      return { outcome: 'changed', changes: result.changes };
  }
}

/** Changes must never carry a secret; mask the run's known secrets once more before they reach a plan or event. */
export function maskOutcome(o: TaskOutcome, secrets: readonly string[]): TaskOutcome {
  if (secrets.length === 0) return o;
  const mask = (changes: Change[]) =>
    changes.map((c) => ({ ...c, summary: maskSecrets(c.summary, secrets), ...(c.diff ? { diff: maskSecrets(c.diff, secrets) } : {}) }));
  const out: TaskOutcome = { ...o };
  if (o.changes) out.changes = mask(o.changes);
  if (o.planned) out.planned = { status: o.planned.status, changes: mask(o.planned.changes) };
  if (o.reason) out.reason = maskSecrets(o.reason, secrets);
  return out;
}

/** Reject after timeoutMs, aborting `abort` so the task's commands are killed too. */
export async function withTimeout<T>(work: Promise<T>, timeoutMs: number | undefined, what: string, abort?: AbortController): Promise<T> {
  if (!timeoutMs) return work;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abort?.abort();
      reject(new Error(`${what} did not finish within ${Math.round(timeoutMs / 1000)}s`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
