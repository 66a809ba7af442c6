/**
 * The shape every provisioning task shares: one `plan` function decides, from read-only look-ups, the
 * actions needed on this host. check() = plan() without running anything; apply() runs exactly the actions whose
 * change check() reported. apply() reuses the plan check() made for the same task context (the runner calls them
 * back to back), so the look-ups run once per host, not twice; called on its own, apply() plans again.
 */
import type { Change, CheckResult, OsPackages, Task, TaskContext } from '../../engine/types.js';
import { commandText, type Command } from '../../transport/command.js';
import { runSteps } from '../../transport/steps.js';
import type { Transport } from '../../transport/types.js';

export interface Action {
  change: Change;
  run(): Promise<void>;
  /** The action is exactly these commands on one host (commandAction): apply() sends consecutive ones in one round trip. */
  steps?: ActionSteps;
}

export interface ActionSteps {
  transport: Transport;
  /** The commands, decided when first asked, just before the action runs (a package index refresh only while due). */
  commands(): readonly Command[];
  timeoutMs?: number;
  /** Once the commands succeeded. */
  done?(): void;
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

/**
 * An action that is only commands (no stdin, no secret: src/transport/steps.ts): run on its own, or in one round
 * trip with the commandActions next to it in the plan, each command still a step of its own in the log and errors.
 */
export function commandAction(
  t: Transport,
  summary: string,
  commands: readonly Command[] | (() => readonly Command[]),
  opts: { timeoutMs?: number; done?(): void; diff?: string } = {},
): Action {
  // Decided once, when first asked (grouping measures them, the run sends them): an index refresh is due only once.
  let decided: readonly Command[] | undefined;
  const steps: ActionSteps = {
    transport: t,
    commands: () => (decided ??= typeof commands === 'function' ? commands() : commands),
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.done ? { done: opts.done } : {}),
  };
  return { ...action(summary, () => runActionSteps([steps]), opts.diff), steps };
}

/** The commands of several actions in order, in one round trip; each action's done() once all succeeded. */
async function runActionSteps(group: readonly ActionSteps[]): Promise<void> {
  const commands = group.flatMap((s) => s.commands());
  const timeouts = group.map((s) => s.timeoutMs);
  const timeoutMs = timeouts.every((x) => x === undefined) ? undefined : timeouts.reduce<number>((a, x) => a + (x ?? 60_000), 0);
  await runSteps(group[0]!.transport, commands, timeoutMs === undefined ? {} : { timeoutMs });
  for (const s of group) s.done?.();
}

/** A round trip's script is one argument of `sh -c` on the host (at most 128 KiB): groups stay well under it. */
const GROUP_MAX_TEXT = 48 * 1024;

/** The actions to run, consecutive commandActions on the same host grouped: each group is one round trip. */
function grouped(actions: readonly Action[]): Action[][] {
  const groups: Action[][] = [];
  let size = 0;
  for (const a of actions) {
    const last = groups.at(-1);
    const prev = last?.at(-1);
    const text = a.steps ? a.steps.commands().reduce((n, c) => n + commandText(c).length, 0) : 0;
    if (last && prev?.steps && a.steps && prev.steps.transport === a.steps.transport && size + text <= GROUP_MAX_TEXT) {
      last.push(a);
      size += text;
    } else {
      groups.push([a]);
      size = text;
    }
  }
  return groups;
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
      for (const group of grouped(plan.filter((a) => wanted.has(a.change.summary)))) {
        if (group.length === 1) await group[0]!.run();
        else await runActionSteps(group.map((a) => a.steps!));
      }
    },
  };
  if (spec.verify) task.verify = spec.verify;
  if (spec.skip) task.skip = spec.skip;
  if (spec.osPackages) task.osPackages = spec.osPackages;
  if (spec.changesStayOnHost) task.changesStayOnHost = true;
  return task;
}
