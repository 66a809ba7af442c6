/**
 * The runner: phases in order, steps in order (each step is a sync point), hosts of a step in parallel
 * within the concurrency bound. Per host: check → (plan: record and stop) → apply(changes) → verify.
 *
 * - A host that fails is left out of every later step of the run.
 * - A failing critical step stops the run once the step has finished on every host it started on; in a serial
 *   step (e.g. control-plane joins, one at a time) no further host starts after such a failure.
 *   `critical: true` stops on any failure, `critical: false` never; unset, the run stops when the step
 *   failed on a control-plane host (so control-plane selectors are critical, worker failures are not).
 * - In a dry run (plan) apply() and verify() are never called, and the task's transport refuses writes.
 */
import type { Inventory } from '../inventory/schema.js';
import type { Host, Hosts } from '../model/host.js';
import { ConnectError, type Transport } from '../transport/types.js';
import { describeFailure, failureLine } from './errors.js';
import { forEachLimit } from './limit.js';
import { PlanBuilder, RecapBuilder } from './recap.js';
import type { TaskRegistry } from './registry.js';
import { maskOutcome, runTask, withTimeout } from './step.js';
import type { CallMode, ConvergeCache } from './converge.js';
import { abortableTransport, lazyTransport, readOnlyTransport } from './transports.js';
import {
  RunState,
  type Change,
  type HostFailure,
  type HostOutcome,
  type Plan,
  type Playbook,
  type PlaybookStep,
  type Recap,
  type RunEvent,
  type StepInfo,
  type TaskContext,
} from './types.js';

export type RunListener = (event: RunEvent) => void;

export const DEFAULT_CONCURRENCY = 20;

export interface RunnerOptions {
  playbook: Playbook;
  registry: TaskRegistry;
  inventory: Inventory;
  inventoryDir: string;
  /** Every host of the inventory. */
  hosts: Hosts;
  /** --limit: host names or roles. */
  limit?: readonly string[] | undefined;
  /** Exactly these hosts, by name only (a command's NAME argument); takes the place of limit. */
  only?: readonly string[] | undefined;
  concurrency?: number;
  /** plan: check only, never apply. */
  dryRun?: boolean;
  /** The connection of a host (e.g. ConnectionPool.get); called once per host and step, must cache. */
  connect(host: Host): Promise<Transport>;
  listeners?: readonly RunListener[];
  /** Command-line options tasks may consult. */
  options?: Readonly<Record<string, unknown>>;
  signal?: AbortSignal;
  logDir?: string;
  /** A line for a host's log file. */
  hostLog?(host: string, message: string): void;
  /** Known secret values, masked once more in every failure message. */
  secrets?: () => readonly string[];
  /** Told about each secret a task registers (ctx.registerSecret), e.g. to mask the run log too. */
  onSecret?(value: string): void;
  /** Give up on one task on one host after this long (its ctx.signal is aborted, so transports kill the command). */
  taskTimeoutMs?: number;
  /** Shared values between tasks (a fresh one by default). */
  state?: RunState;
  /** Checks answered from one batch per host (src/engine/converge.ts); without it every check asks the host. */
  checks?: ConvergeCache;
}

export interface RunResult {
  ok: boolean;
  recap: Recap;
  /** Set for dry runs. */
  plan?: Plan;
  /** The step and host that stopped the run, when a critical step failed. */
  stoppedBy?: { task: string; host: string };
}

const CONTROL_PLANE_SELECTORS = new Set(['control-plane', 'first-control-plane', 'other-control-planes']);

/** The failed host that stops the run after this step, if any (see module comment). */
export function stopsRun(step: PlaybookStep, failedHosts: readonly Host[]): Host | undefined {
  if (failedHosts.length === 0 || step.critical === false) return undefined;
  if (step.critical === true || CONTROL_PLANE_SELECTORS.has(step.hosts)) return failedHosts[0];
  return failedHosts.find((h) => h.isControlPlane);
}

