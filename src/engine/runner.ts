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
  type Task,
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
  const run = new PlaybookRun(opts);
  run.start();
  let index = 0;
  for (const phase of opts.playbook.phases) {
    if (run.halted()) break;
    const phaseStart = Date.now();
    run.emit({ type: 'phase.start', phase: phase.phase });
    for (const step of phase.steps) {
      const stepIndex = index++;
      if (run.halted()) break;
      await run.step(phase.phase, step, stepIndex);
    }
    run.phaseEnd(phase.phase, Date.now() - phaseStart);
  }
  return run.finish();
}

type Report = (
  host: Host,
  outcome: HostOutcome | 'unknown',
  durationMs: number,
  extra?: { reason?: string | undefined; failure?: HostFailure | undefined; changes?: Change[] | undefined },
) => void;

/** One run of a playbook: its scope, recap, plan, failed hosts and shared task context, step by step. */
class PlaybookRun {
  readonly #opts: RunnerOptions;
  readonly #started = Date.now();
  readonly #dryRun: boolean;
  readonly #concurrency: number;
  readonly #inScope: Set<string>;
  readonly #scopeNames: string[];
  readonly #recap: RecapBuilder;
  readonly #plan: PlanBuilder;
  readonly #failed = new Set<string>();
  readonly #registered = new Set<string>();
  readonly #shared: SharedContext;
  #stoppedBy: RunResult['stoppedBy'];

