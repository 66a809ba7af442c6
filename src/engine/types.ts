import type { Host, Hosts, HostSelector } from '../model/host.js';
import type { Inventory } from '../inventory/schema.js';
import type { Transport } from '../transport/types.js';

/** One change a task would make on a host. */
export interface Change {
  /** What changes, in operator words: "write /etc/sysctl.d/99-kubernetes.conf", "start containerd". */
  summary: string;
  /** A unified diff for file changes, when known. Must never contain a secret. */
  diff?: string;
}

/**
 * The result of a read-only check:
 * - ok: already in the desired state, nothing to do;
 * - change: these changes are needed;
 * - unknown: cannot be decided until an earlier step has run (reason names the step), e.g. in a dry run;
 * - skip: does not apply to this host or configuration (reason says why).
 */
export type CheckResult =
  | { status: 'ok' }
  | { status: 'change'; changes: Change[] }
  | { status: 'unknown'; reason: string; changes?: Change[] }
  | { status: 'skip'; reason: string };

/** Values shared between tasks of one run (e.g. the join token made on the first control plane). */
export class RunState {
  readonly #values = new Map<string, unknown>();
  set<T>(key: string, value: T): void {
    this.#values.set(key, value);
  }
  get<T>(key: string): T | undefined {
    return this.#values.get(key) as T | undefined;
  }
  require<T>(key: string, producer: string): T {
    if (!this.#values.has(key)) throw new Error(`missing ${key}: step "${producer}" has not produced it`);
    return this.#values.get(key) as T;
  }
}

export interface TaskContext {
  host: Host;
  /** Every host of the inventory (with facts), whatever --limit says. */
  hosts: Hosts;
  inventory: Inventory;
  /** The inventory file's directory, to resolve relative paths (e.g. offline.bundle). */
  inventoryDir: string;
  /** The transport of this task's host. */
  transport: Transport;
  /** The transport of another host (e.g. run kubectl on the first control plane). */
  transportFor(host: Host): Transport;
  run: RunState;
  /** true in `plan`: apply() is never called and nothing may be written. */
  dryRun: boolean;
  signal: AbortSignal;
  /** A line for this host's log file (never the console). */
  log(message: string): void;
  /** Command-line options the task may consult (e.g. kubeconfigOut). */
  options: Readonly<Record<string, unknown>>;
  /**
   * Declare a secret learned during the run (a join token read from a host, a certificate key) so every
   * later log line, plan, event and error of the run masks it. Values passed through secret() in commands
   * are masked already; this covers values that arrive in command output.
   */
  registerSecret?(value: string): void;
}

export interface Task {
  /** Stable dotted id used by playbooks, e.g. "hostprep.swap". */
  id: string;
  /** "Component | Imperative sentence", e.g. "Host prep | Turn swap off now and at boot". */
  title: string;
  /** Read-only: decide what would change. Must not write anything on any host. */
  check(ctx: TaskContext): Promise<CheckResult>;
  /** check() must reach the host itself, never answers from the converge batch (the run lock: src/engine/converge.ts). */
  liveCheck?: boolean;
  /**
   * apply() changes only this host's own files and kernel settings, nothing another host or the cluster API shows:
   * its changes do not make the control planes' checks ask again (src/engine/converge.ts).
   */
  changesStayOnHost?: boolean;
  /** Make exactly the changes check() returned. */
  apply(ctx: TaskContext, changes: Change[]): Promise<void>;
  /** Confirm the desired state after apply (throw when not reached). */
  verify?(ctx: TaskContext): Promise<void>;
  /** When the task does not apply to this host and configuration, why (from the inventory only, no look-up). */
  skip?(ctx: TaskContext): string | false | undefined;
  /**
   * Packages the task installs from the host's own OS repositories (not from pkgs.k8s.io or a bundle), per distro
   * family: with a bundle, offline.osdeps checks before anything changes that each is installed or installable.
   */
  osPackages?: OsPackages;
}

export type OsPackages = Readonly<Record<'debian' | 'rhel', readonly string[]>>;

/** A step of a playbook: which task, on which hosts, how. */
export interface PlaybookStep {
  task: string;
  hosts: HostSelector;
  /** Run one host at a time (true) or this many at a time (number). Default: parallel within --concurrency. */
  serial?: boolean | number | undefined;
  /** When this step fails on a host, stop the whole run after the step (default: true for control-plane selectors). */
  critical?: boolean | undefined;
}

export interface PlaybookPhase {
  phase: string;
  steps: PlaybookStep[];
}

export interface Playbook {
  name: string;
  description: string;
  phases: PlaybookPhase[];
}

export type HostOutcome = 'ok' | 'changed' | 'failed' | 'skipped' | 'unreachable';

/** Typed progress events; the UI is an adapter over these. Nothing in a task writes to the console. */
export type RunEvent =
  | { type: 'run.start'; playbook: string; hosts: string[]; dryRun: boolean; logDir: string; at: string; steps?: StepInfo[] }
  | { type: 'phase.start'; phase: string }
  | { type: 'phase.end'; phase: string; durationMs: number }
  | { type: 'task.start'; task: string; title: string; hosts: string[]; step?: number; phase?: string }
  | {
      type: 'task.host';
      task: string;
      host: string;
      outcome: HostOutcome | 'unknown';
      changes?: Change[];
      reason?: string;
      error?: string;
      durationMs: number;
      step?: number;
    }
  | { type: 'task.end'; task: string; durationMs: number; step?: number }
  | { type: 'log'; host?: string; level: 'info' | 'warn' | 'error'; message: string }
  | { type: 'plan'; plan: Plan }
  | { type: 'run.end'; ok: boolean; recap: Recap; durationMs: number; stoppedBy?: { task: string; host: string } };

/** A playbook step as announced at run start (step = index across the whole playbook, from 0). */
export interface StepInfo {
  step: number;
  phase: string;
  task: string;
  title: string;
}

/** What `plan` found, per host and task: data in, plan out (nothing was written). */
export interface Plan {
  playbook: string;
  hosts: PlanHost[];
}

export interface PlanHost {
  host: string;
  tasks: PlanEntry[];
}

export interface PlanEntry {
  task: string;
  title: string;
  status: 'change' | 'unknown' | 'failed';
  changes: Change[];
  /** For unknown: why it cannot be decided yet; for failed: the error (masked). */
  reason?: string;
}

export interface HostRecap {
  host: string;
  ok: number;
  changed: number;
  failed: number;
  skipped: number;
  unknown: number;
  durationMs: number;
  /** First failure on this host: task, message (already masked), and what we know of the failing command. */
  failure?: HostFailure;
}

export interface HostFailure {
  task: string;
  message: string;
  command?: string;
  exitCode?: number;
  /** Last lines of the command's stderr. */
  stderrTail?: string;
  hint?: string;
}

export interface Recap {
  hosts: HostRecap[];
  phases: { phase: string; durationMs: number }[];
}
