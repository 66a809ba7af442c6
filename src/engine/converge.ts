/**
 * Converged in one round trip (issue #16): the checks of a run read their answers from one batch per host.
 *
 * - Every read-only question a task's check() asks a host (a command, a file read, each look-up of a batch) is
 *   recorded; the list is saved after the run (checks-file.ts). The next run sends a host that whole list in one
 *   script (check-batch.ts) on its first check, and each check takes its answer from there instead of asking again.
 *   A question not in the list, or asked more often than last time, goes to the host as before: a stale list costs
 *   round trips, never a wrong answer.
 * - An answer is served only while nothing has changed: the first change on a host (anything its apply or verify
 *   sends, any file written) drops what is left of that host's answers, and of every control plane's (they answer
 *   for the cluster, which a change on any node may move) unless the task declares that its changes stay on the
 *   host (Task.changesStayOnHost: a sysctl file, a kernel module), for the rest of the run. That host continues
 *   step by step; the others keep reading their batch.
 * - Only check-mode calls are served or recorded; a task whose check() must reach the host (the run lock) runs
 *   live. Commands with secrets, stdin or without sudo are never batched.
 */
import { commandDisplay, commandSecrets, commandText, type Command } from '../transport/command.js';
import { encodeLookupOutput, isLookupBatch, READ_ABSENT_CODE, type LookupBatch } from '../transport/lookups.js';
import { CommandError, type ExecOptions, type ExecResult, type Transport } from '../transport/types.js';
import { entryKey, runCheckBatch, runHeadedCheckBatch, type CheckAnswer, type CheckEntry } from './check-batch.js';

/**
 * How a call reaches the host: check (may be served from the batch), live (as is), change (drops this host's and
 * the control planes' answers), host-change (a change only this host shows: drops this host's answers).
 */
export type CallMode = 'check' | 'live' | 'change' | 'host-change';

/** A question recorded at most this many times per host and run (a polling check asks the same thing again and again). */
const MAX_REPEATS = 4;

export interface ConvergeOptions {
  /** What each host's checks asked in the last run of this playbook, in order. */
  previous?: Readonly<Record<string, readonly CheckEntry[]>>;
  /** The control planes: a change on any host may change what they answer (kubectl, kubeadm, etcd). */
  clusterHosts: readonly string[];
  /** A line for a host's log file. */
  hostLog?(host: string, message: string): void;
  /** Give up on a batch after this long (the host's checks then ask one by one). Default 120 s. */
  timeoutMs?: number;
}

/** The connection a host's batch is sent through. */
type Sender = () => Promise<Transport>;

class HostChecks {
  answers = new Map<string, CheckAnswer[]>();
  pending: Promise<void> | undefined;
  /** false once something changed on the host: nothing more is served this run. */
  valid = true;
  readonly recorded: CheckEntry[] = [];
  readonly counts = new Map<string, number>();
  served = 0;
}

export class ConvergeCache {
  readonly #opts: ConvergeOptions;
  readonly #hosts = new Map<string, HostChecks>();

  constructor(opts: ConvergeOptions) {
    this.#opts = opts;
  }

