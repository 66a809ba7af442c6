// Shared plumbing for the kube emulators: environment, LAB_FS_ROOT paths, the clock,
// the per-host journal and the fault hook (same conventions as the system emulators' lab-lib.sh).
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { hostname } from 'node:os';
import { spawnSync } from 'node:child_process';

/** A failure that ends the command with text on stderr and an exit code, like the real tool. */
export class ExitError extends Error {
  constructor(
    message: string,
    readonly code = 1,
  ) {
    super(message);
  }
}

export const fsRoot = (): string => process.env.LAB_FS_ROOT ?? '';

/** Host path → path on this machine (prefixed by LAB_FS_ROOT). */
export const hostPath = (p: string): string => fsRoot() + p;

let envCache: Record<string, string> | undefined;
/** Values from /etc/lab/env, overridden by the process environment. */
export function labEnv(key: string): string | undefined {
  if (process.env[key] !== undefined) return process.env[key];
  if (!envCache) {
    envCache = {};
    const file = hostPath('/etc/lab/env');
    if (existsSync(file)) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
        if (m) envCache[m[1]!] = m[2]!.replace(/^"(.*)"$/, '$1');
      }
    }
  }
  return envCache[key];
}

export const hostName = (): string => labEnv('LAB_HOST') ?? hostname();
export const hostIP = (): string => labEnv('LAB_IP') ?? '127.0.0.1';

/** Shared cluster dir: an absolute machine path from the environment, or the host's /run/lab/cluster. */
export function clusterDir(): string {
  if (process.env.LAB_CLUSTER_DIR) return process.env.LAB_CLUSTER_DIR;
  return hostPath(labEnv('LAB_CLUSTER_DIR') ?? '/run/lab/cluster');
}

/** Current time in ms; LAB_NOW (epoch ms or ISO date) moves the emulated clock. */
export function now(): number {
  const v = process.env.LAB_NOW;
  if (v) return /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  const skew = Number((readText('/etc/lab/clock-skew') ?? '0').trim()) || 0; // lab fault: skewClock
  return Date.now() + skew * 1000;
}

export function readText(p: string): string | undefined {
  const f = hostPath(p);
  return existsSync(f) ? readFileSync(f, 'utf8') : undefined;
}

export function writeText(p: string, content: string, mode = 0o644): void {
  const f = hostPath(p);
  mkdirSync(dirname(f), { recursive: true });
  writeFileSync(f, content, { mode });
}

export const exists = (p: string): boolean => existsSync(hostPath(p));
export const remove = (p: string): void => rmSync(hostPath(p), { recursive: true, force: true });

/** Shell-quote like bash's printf %q (backslash style, $'..' for control characters). */
export function shellQuote(arg: string): string {
  if (arg === '') return "''";
  if (/[\x00-\x1f\x7f]/.test(arg)) {
    const body = arg
      .replace(/[\\']/g, (c) => '\\' + c)
      .replace(/[\x00-\x1f\x7f]/g, (c) => {
        const named: Record<string, string> = { '\n': '\\n', '\t': '\\t', '\r': '\\r' };
        return named[c] ?? '\\' + c.charCodeAt(0).toString(8).padStart(3, '0');
      });
    return `$'${body}'`;
  }
  return arg.replace(/[^A-Za-z0-9_\-.,:/@%+=^]/g, (c) => '\\' + c);
}

/** One journal line per call: `<epoch-ms> <command> <args %q>`. */
export function journal(command: string, args: string[]): void {
  if (process.env.LAB_JOURNAL_OFF) return;
  try {
    const file = hostPath('/var/log/lab/journal.log');
    mkdirSync(dirname(file), { recursive: true });
    appendFileSync(file, [String(Date.now()), command, ...args.map(shellQuote)].join(' ') + '\n');
  } catch {
    /* a journal that cannot be written must not break the command */
  }
}

/** Fault hook: /var/lib/lab/faults/<command> holds "N mode" (fail|hang); each call consumes one. */
export function applyFault(command: string): void {
  const file = hostPath(join('/var/lib/lab/faults', command));
  if (!existsSync(file)) return;
  const [countText, mode] = (readFileSync(file, 'utf8').split('\n')[0] ?? '').trim().split(/\s+/);
  const count = Number(countText);
  if (!(count > 0)) return;
  writeFileSync(file, `${count - 1} ${mode}\n`);
  if (mode === 'hang') {
    const sab = new Int32Array(new SharedArrayBuffer(4));
    for (;;) Atomics.wait(sab, 0, 0, 3_600_000);
  }
  throw new ExitError('lab: injected failure', 1);
}

/**
 * Phase fault hook: /var/lib/lab/faults/<command>.after-<phase> holds "N mode" (failNext's rule); while N > 0 the
 * command dies right after that phase, killed (SIGKILL), as a kubeadm dies at its next write (SIGPIPE) when the SSH
 * session that ran it closed: what a kill -9 of kubesmith leaves, at a chosen phase.
 */
export function dieAfterPhase(command: string, phase: string): void {
  const file = hostPath(join('/var/lib/lab/faults', `${command}.after-${phase}`));
  if (!existsSync(file)) return;
  const [countText, mode] = (readFileSync(file, 'utf8').split('\n')[0] ?? '').trim().split(/\s+/);
  const count = Number(countText);
  if (!(count > 0)) return;
  writeFileSync(file, `${count - 1} ${mode}\n`);
  process.kill(process.pid, 'SIGKILL');
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run another emulator. Inside a host (no LAB_FS_ROOT) the command comes from PATH, where the lab's
 * emulators shadow the real ones. Under LAB_FS_ROOT (unit tests) only LAB_EMULATOR_BIN is searched,
 * so a test can never reach a real machine-wide command; a missing emulator yields undefined.
 */
export function runEmulator(command: string, args: string[], input?: string): RunResult | undefined {
  let file = command;
  if (fsRoot()) {
    const dir = process.env.LAB_EMULATOR_BIN;
    if (!dir || !existsSync(join(dir, command))) return undefined;
    file = join(dir, command);
  }
  // internal probes are not calls by a tool: keep them out of the host's journal
  const r = spawnSync(file, args, { encoding: 'utf8', input, env: { ...process.env, LAB_JOURNAL_OFF: '1' }, timeout: 60_000 });
  if (r.error) return undefined;
  return { code: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

export function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Entry wrapper: journal, fault hook, then run; ExitError → stderr + exit code. */
export async function main(command: string, run: (args: string[]) => Promise<void> | void): Promise<void> {
  const args = process.argv.slice(2);
  // `kubectl get pods | head -1`: a closed pipe ends the command quietly, like the Go tools
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  journal(command, args);
  try {
    applyFault(command);
    await run(args);
  } catch (e) {
    if (e instanceof ExitError) {
      if (e.message) process.stderr.write(e.message.endsWith('\n') ? e.message : e.message + '\n');
      process.exitCode = e.code;
      return;
    }
    throw e;
  }
}

/** Print one line (or block) to stdout. */
export const out = (s: string): void => void process.stdout.write(s.endsWith('\n') ? s : s + '\n');
