// A LAB_FS_ROOT sandbox for running the system emulators outside a lab host.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
export const BIN = join(REPO, 'test/lab/emulators/bin');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Builds the TypeScript emulators once when dist/ is missing (CI runs `npm ci`, which builds). */
export function ensureBuilt(): void {
  if (existsSync(join(REPO, 'dist/test/lab/emulators/src/pkg/main.js'))) return;
  spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: REPO, stdio: 'ignore' });
}

export class Sandbox {
  readonly root = mkdtempSync(join(tmpdir(), 'ks-emu-'));
  env: Record<string, string>;
  constructor(
    readonly os = 'debian12',
    extra: Record<string, string> = {},
  ) {
    this.env = { PATH: `${BIN}:/usr/bin:/bin`, LAB_FS_ROOT: this.root, LAB_OS: os, LAB_REPO: REPO, HOME: this.root, ...extra };
  }
  run(cmd: string, args: string[] = [], input = ''): Run {
    const r = spawnSync(join(BIN, cmd), args, { env: this.env, input, encoding: 'utf8', timeout: 30_000 });
    return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }
  /** Runs and expects success; returns stdout. */
  ok(cmd: string, ...args: string[]): string {
    const r = this.run(cmd, args);
    if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  }
  write(path: string, text: string): void {
    mkdirSync(dirname(this.root + path), { recursive: true });
    writeFileSync(this.root + path, text);
  }
  read(path: string): string | undefined {
    try {
      return readFileSync(this.root + path, 'utf8');
    } catch {
      return undefined;
    }
  }
  exists(path: string): boolean {
    return existsSync(this.root + path);
  }
  /** A fresh persona: lab-host-init then lab-boot, like host creation. */
  boot(): this {
    this.ok('lab-host-init');
    this.ok('lab-boot');
    return this;
  }
  journal(): string[] {
    return (this.read('/var/log/lab/journal.log') ?? '').split('\n').filter(Boolean);
  }
  dispose(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}
