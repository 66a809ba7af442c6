// Paths and small I/O helpers shared by the runtime emulators. Every path goes through labPath(),
// which prefixes LAB_FS_ROOT so the emulators can be unit-tested in a temp dir.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, rmSync, openSync, closeSync } from 'node:fs';
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

function ownerAlive(lock: string): boolean {
  const pid = Number(readFileSync(lock, 'utf8').trim());
  if (!pid) return true; // being written: treat as held
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs fn holding an exclusive lock file (O_EXCL create holding our PID): concurrent emulator calls on one host
 * (parallel imports) must not lose each other's read-modify-write. A lock whose owner died is taken over.
 */
export function withLock<T>(path: string, fn: () => T): T {
  const lock = `${labPath(path)}.lock`;
  mkdirSync(dirname(lock), { recursive: true });
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const fd = openSync(lock, 'wx');
      writeFileSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      try {
        if (!ownerAlive(lock)) {
          rmSync(lock, { force: true });
          continue;
        }
      } catch {
        continue; /* released meanwhile */
      }
      if (Date.now() > deadline) throw new Error(`lock ${path} held too long`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { force: true });
  }
}
