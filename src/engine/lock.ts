/**
 * The per-host run lock: one mutating run at a time on a host (k0sctl takes a similar lock; kubesmith's
 * expires, so a run killed with -9 never leaves a cluster locked for good — k0sctl#572).
 *
 * - A file /var/lib/kubesmith/lock on each host holds the owner: run id, admin machine, its pid, user, command,
 *   and two times read from the host's own clock (started, refreshed). Reads and writes of it happen under
 *   flock(1) on a sibling mutex file, so two runs deciding at once cannot both win; the file itself is
 *   replaced by rename, so it is never seen half written.
 * - The owner refreshes it every refreshSeconds while it runs. Another run may take it over when it was not
 *   refreshed for staleSeconds, or when its owner provably ran on this very machine (same machine-id, boot id and
 *   pid namespace, not just the same host name: two laptops are often both called "laptop") and that process is gone.
 * - Only mutating runs take it (the CLI inserts the step; plan never does). Taking it is not a change to the
 *   cluster, so the step reports ok, not changed.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { sh, type ShellScript } from '../transport/command.js';
import type { Transport } from '../transport/types.js';
import type { Playbook, Task } from './types.js';

export const LOCK_DIR = '/var/lib/kubesmith';
export const LOCK_PATH = `${LOCK_DIR}/lock`;
export const LOCK_TASK_ID = 'run.lock';

export interface LockOwner {
  /** This run's id (random). */
  id: string;
  /** The admin machine's host name and the kubesmith process. */
  admin: string;
  pid: number;
  user: string;
  command: string;
  /** The admin machine's /etc/machine-id, its current boot id and the pid namespace of the process ('' when unknown:
   *  then only the TTL frees the lock). Containers of one image can share a machine-id and a kernel: the pid
   *  namespace tells whether `pid` can be checked from here. */
  machine: string;
  boot: string;
  pidns: string;
}

/** What a lock file says; times in seconds on the host's clock. */
export interface LockRecord extends LockOwner {
  started: number;
  refreshed: number;
}

export interface RunLocksOptions {
  command: string;
  /** A lock not refreshed for this long is stale (default 90, or KUBESMITH_LOCK_STALE_SECONDS). */
  staleSeconds?: number;
  /** How often the owner refreshes (default staleSeconds / 4). */
  refreshSeconds?: number;
  owner?: Partial<LockOwner>;
  /** Whether a pid of this machine is alive (tests inject one). */
  pidAlive?: (pid: number) => boolean;
  /** Where the lock lives on hosts (default /var/lib/kubesmith; unit tests use a temp dir). */
  dir?: string;
  /**
   * Send the lock script together with the host's batch of checks (ConvergeCache.withBatch: the batch runs only once
   * the lock is taken), resolving with the lock script's output; undefined when there is no batch to send with it.
   */
  fold?: (host: string, script: ShellScript, proceed: string) => Promise<string | undefined>;
}

/** Another run holds the lock of a host. */
export class LockHeldError extends Error {
  constructor(
    readonly host: string,
    readonly holder: LockRecord,
    readonly ageSeconds: number,
    staleSeconds: number,
  ) {
    const since = new Date(holder.started * 1000).toISOString();
    super(
      `${host}: another kubesmith run holds ${LOCK_PATH}: ${holder.command} by ${holder.user}@${holder.admin} (pid ${holder.pid}, run ${holder.id}) ` +
        `since ${since}, refreshed ${ageSeconds}s ago\nhint: wait for it to finish; the lock expires ${staleSeconds}s after its last refresh, ` +
        `or at once when that process has ended (when it ran on this machine: same machine-id)`,
    );
    this.name = 'LockHeldError';
  }
}

export function parseLockFile(text: string): LockRecord | undefined {
  const kv = new Map(text.split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const));
  const num = (k: string) => Number(kv.get(k) ?? NaN);
  const rec = {
    id: kv.get('id') ?? '',
    admin: kv.get('admin') ?? '?',
    pid: num('pid'),
    user: kv.get('user') ?? '?',
    command: kv.get('command') ?? '?',
    machine: kv.get('machine') ?? '',
    boot: kv.get('boot') ?? '',
    pidns: kv.get('pidns') ?? '',
    started: num('started'),
    refreshed: num('refreshed'),
  };
  return rec.id && Number.isFinite(rec.refreshed) ? rec : undefined;
}

