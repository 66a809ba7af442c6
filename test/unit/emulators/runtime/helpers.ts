// Helpers for the runtime emulator tests: a temp LAB_FS_ROOT per test and a runner for the bin/ launchers
// (journal + fault hook + compiled TypeScript), building dist/ first when the sources are newer.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '../../../..');
export const BIN = join(REPO, 'test/lab/emulators/bin');
export const UNITS = join(REPO, 'test/lab/emulators/units');
const SRC = join(REPO, 'test/lab/emulators/src/runtime');
const MAIN = join(REPO, 'dist/test/lab/emulators/src/runtime/main.js');

export function ensureBuilt(): void {
  const newest = Math.max(...readdirSync(SRC).map((f) => statSync(join(SRC, f)).mtimeMs));
  if (existsSync(MAIN) && statSync(MAIN).mtimeMs >= newest) return;
  // tsc emits even when files owned by others have type errors; only our output matters here
  spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: REPO, stdio: 'ignore' });
  if (!existsSync(MAIN)) throw new Error('build did not produce the runtime emulators');
}

export interface Result { code: number; stdout: string; stderr: string }

export class LabRoot {
  readonly dir = mkdtempSync(join(tmpdir(), 'ks-rt-'));
  env: Record<string, string> = {};

  path(p: string): string {
    return join(this.dir, p);
  }
  write(p: string, content: string | Buffer): string {
    mkdirSync(dirname(this.path(p)), { recursive: true });
    writeFileSync(this.path(p), content);
    return p;
  }
  exists(p: string): boolean {
    return existsSync(this.path(p));
  }
  /** Installs a package version the way the emulated package managers record it. */
  installed(pkg: string, version: string): void {
    this.write(`/var/lib/lab/pkgversions/${pkg}`, `${version}\n`);
  }
  run(tool: string, args: string[] = [], input?: string | Buffer): Result {
    return this.runWithTimeout(tool, args, 60_000, input);
  }
  runWithTimeout(tool: string, args: string[], timeout: number, input?: string | Buffer): Result {
    const path = tool.includes('/') ? tool : join(BIN, tool);
    const r = spawnSync(path, args, {
      encoding: 'utf8', input, timeout, killSignal: 'SIGKILL',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: this.dir, LAB_FS_ROOT: this.dir, LAB_REPO: REPO, ...this.env },
    });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  }
  systemctl(unit: string, action: 'start' | 'stop'): Result {
    return this.run(join(UNITS, `${unit}.service.${action}`));
  }
  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
