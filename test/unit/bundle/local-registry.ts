/**
 * A real registry v2 (Debian's docker-registry) on 127.0.0.1 for tests: its own config and storage in a temp dir,
 * its PID recorded, stopped by PID. Seed it through kubesmith's own push code.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REGISTRY_BIN = '/usr/bin/docker-registry';
export const haveRegistry = () => existsSync(REGISTRY_BIN);

export interface LocalRegistry {
  url: string;
  host: string;
  pid: number;
  stop(): Promise<void>;
}

export async function freePort(bindIp = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, bindIp, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** bindIp: 127.0.0.1 by default; a lab bridge address (10.199.k.1) makes it reachable from that lab's hosts. */
export async function startRegistry(bindIp = '127.0.0.1'): Promise<LocalRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'ks-registry-'));
  const port = await freePort(bindIp);
  const config = join(dir, 'config.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: error',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(dir, 'data')}`,
      'http:',
      `  addr: ${bindIp}:${port}`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(REGISTRY_BIN, ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = `http://${bindIp}:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const res = await fetch(`${url}/v2/`);
      if (res.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      if (child.pid) process.kill(child.pid, 'SIGKILL');
      throw new Error(`docker-registry did not start on ${url}: ${stderr.slice(-500)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const pid = child.pid!;
  return {
    url,
    host: `${bindIp}:${port}`,
    pid,
    stop: async () => {
      if (child.exitCode === null) {
        process.kill(pid, 'SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