  #of(host: string): HostChecks {
    let h = this.#hosts.get(host);
    if (!h) this.#hosts.set(host, (h = new HostChecks()));
    return h;
  }

  /** What this run's checks asked each host, in order, to save for the next run. */
  recorded(): Record<string, CheckEntry[]> {
    return Object.fromEntries([...this.#hosts].filter(([, h]) => h.recorded.length > 0).map(([n, h]) => [n, h.recorded]));
  }

  /** How many checks each host answered from its batch. */
  served(host: string): number {
    return this.#hosts.get(host)?.served ?? 0;
  }

  /**
   * Something changed on `host`: no answer of it is served from now on, nor of any control plane unless the change
   * shows only on that host (`onlyThere`).
   */
  changed(host: string, onlyThere = false): void {
    for (const name of new Set([host, ...(onlyThere ? [] : this.#opts.clusterHosts)])) {
      const h = this.#of(name);
      if (!h.valid) continue;
      h.valid = false;
      h.answers.clear();
      if ((this.#opts.previous?.[name]?.length ?? 0) > 0)
        this.#opts.hostLog?.(name, `[converge] ${name === host ? 'changed' : `${host} changed`}: later checks ask the host again`);
    }
  }

  #record(host: string, entry: CheckEntry): void {
    const h = this.#of(host);
    const key = entryKey(entry);
    const n = h.counts.get(key) ?? 0;
    h.counts.set(key, n + 1);
    if (n < MAX_REPEATS) h.recorded.push(entry);
  }

  /** The answer to `entry` from the host's batch (sent on first need), or undefined: ask the host. */
  async #take(host: string, sender: Sender, entry: CheckEntry): Promise<CheckAnswer | undefined> {
    const h = this.#of(host);
    const previous = this.#opts.previous?.[host] ?? [];
    if (!h.valid || previous.length === 0) return undefined;
    await (h.pending ??= this.#prefetch(host, h, sender, previous));
    const answer = h.valid ? h.answers.get(entryKey(entry))?.shift() : undefined;
    if (answer) h.served++;
    return answer;
  }

  async #prefetch(host: string, h: HostChecks, sender: Sender, entries: readonly CheckEntry[]): Promise<void> {
    try {
      this.#keep(h, entries, await runCheckBatch(await sender(), entries, this.#opts.timeoutMs ?? 120_000));
    } catch (err) {
      this.#opts.hostLog?.(host, `[converge] the batch of checks failed, checks ask one by one: ${(err as Error).message}`);
    }
  }

  #keep(h: HostChecks, entries: readonly CheckEntry[], answers: readonly (CheckAnswer | undefined)[]): void {
    if (!h.valid) return;
    entries.forEach((e, i) => {
      const a = answers[i];
      if (!a) return;
      const key = entryKey(e);
      h.answers.set(key, [...(h.answers.get(key) ?? []), a]);
    });
  }

  /**
   * `head` (the run lock) with this host's batch of checks in the same round trip: the batch runs on the host only
   * when head's last line of output is `proceed`. Head's stdout, or undefined when the host has no batch to send yet
   * (no previous run, already sent, or something changed): then the caller sends head alone.
   */
  async withBatch(host: string, sender: Sender, head: Command, proceed: string): Promise<string | undefined> {
    const h = this.#of(host);
    const previous = this.#opts.previous?.[host] ?? [];
    if (!h.valid || previous.length === 0 || h.pending) return undefined;
    const r = await runHeadedCheckBatch(await sender(), head, proceed, previous, this.#opts.timeoutMs ?? 120_000);
    if (r.answers) {
      this.#keep(h, previous, r.answers);
      h.pending = Promise.resolve();
    }
    return r.head;
  }

  /**
   * The transport a task call goes through; `mode` says, at each call, whether the task is checking or changing.
   * `sender` gives the host's own connection for the batch (one that hands back raw bytes: binary files stay exact);
   * by default the batch goes through `inner`.
   */
  view(inner: Transport, mode: () => CallMode, sender: Sender = () => Promise.resolve(inner)): Transport {
    const host = inner.host;
    return {
      host,
      exec: async (cmd, opts) => {
        const m = mode();
        if (m === 'change' || m === 'host-change') this.changed(host, m === 'host-change');
        if (m !== 'check') return inner.exec(cmd, opts);
        return (await this.#served(host, sender, cmd, opts)) ?? inner.exec(cmd, opts);
      },
      readFile: async (path) => {
        if (mode() !== 'check') return inner.readFile(path);
        const entry: CheckEntry = { kind: 'read', path };
        this.#record(host, entry);
        const a = await this.#take(host, sender, entry);
        return a?.kind === 'read' ? a.bytes : inner.readFile(path);
      },
      writeFile: (path, content, opts) => {
        this.changed(host, mode() === 'host-change');
        return inner.writeFile(path, content, opts);
      },
      upload: (local, remote, opts) => {
        this.changed(host, mode() === 'host-change');
        return inner.upload(local, remote, opts);
      },
      close: () => inner.close(),
    };
  }

  /** A check command's result from the batch (recorded either way), or undefined when it must go to the host. */
  async #served(host: string, sender: Sender, cmd: Command, opts: ExecOptions = {}): Promise<ExecResult | undefined> {
    if (opts.stdin !== undefined || opts.noSudo || (opts.secrets?.length ?? 0) > 0) return undefined;
    if (isLookupBatch(cmd)) return this.#servedLookups(host, sender, cmd);
    const entry = execEntry(cmd);
    if (!entry) return undefined;
    this.#record(host, entry);
    const a = await this.#take(host, sender, entry);
    if (a?.kind !== 'exec') return undefined;
    if (a.code !== 0 && !opts.allowFailure) throw new CommandError(host, entry.display, a.code, a.stdout, a.stderr);
    return { code: a.code, stdout: a.stdout, stderr: a.stderr, durationMs: 0 };
  }

  /** A batch of look-ups, answered look-up by look-up: all from the batch, or the whole batch from the host. */
  async #servedLookups(host: string, sender: Sender, batch: LookupBatch): Promise<ExecResult | undefined> {
    const entries = batch.lookups.map((l) => (l.kind === 'read' ? ({ kind: 'read', path: l.path } as const) : execEntry(l.cmd)));
    if (entries.some((e) => !e)) return undefined;
    const results: { code: number; stdout: string }[] = [];
    for (const e of entries as CheckEntry[]) {
      this.#record(host, e);
      results.push(lookupResult(await this.#take(host, sender, e)) ?? { code: -1, stdout: '' });
    }
    if (results.some((r) => r.code < 0)) return undefined;
    return { code: 0, stdout: encodeLookupOutput(batch.marker, results), stderr: '', durationMs: 0 };
  }
}

/** A command as a batch entry, or undefined when it carries a secret (never written to the checks file). */
function execEntry(cmd: Command): Extract<CheckEntry, { kind: 'exec' }> | undefined {
  if (commandSecrets(cmd).length > 0) return undefined;
  return { kind: 'exec', text: commandText(cmd), display: commandDisplay(cmd) };
}

/** An answer as a look-up result (a look-up's stderr is discarded; an absent file exits READ_ABSENT_CODE). */
function lookupResult(a: CheckAnswer | undefined): { code: number; stdout: string } | undefined {
  if (!a) return undefined;
  if (a.kind === 'exec') return { code: a.code, stdout: a.stdout };
  return a.bytes === null ? { code: READ_ABSENT_CODE, stdout: '' } : { code: 0, stdout: a.bytes.toString('utf8') };
}
