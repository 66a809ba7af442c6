import type { Change, HostFailure, HostOutcome, HostRecap, Plan, PlanEntry, Recap } from './types.js';

type Outcome = HostOutcome | 'unknown';

/** Counts outcomes per host and times per phase while a run goes. */
export class RecapBuilder {
  readonly #hosts = new Map<string, HostRecap>();
  readonly #phases: { phase: string; durationMs: number }[] = [];

  constructor(hostNames: readonly string[]) {
    for (const host of hostNames) this.#entry(host);
  }

  #entry(host: string): HostRecap {
    let entry = this.#hosts.get(host);
    if (!entry) {
      entry = { host, ok: 0, changed: 0, failed: 0, skipped: 0, unknown: 0, durationMs: 0 };
      this.#hosts.set(host, entry);
    }
    return entry;
  }

  record(host: string, outcome: Outcome, durationMs: number, failure?: HostFailure): void {
    const entry = this.#entry(host);
    entry.durationMs += durationMs;
    if (outcome === 'ok') entry.ok++;
    else if (outcome === 'changed') entry.changed++;
    else if (outcome === 'skipped') entry.skipped++;
    else if (outcome === 'unknown') entry.unknown++;
    else entry.failed++;
    if (failure && !entry.failure) entry.failure = failure;
  }

  phase(phase: string, durationMs: number): void {
    this.#phases.push({ phase, durationMs });
  }

  build(): Recap {
    return { hosts: [...this.#hosts.values()].map((h) => ({ ...h })), phases: [...this.#phases] };
  }
}

/** Collects what plan found: per host, the tasks that would change, cannot be decided yet, or failed. */
export class PlanBuilder {
  readonly #hosts = new Map<string, PlanEntry[]>();

  constructor(
    readonly playbook: string,
    hostNames: readonly string[],
  ) {
    for (const host of hostNames) this.#hosts.set(host, []);
  }

  add(host: string, task: string, title: string, status: PlanEntry['status'], changes: Change[], reason?: string): void {
    const entries = this.#hosts.get(host) ?? [];
    const entry: PlanEntry = { task, title, status, changes };
    if (reason !== undefined) entry.reason = reason;
    entries.push(entry);
    this.#hosts.set(host, entries);
  }

  build(): Plan {
    return { playbook: this.playbook, hosts: [...this.#hosts].map(([host, tasks]) => ({ host, tasks })) };
  }
}
