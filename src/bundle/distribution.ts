/**
 * Who sends which bundle file to whom, so the admin machine's uplink carries each file about once whatever the number
 * of hosts: the first host that needs a file gets it from the admin machine; every host that then holds a verified
 * copy serves it to the next hosts over the cluster network (a tree: each holder serves a few peers at a time, so the
 * holders double per round). Pure bookkeeping, no I/O: the offline upload task asks `next` for a file and its source,
 * moves the bytes, and reports with `done`.
 *
 * Progress: a receiver waits only while some transfer of a file it wants is under way (a busy holder, or the admin's
 * copy in flight), and each of those ends with `done`. A peer that failed a receiver is never offered to that
 * receiver again for that file; the receiver then takes the file from the admin machine (the fallback). A peer that
 * failed STRIKES receivers is offered to nobody any more for that file.
 */

export type Source = { kind: 'admin' } | { kind: 'peer'; host: string };

export interface Grant {
  file: string;
  source: Source;
}

export interface DistributionOptions {
  /** Transfers one holder serves at a time (default 2). */
  servesPerHolder?: number;
  /** Copies of one file the admin machine sends at a time while no host holds it (default 1). */
  adminCopies?: number;
}

/** Failed receivers after which a holder is no longer offered for a file (a dead host, a blocked port). */
export const STRIKES = 2;

export class Distribution {
  readonly #holders = new Map<string, Set<string>>();
  readonly #serving = new Map<string, number>();
  readonly #adminFlight = new Map<string, number>();
  /** receiver NUL file → holders that failed that receiver. */
  readonly #failed = new Map<string, Set<string>>();
  /** holder NUL file → receivers it failed. */
  readonly #strikes = new Map<string, number>();
  #waiters: Array<() => void> = [];
  readonly #servesPerHolder: number;
  readonly #adminCopies: number;

  constructor(o: DistributionOptions = {}) {
    this.#servesPerHolder = Math.max(1, o.servesPerHolder ?? 2);
    this.#adminCopies = Math.max(1, o.adminCopies ?? 1);
  }

  /** `host` holds a verified copy of `file` (found already there, or just received). */
  holds(file: string, host: string): void {
    let set = this.#holders.get(file);
    if (!set) this.#holders.set(file, (set = new Set()));
    set.add(host);
    this.#wake();
  }

  holdersOf(file: string): string[] {
    return [...(this.#holders.get(file) ?? [])].sort();
  }

  /**
   * The next of `wanted` that `receiver` can fetch now, and from where; waits while every wanted file is being
   * transferred elsewhere. Null when `wanted` is empty. The granted file is taken out of `wanted` (several workers of
   * one receiver may share the array); put it back after a failed transfer to try again.
   */
  async next(receiver: string, wanted: string[], signal?: AbortSignal): Promise<Grant | null> {
    for (;;) {
      if (wanted.length === 0) return null;
      signal?.throwIfAborted();
      const grant = this.tryNext(receiver, wanted);
      if (grant) {
        wanted.splice(wanted.indexOf(grant.file), 1);
        return grant;
      }
      await new Promise<void>((resolve) => {
        const onAbort = () => resolve();
        signal?.addEventListener('abort', onAbort, { once: true });
        this.#waiters.push(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        });
      });
    }
  }

  /** Like `next` without waiting: a grant (already counted as under way) or null. */
  tryNext(receiver: string, wanted: readonly string[]): Grant | null {
    // peers first: a file some host can serve now costs the admin's uplink nothing
    for (const file of wanted) {
      const host = this.#freeHolder(receiver, file);
      if (host) {
        this.#serving.set(host, (this.#serving.get(host) ?? 0) + 1);
        return { file, source: { kind: 'peer', host } };
      }
    }
    for (const file of wanted) {
      if (this.#adminMay(receiver, file)) {
        this.#adminFlight.set(file, (this.#adminFlight.get(file) ?? 0) + 1);
        return { file, source: { kind: 'admin' } };
      }
    }
    return null;
  }

  /** The transfer of a grant ended; on success `receiver` now holds the file and may serve it. */
  done(grant: Grant, receiver: string, ok: boolean): void {
    const { file, source } = grant;
    if (source.kind === 'peer') {
      this.#serving.set(source.host, Math.max(0, (this.#serving.get(source.host) ?? 1) - 1));
      if (!ok) this.#strike(receiver, file, source.host);
    } else {
      this.#adminFlight.set(file, Math.max(0, (this.#adminFlight.get(file) ?? 1) - 1));
    }
    if (ok) this.holds(file, receiver);
    else this.#wake();
  }

  #usableHolders(receiver: string, file: string): string[] {
    const failed = this.#failed.get(`${receiver}\0${file}`);
    return this.holdersOf(file).filter((h) => h !== receiver && !failed?.has(h));
  }

  /** The least busy holder with a free slot (ties: by name, so plans are reproducible). */
  #freeHolder(receiver: string, file: string): string | undefined {
    const free = this.#usableHolders(receiver, file).filter((h) => (this.#serving.get(h) ?? 0) < this.#servesPerHolder);
    free.sort((a, b) => (this.#serving.get(a) ?? 0) - (this.#serving.get(b) ?? 0));
    return free[0];
  }

  #adminMay(receiver: string, file: string): boolean {
    if (this.#failed.get(`${receiver}\0${file}`)?.size) return true; // a peer failed this receiver: fall back now
    if (this.#usableHolders(receiver, file).length > 0) return false; // a holder will be free soon
    return (this.#adminFlight.get(file) ?? 0) < this.#adminCopies;
  }

  /** The holder failed `receiver`; failing a second receiver takes it out of the file's holders for everyone. */
  #strike(receiver: string, file: string, holder: string): void {
    this.#failedFor(receiver, file).add(holder);
    const key = `${holder}\0${file}`;
    const strikes = (this.#strikes.get(key) ?? 0) + 1;
    this.#strikes.set(key, strikes);
    if (strikes >= STRIKES) this.#holders.get(file)?.delete(holder);
  }

  #failedFor(receiver: string, file: string): Set<string> {
    const key = `${receiver}\0${file}`;
    let set = this.#failed.get(key);
    if (!set) this.#failed.set(key, (set = new Set()));
    return set;
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
