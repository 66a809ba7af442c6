// Paths and small I/O helpers shared by the runtime emulators. Every path goes through labPath(),
// which prefixes LAB_FS_ROOT so the emulators can be unit-tested in a temp dir.
import { existsSync, linkSync, mkdirSync, readFileSync, renameSync, writeFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function labRoot(): string {
  return process.env.LAB_FS_ROOT ?? '';
}

export function labPath(path: string): string {
  return join(labRoot() || '/', path);
}

export function readText(path: string): string | undefined {
  const full = labPath(path);
  return existsSync(full) ? readFileSync(full, 'utf8') : undefined;
}

/** Atomic write (tmp + rename) so concurrent readers never see half a file. */
export function writeText(path: string, text: string): void {
  const full = labPath(path);
  mkdirSync(dirname(full), { recursive: true });
  const tmp = `${full}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, full);
}

export function removePath(path: string): void {
  rmSync(labPath(path), { force: true, recursive: true });
}

export function readJson<T>(path: string): T | undefined {
  const text = readText(path);
  return text === undefined ? undefined : (JSON.parse(text) as T);
}

export function writeJson(path: string, value: unknown): void {
  writeText(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** KEY=value lines of /etc/lab/env (the host's identity), overridden by the process environment. */
export function labEnv(key: string): string | undefined {
  if (process.env[key] !== undefined) return process.env[key];
  const text = readText('/etc/lab/env') ?? '';
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0 && line.slice(0, eq).trim() === key)
      return line
        .slice(eq + 1)
        .trim()
        .replace(/^["']|["']$/g, '');
  }
  return undefined;
}

/** A process's start time (field 22 of /proc/PID/stat), or undefined when it is gone or a zombie. */
function processStart(pid: number): string | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /s, '')
      .split(' ');
    return fields[0] === 'Z' || fields[0] === 'X' ? undefined : fields[19];
  } catch {
    return undefined;
  }
}

/** "PID START": the owner of a lock, so a reused PID is never taken for it. */
function ownerRecord(): string {
  return `${process.pid} ${processStart(process.pid) ?? ''}\n`;
}

/** Whether the process named by a lock's record still runs (same PID, same start time). */
function ownerAlive(record: string): boolean {
  const [pid, start] = record.trim().split(/\s+/);
  const now = processStart(Number(pid));
  return now !== undefined && (start === undefined || start === '' || now === start);
}

/** Why a lock is busy, for the error: its owner's PID, state and command line. */
function ownerDescription(record: string): string {
  const pid = Number(record.trim().split(/\s+/)[0]);
  try {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /s, '')
      .split(' ')[0];
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    return `by PID ${pid} (state ${state}: ${cmdline})`;
  } catch {
    return `by PID ${pid}`;
  }
}

/**
 * Runs fn holding an exclusive lock file: concurrent emulator calls on one host (parallel imports) must not lose each
 * other's read-modify-write. The lock appears with its owner's record already in it (written to a file of our own,
 * then hard-linked into place, which fails when the lock exists), so a process killed at any moment leaves either no
 * lock or one naming it. A lock whose owner died (or is a zombie) is taken over — as the kernel drops the flock of
 * containerd's metadata database when containerd dies.
 */
export function withLock<T>(path: string, fn: () => T): T {
  const lock = `${labPath(path)}.lock`;
  const mine = `${lock}.${process.pid}`;
  mkdirSync(dirname(lock), { recursive: true });
  writeFileSync(mine, ownerRecord());
  const deadline = Date.now() + 60_000;
  try {
    for (;;) {
      try {
        linkSync(mine, lock);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      let record: string;
      try {
        record = readFileSync(lock, 'utf8');
      } catch {
        continue; /* released meanwhile */
      }
      if (!ownerAlive(record)) {
        takeOver(lock, record);
        continue;
      }
      if (Date.now() > deadline) throw new Error(`lock ${path} held too long ${ownerDescription(record)}`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
  } finally {
    rmSync(mine, { force: true });
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

/** Removes a dead owner's lock, unless another process took it over first (then its record differs). */
function takeOver(lock: string, deadRecord: string): void {
  try {
    if (readFileSync(lock, 'utf8') === deadRecord) rmSync(lock, { force: true });
  } catch {
    /* gone already */
  }
}