const oneLine = (s: string) => s.replace(/[\r\n]/g, ' ').slice(0, 200);

/**
 * The remote script: under the mutex, take the lock when it is free, ours, or the one we were told may be
 * replaced (`replace`: the id of a stale holder); otherwise print "held <now>" and the file.
 */
export function lockScript(owner: LockOwner, mode: 'acquire' | 'refresh' | 'release', replace = '', dir = LOCK_DIR): ReturnType<typeof sh> {
  const body = [
    `id=${owner.id}`,
    `admin=${oneLine(owner.admin)}`,
    `pid=${owner.pid}`,
    `user=${oneLine(owner.user)}`,
    `command=${oneLine(owner.command)}`,
    `machine=${oneLine(owner.machine)}`,
    `boot=${oneLine(owner.boot)}`,
    `pidns=${oneLine(owner.pidns)}`,
  ].join('\n');
  // Few processes: the file is read with the shell's own `read`, and the clock only when a record is written.
  return sh`set -e
mkdir -p -m 0755 ${dir}
exec 9>>${`${dir}/.lock.mutex`}
if command -v flock >/dev/null 2>&1; then flock -w 20 9; fi
f=${`${dir}/lock`}
cur= started=
if [ -f "$f" ]; then
  while IFS='=' read -r k v || [ -n "$k" ]; do
    case $k in id) cur=$v ;; started) started=$v ;; esac
  done < "$f"
fi
case ${mode} in
release) [ "$cur" = ${owner.id} ] && rm -f "$f"; echo released; exit 0 ;;
refresh) [ "$cur" = ${owner.id} ] || { echo lost; exit 0; } ;;
*) if [ -n "$cur" ] && [ "$cur" != ${owner.id} ] && [ "$cur" != ${replace || '-'} ]; then echo "held $(date +%s)"; cat "$f"; exit 0; fi ;;
esac
now=$(date +%s)
[ "$cur" = ${owner.id} ] || started=$now
tmp="$f.$$"
umask 022
printf '%s\nstarted=%s\nrefreshed=%s\n' ${body} "$started" "$now" > "$tmp"
mv -f "$tmp" "$f"
echo ok`;
}

/** A 32-hex-digit id from a file of this machine (machine-id, boot_id), or '' when there is none. */
function machineFileId(path: string): string {
  try {
    const id = readFileSync(path, 'utf8').trim().replace(/-/g, '');
    return /^[0-9a-f]{32}$/.test(id) ? id : '';
  } catch {
    return '';
  }
}

/** Which machine and boot this process runs in: what proves that a holder's pid belongs to this machine. */
export function thisMachine(): { machine: string; boot: string; pidns: string } {
  let pidns = '';
  try {
    pidns = /^pid:\[(\d+)\]$/.exec(readlinkSync('/proc/self/ns/pid'))?.[1] ?? '';
  } catch {
    /* not Linux */
  }
  return {
    machine: machineFileId('/etc/machine-id') || machineFileId('/var/lib/dbus/machine-id'),
    boot: machineFileId('/proc/sys/kernel/random/boot_id'),
    pidns,
  };
}

function defaultPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The locks of one run: acquire per host (as the run's first step), refresh in the background, release at the end. */
export class RunLocks {
  readonly owner: LockOwner;
  readonly staleSeconds: number;
  readonly #refreshMs: number;
  readonly #pidAlive: (pid: number) => boolean;
  readonly #dir: string;
  readonly #fold: RunLocksOptions['fold'];
  readonly #held = new Map<string, Transport>();
  #timer: NodeJS.Timeout | undefined;

  constructor(opts: RunLocksOptions) {
    const envStale = Number(process.env.KUBESMITH_LOCK_STALE_SECONDS);
    this.staleSeconds = opts.staleSeconds ?? (envStale > 0 ? envStale : 90);
    this.#refreshMs = (opts.refreshSeconds ?? Math.max(1, this.staleSeconds / 4)) * 1000;
    this.#pidAlive = opts.pidAlive ?? defaultPidAlive;
    this.#dir = opts.dir ?? LOCK_DIR;
    this.#fold = opts.fold;
    let user = 'unknown';
    try {
      user = userInfo().username;
    } catch {
      /* no passwd entry */
    }
    this.owner = { id: randomUUID(), admin: hostname(), pid: process.pid, user, command: opts.command, ...thisMachine(), ...opts.owner };
  }

  /** Hosts whose lock this run holds. */
  held(): string[] {
    return [...this.#held.keys()];
  }

  /** Why a holder's lock may be replaced, or undefined when it may not. */
  staleReason(holder: LockRecord, now: number): string | undefined {
    const age = now - holder.refreshed;
    if (age > this.staleSeconds) return `not refreshed for ${age}s`;
    // A host name proves nothing (another admin machine may bear the same one), nor does a machine-id alone (cloned
    // images share it): only the same machine-id, boot and pid namespace make the holder's pid one we can check.
    // Anything less waits for the TTL.
    const me = this.owner;
    const same = (k: 'machine' | 'boot' | 'pidns') => me[k] !== '' && holder[k] === me[k];
    if (same('machine') && same('boot') && same('pidns') && holder.pid !== me.pid && !this.#pidAlive(holder.pid)) {
      return `process ${holder.pid} on ${holder.admin} has ended`;
    }
    return undefined;
  }

  async acquire(host: string, transport: Transport, log?: (message: string) => void): Promise<void> {
    let replace = '';
    for (let attempt = 0; attempt < 3; attempt++) {
      const script = lockScript(this.owner, 'acquire', replace, this.#dir);
      // First attempt: with the host's batch of checks, in one round trip (the batch runs once the lock is ours).
      const folded = attempt === 0 ? await this.#fold?.(host, script, 'ok') : undefined;
      const out = folded ?? (await transport.exec(script)).stdout;
      if (out.trim().endsWith('ok')) {
        this.#held.set(host, transport);
        this.#startRefresh();
        return;
      }
      const [first = '', ...rest] = out.split('\n');
      const now = Number(/^held (\d+)/.exec(first)?.[1] ?? NaN);
      const holder = parseLockFile(rest.join('\n'));
      if (!holder) {
        replace = (/^id=(.*)$/m.exec(rest.join('\n'))?.[1] ?? '').trim() || '-'; // unreadable file: replace it
        log?.(`replacing an unreadable lock file ${LOCK_PATH}`);
        continue;
      }
      const why = this.staleReason(holder, now);
      if (!why) throw new LockHeldError(host, holder, now - holder.refreshed, this.staleSeconds);
      log?.(`taking over a stale lock of run ${holder.id} (${holder.command} by ${holder.user}@${holder.admin} pid ${holder.pid}): ${why}`);
      replace = holder.id;
    }
    throw new Error(`${host}: could not take ${LOCK_PATH} (it kept changing owner)`);
  }

  /** Refresh every held lock now (a host that cannot be reached keeps its lock until it goes stale). */
  async refresh(): Promise<void> {
    await Promise.all(
      [...this.#held.values()].map((t) =>
        t.exec(lockScript(this.owner, 'refresh', '', this.#dir), { timeoutMs: 30_000 }).catch(() => undefined),
      ),
    );
  }

  /** Release every lock this run holds; best effort (an unreachable host's lock expires by itself). */
  async release(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    const held = [...this.#held.values()];
    this.#held.clear();
    await Promise.all(
      held.map((t) => t.exec(lockScript(this.owner, 'release', '', this.#dir), { timeoutMs: 15_000 }).catch(() => undefined)),
    );
  }

  #startRefresh(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.refresh(), this.#refreshMs);
    this.#timer.unref();
  }

  /** The run's first step: take this host's lock. */
  task(): Task {
    return {
      id: LOCK_TASK_ID,
      title: `Run | Take the run lock ${LOCK_PATH}`,
      liveCheck: true,
      check: async (ctx) => {
        // Taken here, not in apply(): holding the lock changes nothing in the cluster, so the step reports ok.
        if (ctx.dryRun) return { status: 'skip', reason: 'plan takes no lock' };
        await this.acquire(ctx.host.name, ctx.transport, ctx.log);
        return { status: 'ok' };
      },
      apply: async () => undefined,
    };
  }
}

/** The playbook with the lock step first: every in-scope host, critical (a refused lock stops the run). */
export function withLockStep(playbook: Playbook): Playbook {
  const [first, ...rest] = playbook.phases;
  const step = { task: LOCK_TASK_ID, hosts: 'all' as const, critical: true };
  if (!first) return playbook;
  return { ...playbook, phases: [{ ...first, steps: [step, ...first.steps] }, ...rest] };
}
