// Paths and small I/O helpers shared by the runtime emulators. Every path goes through labPath(),
// which prefixes LAB_FS_ROOT so the emulators can be unit-tested in a temp dir.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, rmSync } from 'node:fs';
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
    if (eq > 0 && line.slice(0, eq).trim() === key) return line.slice(eq + 1).trim().replace(/^["']|["']$/g, '');
  }
  return undefined;
}

/** Asks lab-node-sync (kube emulators) to recompute this node's status; silent no-op when absent. */
export const RUNTIME_STATE_DIR = '/run/lab';
