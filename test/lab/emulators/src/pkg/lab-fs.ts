// Paths and small I/O helpers for the package-manager emulators. Every path is prefixed by LAB_FS_ROOT.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const fsRoot = (): string => process.env.LAB_FS_ROOT ?? '';
export const at = (path: string): string => fsRoot() + path;

/** The repository root: LAB_REPO, else four levels above dist/test/lab/emulators/src/pkg. */
export function repoRoot(): string {
  if (process.env.LAB_REPO) return process.env.LAB_REPO;
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../../../../..');
}
export const emulatorsDir = (): string => join(repoRoot(), 'test/lab/emulators');

/** LAB_OS from the environment or /etc/lab/env. */
export function labOs(): string {
  if (process.env.LAB_OS) return process.env.LAB_OS;
  const env = readText('/etc/lab/env') ?? '';
  return /^LAB_OS=(.*)$/m.exec(env)?.[1]?.trim() || 'debian12';
}
export const isRpmOs = (os: string): boolean => os.startsWith('rocky') || os.startsWith('rhel') || os.startsWith('alma');

export function readText(path: string): string | undefined {
  try {
    return readFileSync(at(path), 'utf8');
  } catch {
    return undefined;
  }
}
export function writeText(path: string, text: string, mode?: number): void {
  mkdirSync(dirname(at(path)), { recursive: true });
  writeFileSync(at(path), text, mode === undefined ? undefined : { mode });
}
export function listDir(path: string): string[] {
  try {
    return readdirSync(at(path)).sort();
  } catch {
    return [];
  }
}
export const exists = (path: string): boolean => existsSync(at(path));

/** A command-line file argument as a host path: relative ones are taken from the working directory. */
export function hostPath(arg: string): string {
  if (arg.startsWith('/')) return arg;
  const cwd = process.cwd();
  const root = fsRoot();
  const inHost = root && cwd.startsWith(root + '/') ? cwd.slice(root.length) : cwd;
  return `${inHost.replace(/\/$/, '')}/${arg.replace(/^\.\//, '')}`;
}

/** Collects output; the entry point writes it and sets the exit code. */
export class Out {
  stdout = '';
  stderr = '';
  out(line = ''): void {
    this.stdout += line + '\n';
  }
  err(line: string): void {
    this.stderr += line + '\n';
  }
}

/** Thrown to end a command with an exit code (its message, if any, already in Out). */
export class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}