/** The hosts a run may touch: `only` (names) when given, else --limit (names or roles), else all. */
export function scope(opts: Pick<RunnerOptions, 'hosts' | 'limit' | 'only'>): Hosts {
  return opts.only ? opts.hosts.named(opts.only) : opts.hosts.limit(opts.limit);
}

export async function runPlaybook(opts: RunnerOptions): Promise<RunResult> {
  const started = Date.now();
  const dryRun = opts.dryRun ?? false;
  const concurrency = Math.max(1, opts.concurrency ?? DEFAULT_CONCURRENCY);
  const inScope = new Set(scope(opts).all.map((h) => h.name));
  const scopeNames = opts.hosts.all.map((h) => h.name).filter((n) => inScope.has(n));
  const recap = new RecapBuilder(scopeNames);
  const plan = new PlanBuilder(opts.playbook.name, scopeNames);
  const state = opts.state ?? new RunState();
  const failed = new Set<string>();
  const registered = new Set<string>();
  const secrets = () => [...(opts.secrets?.() ?? []), ...registered];
  const registerSecret = (value: string) => {
    if (value.length < 4 || registered.has(value)) return;
    registered.add(value);
    opts.onSecret?.(value);
  };
  const emit = (event: RunEvent) => opts.listeners?.forEach((listen) => listen(event));
  const lazy = new Map<string, Transport>();
  const transportFor = (host: Host): Transport => {
    let t = lazy.get(host.name);
    if (!t) lazy.set(host.name, (t = lazyTransport(host, opts.connect)));
    return dryRun ? readOnlyTransport(t) : t;
  };
  const shared: SharedContext = {
    hosts: opts.hosts,
    inventory: opts.inventory,
    inventoryDir: opts.inventoryDir,
    transportFor,
    run: state,
    dryRun,
    options: opts.options ?? {},
    registerSecret,
    hostLog: opts.hostLog,
  };

  const steps: StepInfo[] = [];
  opts.playbook.phases.forEach((phase) =>
    phase.steps.forEach((step) =>
      steps.push({ step: steps.length, phase: phase.phase, task: step.task, title: opts.registry.require(step.task).title }),
    ),
  );
  emit({
    type: 'run.start',
    playbook: opts.playbook.name,
    hosts: scopeNames,
    dryRun,
    logDir: opts.logDir ?? '',
    at: new Date(started).toISOString(),
    steps,
  });

  let stoppedBy: RunResult['stoppedBy'];
  let index = 0;
  for (const phase of opts.playbook.phases) {
    if (stoppedBy || opts.signal?.aborted) break;
    const phaseStart = Date.now();
    emit({ type: 'phase.start', phase: phase.phase });
    for (const step of phase.steps) {
      const stepIndex = index++;
      if (stoppedBy || opts.signal?.aborted) break;
      const task = opts.registry.require(step.task);
      const stepStart = Date.now();
      const selected = selectHosts(opts.hosts, step, inScope, failed);
      emit({
        type: 'task.start',
        task: task.id,
        title: task.title,
        hosts: selected.map((h) => h.name),
        step: stepIndex,
        phase: phase.phase,
      });

      const report = (
        host: Host,
        outcome: HostOutcome | 'unknown',
        durationMs: number,
        extra: { reason?: string; failure?: HostFailure; changes?: Change[] } = {},
      ) => {
        recap.record(host.name, outcome, durationMs, extra.failure);
        const event: RunEvent = { type: 'task.host', task: task.id, host: host.name, outcome, durationMs, step: stepIndex };
        if (extra.changes) event.changes = extra.changes;
        if (extra.reason) event.reason = extra.reason;
        if (extra.failure) event.error = failureLine(extra.failure);
        emit(event);
        opts.hostLog?.(
          host.name,
          `[${task.id}] ${outcome}${extra.reason ? `: ${extra.reason}` : ''}${event.error ? `: ${event.error}` : ''}`,
        );
      };

      const bound = step.serial === true ? 1 : typeof step.serial === 'number' ? Math.min(step.serial, concurrency) : concurrency;
      const failedHere: Host[] = [];
      let halted: Host | undefined; // serial steps: no new host starts after a failure that stops the run
      await forEachLimit(selected, bound, async (host) => {
        if (halted) {
          report(host, 'skipped', 0, { reason: `not started: ${task.id} failed on ${halted.name}` });
          return;
        }
        const t0 = Date.now();
        // Aborted only when this task times out on this host (Ctrl-C lets the running step finish).
        const hostAbort = new AbortController();
        let mode: CallMode = task.liveCheck ? 'live' : 'check';
        const sender = (t: Transport) => () => opts.connect(opts.hosts.byName(t.host) ?? host);
        const view = (t: Transport) => opts.checks?.view(t, () => mode, sender(t)) ?? t;
        try {
          const ctx = taskContext(shared, host, task.id, await opts.connect(host), hostAbort.signal, view);
          const changing = () => void (mode = task.changesStayOnHost ? 'host-change' : 'change');
          const work = runTask(task, ctx, dryRun, changing);
          const outcome = maskOutcome(await withTimeout(work, opts.taskTimeoutMs, task.id, hostAbort), secrets());
          if (outcome.planned) plan.add(host.name, task.id, task.title, outcome.planned.status, outcome.planned.changes, outcome.reason);
          report(host, outcome.outcome, Date.now() - t0, outcome);
        } catch (err) {
          const failure = describeFailure(task.id, err, secrets());
          failed.add(host.name);
          failedHere.push(host);
          if (step.serial !== undefined && step.serial !== false && stopsRun(step, [host])) halted ??= host;
          if (dryRun) plan.add(host.name, task.id, task.title, 'failed', [], failureLine(failure));
          report(host, err instanceof ConnectError ? 'unreachable' : 'failed', Date.now() - t0, { failure });
        }
      });
      const stopper = stopsRun(step, failedHere);
      if (stopper) stoppedBy = { task: task.id, host: stopper.name };
      emit({ type: 'task.end', task: task.id, durationMs: Date.now() - stepStart, step: stepIndex });
    }
    const durationMs = Date.now() - phaseStart;
    recap.phase(phase.phase, durationMs);
    emit({ type: 'phase.end', phase: phase.phase, durationMs });
  }

  const result: RunResult = { ok: failed.size === 0 && !opts.signal?.aborted, recap: recap.build() };
  if (stoppedBy) result.stoppedBy = stoppedBy;
  if (dryRun) {
    result.plan = plan.build();
    emit({ type: 'plan', plan: result.plan });
  }
  const end: RunEvent = { type: 'run.end', ok: result.ok, recap: result.recap, durationMs: Date.now() - started };
  if (stoppedBy) end.stoppedBy = stoppedBy;
  emit(end);
  return result;
}

