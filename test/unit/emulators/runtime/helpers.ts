// Helpers for the runtime emulator tests: a temp LAB_FS_ROOT per test and a runner for the bin/ launchers
// (journal + fault hook + compiled TypeScript), building dist/ first when the sources are newer.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:http';
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '../../../..');
export const BIN = join(REPO, 'test/lab/emulators/bin');
export const UNITS = join(REPO, 'test/lab/emulators/units');
const SRC = join(REPO, 'test/lab/emulators/src/runtime');
const DIST = join(REPO, 'dist/test/lab/emulators/src/runtime');

/** Compiles when any runtime source is newer than its own compiled file (others may be building dist/ too). */
export function ensureBuilt(): void {
  const stale = () =>
    readdirSync(SRC)
      .filter((f) => f.endsWith('.ts'))
      .some((f) => {
        const js = join(DIST, f.replace(/\.ts$/, '.js'));
        return !existsSync(js) || statSync(js).mtimeMs < statSync(join(SRC, f)).mtimeMs;
      });
  if (!stale()) return;
  // tsc emits even when files owned by others have type errors; only our output matters here
  spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: REPO, stdio: 'ignore' });
  if (stale()) throw new Error('build did not produce the runtime emulators');
}

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

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
      encoding: 'utf8',
      input,
      timeout,
      killSignal: 'SIGKILL',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: this.dir, LAB_FS_ROOT: this.dir, LAB_REPO: REPO, ...this.env },
    });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  }
  /** Like run(), without blocking this process's event loop (needed when the test itself serves a registry). */
  runAsync(tool: string, args: string[] = []): Promise<Result> {
    return new Promise((resolve) => {
      const child = spawn(join(BIN, tool), args, {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LAB_FS_ROOT: this.dir, LAB_REPO: REPO, ...this.env },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => {
        stdout += d;
      });
      child.stderr.on('data', (d) => {
        stderr += d;
      });
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

/** Routes a registry serves for one test image: its manifest by tag and its blobs (config, layer). */
export function imageRoutes(
  repo: string,
  tag: string,
  image: { manifest: Buffer; config: Buffer; layer: Buffer },
): Record<string, { bytes: Buffer; mediaType: string }> {
  const digest = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
  return {
    [`/v2/${repo}/manifests/${tag}`]: { bytes: image.manifest, mediaType: 'application/vnd.oci.image.manifest.v1+json' },
    [`/v2/${repo}/manifests/${digest(image.manifest)}`]: { bytes: image.manifest, mediaType: 'application/vnd.oci.image.manifest.v1+json' },
    [`/v2/${repo}/blobs/${digest(image.config)}`]: { bytes: image.config, mediaType: 'application/octet-stream' },
    [`/v2/${repo}/blobs/${digest(image.layer)}`]: { bytes: image.layer, mediaType: 'application/octet-stream' },
  };
}

/** A minimal registry on loopback (manifests and blobs by path, GET and HEAD), recording every request. */
export async function manifestRegistry(
  routes: Record<string, { bytes: Buffer; mediaType: string }>,
): Promise<{ port: number; hits: string[]; close: () => Promise<void> }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0]!;
    hits.push(req.url ?? '');
    if (path === '/v2/' || path === '/v2') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      return;
    }
    const route = routes[path];
    if (!route) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}');
      return;
    }
    res.writeHead(200, {
      'content-type': route.mediaType,
      'content-length': route.bytes.length,
      'docker-content-digest': `sha256:${createHash('sha256').update(route.bytes).digest('hex')}`,
    });
    res.end(req.method === 'HEAD' ? undefined : route.bytes);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { port, hits, close: () => new Promise<void>((r) => server.close(() => r())) };
}
