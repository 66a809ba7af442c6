// Helpers for the runtime emulator tests: a temp LAB_FS_ROOT per test and a runner for the bin/ launchers
// (journal + fault hook + compiled TypeScript), building dist/ first when the sources are newer.
import { spawn, spawnSync } from 'node:child_process';
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
  /** Like run(), without blocking this process's event loop (needed when the test itself serves a registry). */
  runAsync(tool: string, args: string[] = []): Promise<Result> {
    return new Promise((resolve) => {
      const child = spawn(join(BIN, tool), args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LAB_FS_ROOT: this.dir, LAB_REPO: REPO, ...this.env } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => { stdout += d; });
      child.stderr.on('data', (d) => { stderr += d; });
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
  }
  systemctl(unit: string, action: 'start' | 'stop'): Result {
    return this.run(join(UNITS, `${unit}.service.${action}`));
  }
  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A minimal registry on loopback serving manifests (what the emulated pulls fetch), counting requests per path. */
export async function manifestRegistry(manifests: Record<string, { bytes: Buffer; mediaType: string }>): Promise<{ port: number; hits: string[]; close: () => Promise<void> }> {
  const { createServer } = await import('node:http');
  const { createHash } = await import('node:crypto');
  const hits: string[] = [];
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0]!;
    hits.push(req.url ?? '');
    const manifest = manifests[path];
    if (!manifest) { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'content-type': manifest.mediaType, 'docker-content-digest': `sha256:${createHash('sha256').update(manifest.bytes).digest('hex')}` });
    res.end(manifest.bytes);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { port, hits, close: () => new Promise<void>((r) => server.close(() => r())) };
}