  constructor(opts: RunnerOptions) {
    this.#opts = opts;
    this.#dryRun = opts.dryRun ?? false;
    this.#concurrency = Math.max(1, opts.concurrency ?? DEFAULT_CONCURRENCY);
    this.#inScope = new Set(scope(opts).all.map((h) => h.name));
    this.#scopeNames = opts.hosts.all.map((h) => h.name).filter((n) => this.#inScope.has(n));
    this.#recap = new RecapBuilder(this.#scopeNames);
    this.#plan = new PlanBuilder(opts.playbook.name, this.#scopeNames);
    const lazy = new Map<string, Transport>();
    const transportFor = (host: Host): Transport => {
      let t = lazy.get(host.name);
      if (!t) lazy.set(host.name, (t = lazyTransport(host, opts.connect)));
      return this.#dryRun ? readOnlyTransport(t) : t;
    };
    this.#shared = {
      hosts: opts.hosts,
      inventory: opts.inventory,
      inventoryDir: opts.inventoryDir,
      transportFor,
      run: opts.state ?? new RunState(),
      dryRun: this.#dryRun,
      options: opts.options ?? {},
      registerSecret: (value) => this.#registerSecret(value),
      hostLog: opts.hostLog,
    };
  }

  emit(event: RunEvent): void {
    this.#opts.listeners?.forEach((listen) => listen(event));
  }

  /** A critical step failed, or the run was interrupted: no further step starts. */
  halted(): boolean {
    return !!this.#stoppedBy || !!this.#opts.signal?.aborted;
  }

  #secrets(): string[] {
    return [...(this.#opts.secrets?.() ?? []), ...this.#registered];
  }

  #registerSecret(value: string): void {
    if (value.length < 4 || this.#registered.has(value)) return;
    this.#registered.add(value);
    this.#opts.onSecret?.(value);
  }

  start(): void {
    const opts = this.#opts;
    const steps: StepInfo[] = [];
    opts.playbook.phases.forEach((phase) =>
      phase.steps.forEach((step) =>
        steps.push({ step: steps.length, phase: phase.phase, task: step.task, title: opts.registry.require(step.task).title }),
      ),
    );
    this.emit({
      type: 'run.start',
      playbook: opts.playbook.name,
      hosts: this.#scopeNames,
      dryRun: this.#dryRun,
      logDir: opts.logDir ?? '',
      at: new Date(this.#started).toISOString(),
      steps,
    });
  }

  /** One step on every selected host (within its serial/concurrency bound); a critical failure stops the run after it. */
  async step(phase: string, step: PlaybookStep, stepIndex: number): Promise<void> {
    const task = this.#opts.registry.require(step.task);
    const stepStart = Date.now();
    const selected = selectHosts(this.#opts.hosts, step, this.#inScope, this.#failed);
    this.emit({ type: 'task.start', task: task.id, title: task.title, hosts: selected.map((h) => h.name), step: stepIndex, phase });
    const report = this.#reporter(task.id, stepIndex);
    const bound = step.serial === true ? 1 : typeof step.serial === 'number' ? Math.min(step.serial, this.#concurrency) : this.#concurrency;
    const failedHere: Host[] = [];
    let halted: Host | undefined; // serial steps: no new host starts after a failure that stops the run
    await forEachLimit(selected, bound, async (host) => {
      if (halted) {
        report(host, 'skipped', 0, { reason: `not started: ${task.id} failed on ${halted.name}` });
        return;
      }
      const ok = await this.#onHost(task, host, report);
      if (ok) return;
      failedHere.push(host);
      if (step.serial !== undefined && step.serial !== false && stopsRun(step, [host])) halted ??= host;
    });
    const stopper = stopsRun(step, failedHere);
    if (stopper) this.#stoppedBy = { task: task.id, host: stopper.name };
    this.emit({ type: 'task.end', task: task.id, durationMs: Date.now() - stepStart, step: stepIndex });
  }

  /** Each host's outcome, to the recap, the event listeners and the host's log. */
  #reporter(taskId: string, stepIndex: number): Report {
    return (host, outcome, durationMs, extra = {}) => {
      this.#recap.record(host.name, outcome, durationMs, extra.failure);
      const event: RunEvent = { type: 'task.host', task: taskId, host: host.name, outcome, durationMs, step: stepIndex };
      if (extra.changes) event.changes = extra.changes;
      if (extra.reason) event.reason = extra.reason;
      if (extra.failure) event.error = failureLine(extra.failure);
      this.emit(event);
      this.#opts.hostLog?.(
        host.name,
        `[${taskId}] ${outcome}${extra.reason ? `: ${extra.reason}` : ''}${event.error ? `: ${event.error}` : ''}`,
      );
    };
  }

  /** check → apply → verify of one task on one host; false when it failed (the host then leaves the run). */
  async #onHost(task: Task, host: Host, report: Report): Promise<boolean> {
    const opts = this.#opts;
    const t0 = Date.now();
    // Aborted only when this task times out on this host (Ctrl-C lets the running step finish).
    const hostAbort = new AbortController();
    let mode: CallMode = task.liveCheck ? 'live' : 'check';
    const sender = (t: Transport) => () => opts.connect(opts.hosts.byName(t.host) ?? host);
    const view = (t: Transport) => opts.checks?.view(t, () => mode, sender(t)) ?? t;
    try {
      const ctx = taskContext(this.#shared, host, task.id, await opts.connect(host), hostAbort.signal, view);
      const changing = () => void (mode = task.changesStayOnHost ? 'host-change' : 'change');
      const work = runTask(task, ctx, this.#dryRun, changing);
      const outcome = maskOutcome(await withTimeout(work, opts.taskTimeoutMs, task.id, hostAbort), this.#secrets());
      if (outcome.planned) this.#plan.add(host.name, task.id, task.title, outcome.planned.status, outcome.planned.changes, outcome.reason);
      report(host, outcome.outcome, Date.now() - t0, outcome);
      return true;
    } catch (err) {
      const failure = describeFailure(task.id, err, this.#secrets());
      this.#failed.add(host.name);
      if (this.#dryRun) this.#plan.add(host.name, task.id, task.title, 'failed', [], failureLine(failure));
      report(host, err instanceof ConnectError ? 'unreachable' : 'failed', Date.now() - t0, { failure });
      return false;
    }
  }

  phaseEnd(phase: string, durationMs: number): void {
    this.#recap.phase(phase, durationMs);
    this.emit({ type: 'phase.end', phase, durationMs });
  }

  finish(): RunResult {
    const result: RunResult = { ok: this.#failed.size === 0 && !this.#opts.signal?.aborted, recap: this.#recap.build() };
    if (this.#stoppedBy) result.stoppedBy = this.#stoppedBy;
    if (this.#dryRun) {
      result.plan = this.#plan.build();
      this.emit({ type: 'plan', plan: result.plan });
    }
    const end: RunEvent = { type: 'run.end', ok: result.ok, recap: result.recap, durationMs: Date.now() - this.#started };
    if (this.#stoppedBy) end.stoppedBy = this.#stoppedBy;
    this.emit(end);
    return result;
  }
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