/** What every task context of a run shares; taskContext() adds the host, its transport and the task's abort signal. */
type SharedContext = Pick<
  TaskContext,
  'hosts' | 'inventory' | 'inventoryDir' | 'transportFor' | 'run' | 'dryRun' | 'options' | 'registerSecret'
> & {
  hostLog: RunnerOptions['hostLog'];
};

function taskContext(
  shared: SharedContext,
  host: Host,
  taskId: string,
  transport: Transport,
  signal: AbortSignal,
  view: (t: Transport) => Transport,
): TaskContext {
  const { hostLog, ...rest } = shared;
  return {
    ...rest,
    host,
    transport: abortableTransport(view(shared.dryRun ? readOnlyTransport(transport) : transport), signal),
    transportFor: (other) => view(shared.transportFor(other)),
    signal,
    log: (message) => hostLog?.(host.name, `[${taskId}] ${message}`),
  };
}

function selectHosts(hosts: Hosts, step: PlaybookStep, inScope: Set<string>, failed: Set<string>): Host[] {
  let selected: Host[];
  try {
    selected = hosts.select(step.hosts);
  } catch {
    selected = []; // e.g. first-control-plane on an inventory without one: inventory rules report that
  }
  return selected.filter((h) => inScope.has(h.name) && !failed.has(h.name));
}
