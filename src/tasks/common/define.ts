/**
 * The shape every provisioning task shares: one `plan` function decides, from read-only look-ups, the
 * actions needed on this host. check() = plan() without running anything; apply() runs exactly the actions whose
 * change check() reported. apply() reuses the plan check() made for the same task context (the runner calls them
 * back to back), so the look-ups run once per host, not twice; called on its own, apply() plans again.
 */
import type { Change, CheckResult, OsPackages, Task, TaskContext } from '../../engine/types.js';

export interface Action {
  change: Change;
  run(): Promise<void>;
}

export type Plan = Action[] | { skip: string } | { unknown: string; changes?: Change[] };

export interface TaskSpec {
  id: string;
  title: string;
  /**
   * When the task does not apply, why (from the inventory and the host's declared data; no look-up): the one way a
   * task is gated. Playbooks list every step unconditionally. Conditions that need a look at the host stay in plan().
   */
  skip?(ctx: TaskContext): string | false | undefined;
  /** apply() changes only this host's files and kernel settings (see Task.changesStayOnHost). */
  changesStayOnHost?: boolean;
  /** Read-only: look at the host and return what must change. Never write here. */
  plan(ctx: TaskContext): Promise<Plan>;
  verify?(ctx: TaskContext): Promise<void>;
  /** Packages installed from the host's OS repositories (Task.osPackages): checked up front by offline installs. */
  osPackages?: OsPackages;
}

export function action(summary: string, run: () => Promise<void>, diff?: string): Action {
  return { change: diff ? { summary, diff } : { summary }, run };
}

function toResult(plan: Plan): CheckResult {
  if (Array.isArray(plan)) return plan.length === 0 ? { status: 'ok' } : { status: 'change', changes: plan.map((a) => a.change) };
  if ('skip' in plan) return { status: 'skip', reason: plan.skip };
  return { status: 'unknown', reason: plan.unknown, ...(plan.changes ? { changes: plan.changes } : {}) };
}

export function defineTask(spec: TaskSpec): Task {
  /** The plan check() made, by task context (one per task and host): apply() takes it instead of planning again. */
  const planned = new WeakMap<TaskContext, Plan>();
  const task: Task = {
    id: spec.id,
    title: spec.title,
    async check(ctx) {
      const reason = spec.skip?.(ctx);
      if (reason) return { status: 'skip', reason };
      const plan = await spec.plan(ctx);
      planned.set(ctx, plan);
      return toResult(plan);
    },
    async apply(ctx, changes) {
      const reason = spec.skip?.(ctx);
      if (reason) throw new Error(`${spec.id}: nothing to apply (${reason})`);
      const plan = planned.get(ctx) ?? (await spec.plan(ctx));
      planned.delete(ctx);
      if (!Array.isArray(plan)) throw new Error(`${spec.id}: nothing to apply (${'skip' in plan ? plan.skip : plan.unknown})`);
      const wanted = new Set(changes.map((c) => c.summary));
      for (const a of plan) {
        if (wanted.has(a.change.summary)) await a.run();
      }
    },
  };
  if (spec.verify) task.verify = spec.verify;
  if (spec.skip) task.skip = spec.skip;
  if (spec.osPackages) task.osPackages = spec.osPackages;
  if (spec.changesStayOnHost) task.changesStayOnHost = true;
  return task;
}
