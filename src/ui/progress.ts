import type { RunEvent } from '../engine/types.js';

type HostEvent = Extract<RunEvent, { type: 'task.host' }>;

/** Counts of one step across hosts, for a one-line summary that stays readable with 100 hosts. */
export class StepProgress {
  total = 0;
  done = 0;
  readonly counts = { ok: 0, changed: 0, failed: 0, skipped: 0, unknown: 0 };
  readonly failures: { host: string; error: string }[] = [];

  constructor(
    readonly title: string,
    readonly dryRun: boolean,
  ) {}

  add(e: HostEvent): void {
    this.done++;
    if (e.outcome === 'unreachable' || e.outcome === 'failed') {
      this.counts.failed++;
      this.failures.push({ host: e.host, error: e.error ?? e.outcome });
    } else this.counts[e.outcome]++;
  }

  /** "12/20 hosts · 3 changed · 1 failed" (in plan: "would change"). */
  summary(): string {
    const parts = [`${this.done}/${this.total} host${this.total === 1 ? '' : 's'}`];
    if (this.counts.changed) parts.push(`${this.counts.changed} ${this.dryRun ? 'would change' : 'changed'}`);
    if (this.counts.unknown) parts.push(`${this.counts.unknown} unknown`);
    if (this.counts.skipped) parts.push(`${this.counts.skipped} skipped`);
    if (this.counts.failed) parts.push(`${this.counts.failed} failed`);
    return parts.join(' · ');
  }
}
