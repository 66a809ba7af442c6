/**
 * The emulators' store lock (lab-paths withLock): a process killed by kill -9 while holding it — as the keeper of a
 * killed kubesmith run kills every command it started — must not block the host's next image pull. The real
 * containerd's metadata database is guarded by a flock, which the kernel drops when the holder dies.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withLock } from '../../../lab/emulators/src/runtime/lab-paths.js';

const STORE = '/var/lib/lab/images/k8s.io.json';
let root: string;
let saved: string | undefined;

beforeEach(() => {
  saved = process.env.LAB_FS_ROOT;
  root = mkdtempSync(join(tmpdir(), 'lab-lock-'));
  process.env.LAB_FS_ROOT = root;
});
afterEach(() => {
  if (saved === undefined) delete process.env.LAB_FS_ROOT;
  else process.env.LAB_FS_ROOT = saved;
});

const lockFile = () => join(root, `${STORE}.lock`);

/** A PID that no longer runs: a finished child's. */
function deadPid(): number {
  const r = spawnSync('sh', ['-c', 'echo $$']);
  return Number(String(r.stdout).trim());
}

describe('emulator store lock', () => {
  it('holds the owner record while fn runs and removes the lock after', () => {
    const seen = withLock(STORE, () => readFileSync(lockFile(), 'utf8'));
    expect(seen.split(' ')[0]).toBe(String(process.pid));
    expect(seen.trim().split(' ')[1]).toMatch(/^\d+$/);
    expect(existsSync(lockFile())).toBe(false);
  });

  it('takes over a lock whose owner is gone, and one whose PID now belongs to another process (start time differs)', () => {
    withLock(STORE, () => undefined); // creates the directory
    writeFileSync(lockFile(), `${deadPid()} 12345\n`);
    expect(withLock(STORE, () => 'ran')).toBe('ran');
    writeFileSync(lockFile(), `${process.pid} 1\n`);
    expect(withLock(STORE, () => 'ran again')).toBe('ran again');
  });

  it('a holder killed with SIGKILL inside the lock leaves a lock naming it, which the next caller takes over', async () => {
    const module = join(process.cwd(), 'dist/test/lab/emulators/src/runtime/lab-paths.js');
    const holder = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { withLock } from ${JSON.stringify(module)}; withLock(${JSON.stringify(STORE)}, () => { console.log('held'); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60000); });`,
      ],
      { env: { ...process.env, LAB_FS_ROOT: root }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    expect(readFileSync(lockFile(), 'utf8').split(' ')[0]).toBe(String(holder.pid));
    const exited = new Promise((resolve) => holder.once('exit', resolve));
    holder.kill('SIGKILL');
    await exited;
    expect(withLock(STORE, () => 'after the kill')).toBe('after the kill');
  });
});
