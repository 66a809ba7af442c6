/**
 * The per-host run lock, with its real shell script run by a local `sh` in a temp dir (standing in for a host):
 * one winner among concurrent runs, a clear refusal naming the owner, takeover of stale or orphaned locks,
 * release that never removes someone else's lock.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LockHeldError, RunLocks, parseLockFile, thisMachine, withLockStep } from '../../../src/engine/lock.js';
import { commandText, type Command } from '../../../src/transport/command.js';
import type { ExecResult, Transport } from '../../../src/transport/types.js';

/** A "host" whose commands run in a local shell. */
function localHost(name: string): Transport {
  return {
    host: name,
    exec: (cmd: Command) =>
      new Promise<ExecResult>((resolve, reject) => {
        const started = Date.now();
        const child = spawn('sh', ['-c', commandText(cmd)]);
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => (stdout += d));
        child.stderr.on('data', (d) => (stderr += d));
        child.on('close', (code) =>
          code === 0 ? resolve({ code, stdout, stderr, durationMs: Date.now() - started }) : reject(new Error(`exit ${code}: ${stderr}`)),
        );
      }),
    writeFile: async () => undefined,
    readFile: async () => null,
    upload: async () => ({ transferred: false, bytes: 0, sha256: '' }),
    close: async () => undefined,
  };
}

const now = () => Math.floor(Date.now() / 1000);
const lockFile = (fields: Record<string, string | number>) =>
  Object.entries(fields)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n') + '\n';

describe('run lock', () => {
  let dir: string;
  const host = localHost('h1');
  const locks: RunLocks[] = [];
  const make = (command = 'apply', extra: ConstructorParameters<typeof RunLocks>[0] = { command }) => {
    const l = new RunLocks({ dir, ...extra, command });
    locks.push(l);
    return l;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ks-lock-'));
  });
  afterEach(async () => {
    await Promise.all(locks.splice(0).map((l) => l.release()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('the first run takes it; the second is refused with an error naming the owner', async () => {
    const a = make('apply');
    await a.acquire('h1', host);
    const rec = parseLockFile(readFileSync(join(dir, 'lock'), 'utf8'))!;
    expect(rec).toMatchObject({ id: a.owner.id, pid: process.pid, admin: hostname(), command: 'apply' });
    expect(Math.abs(rec.refreshed - now())).toBeLessThan(5);

    const b = make('reset');
    const err = await b.acquire('h1', host).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockHeldError);
    expect((err as Error).message).toContain(`h1: another kubesmith run holds /var/lib/kubesmith/lock: apply by`);
    expect((err as Error).message).toContain(`@${hostname()} (pid ${process.pid}, run ${a.owner.id})`);
    expect(b.held()).toEqual([]);
    // the refusal did not touch the owner's file
    expect(parseLockFile(readFileSync(join(dir, 'lock'), 'utf8'))!.id).toBe(a.owner.id);
  });

  it('of ten runs racing for a free lock, exactly one wins', async () => {
    const runs = Array.from({ length: 10 }, () => make());
    const results = await Promise.allSettled(runs.map((r) => r.acquire('h1', host)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason instanceof LockHeldError)).toBe(
      true,
    );
    const winner = runs[results.findIndex((r) => r.status === 'fulfilled')]!;
    expect(parseLockFile(readFileSync(join(dir, 'lock'), 'utf8'))!.id).toBe(winner.owner.id);
  });

  it('a lock not refreshed for staleSeconds is taken over', async () => {
    writeFileSync(
      join(dir, 'lock'),
      lockFile({
        id: 'old-run',
        admin: 'elsewhere',
        pid: 4242,
        user: 'ops',
        command: 'apply',
        started: now() - 500,
        refreshed: now() - 100,
      }),
    );
    const logs: string[] = [];
    const a = make('apply', { command: 'apply', staleSeconds: 60 });
    await a.acquire('h1', host, (m) => logs.push(m));
    expect(parseLockFile(readFileSync(join(dir, 'lock'), 'utf8'))!.id).toBe(a.owner.id);
    expect(logs.join('\n')).toMatch(/taking over a stale lock of run old-run .*not refreshed for 10\ds/);
  });

  it('a fresh lock of another machine is respected; one of this machine whose process ended is taken over', async () => {
    writeFileSync(
      join(dir, 'lock'),
      lockFile({ id: 'other', admin: 'elsewhere', pid: 1, user: 'ops', command: 'apply', started: now(), refreshed: now() }),
    );
    await expect(make().acquire('h1', host)).rejects.toThrow(/apply by ops@elsewhere \(pid 1, run other\)/);

    const dead = spawnSync('true').pid!; // a pid that has ended
    const me = thisMachine();
    expect(me.machine).toMatch(/^[0-9a-f]{32}$/);
    writeFileSync(
      join(dir, 'lock'),
      lockFile({ id: 'killed', admin: hostname(), pid: dead, user: 'ops', command: 'apply', ...me, started: now(), refreshed: now() }),
    );
    const logs: string[] = [];
    const a = make();
    await a.acquire('h1', host, (m) => logs.push(m));
    expect(logs.join('\n')).toContain(`process ${dead} on ${hostname()} has ended`);

    // a live process of this machine keeps its lock
    await a.release();
    writeFileSync(
      join(dir, 'lock'),
      lockFile({ id: 'alive', admin: hostname(), pid: 1, user: 'ops', command: 'apply', ...me, started: now(), refreshed: now() }),
    );
    await expect(make().acquire('h1', host)).rejects.toBeInstanceOf(LockHeldError);
  });

  it('a fresh lock of another admin machine with the same host name is never taken over, whatever its pid', async () => {
    const dead = spawnSync('true').pid!; // ended here: but the holder's pid lives on another machine
    const me = thisMachine();
    const others: Record<string, string>[] = [
      {}, // an owner that recorded no machine: nothing proves where its pid lives
      { machine: 'f'.repeat(32), boot: me.boot, pidns: me.pidns },
      { machine: me.machine, boot: 'e'.repeat(32), pidns: me.pidns }, // a clone of this machine's image, or an earlier boot
      { machine: me.machine, boot: me.boot, pidns: '4026531999' }, // another container on this kernel
    ];
    for (const other of others) {
      writeFileSync(
        join(dir, 'lock'),
        lockFile({ id: 'twin', admin: hostname(), pid: dead, user: 'ops', command: 'apply', ...other, started: now(), refreshed: now() }),
      );
      const err = await make()
        .acquire('h1', host)
        .catch((e: unknown) => e);
      expect(err, JSON.stringify(other)).toBeInstanceOf(LockHeldError);
      expect(parseLockFile(readFileSync(join(dir, 'lock'), 'utf8'))!.id).toBe('twin');
    }
    // our own record carries all three
    const a = make();
    writeFileSync(join(dir, 'lock'), '');
    await a.acquire('h1', host);
    expect(parseLockFile(readFileSync(join(dir, 'lock'), 'utf8'))).toMatchObject({ ...me, admin: hostname(), pid: process.pid });
  });

  it('an unreadable lock file is replaced', async () => {
    writeFileSync(join(dir, 'lock'), 'garbage\n');
    const a = make();
    await a.acquire('h1', host);
    expect(parseLockFile(readFileSync(join(dir, 'lock'), 'utf8'))!.id).toBe(a.owner.id);
  });

  it('refresh moves the time; release removes only our own lock', async () => {
    writeFileSync(
      join(dir, 'lock'),
      lockFile({ id: 'x', admin: 'elsewhere', pid: 1, user: 'ops', command: 'apply', started: 1, refreshed: 1 }),
    );
    const a = make();
    await a.acquire('h1', host); // stale since 1970
    const before = parseLockFile(readFileSync(join(dir, 'lock'), 'utf8'))!;
    writeFileSync(join(dir, 'lock'), readFileSync(join(dir, 'lock'), 'utf8').replace(/refreshed=\d+/, 'refreshed=5'));
    await a.refresh();
    const after = parseLockFile(readFileSync(join(dir, 'lock'), 'utf8'))!;
    expect(after.refreshed).toBeGreaterThanOrEqual(before.refreshed);
    expect(after.started).toBe(before.started);

    // someone else took it (e.g. after we were presumed dead): our release leaves theirs alone
    writeFileSync(
      join(dir, 'lock'),
      lockFile({ id: 'newer', admin: 'elsewhere', pid: 1, user: 'ops', command: 'apply', started: now(), refreshed: now() }),
    );
    await a.release();
    expect(parseLockFile(readFileSync(join(dir, 'lock'), 'utf8'))!.id).toBe('newer');

    const b = make();
    await b.acquire('h1', host).catch(() => undefined);
    writeFileSync(join(dir, 'lock'), '');
    const c = make();
    await c.acquire('h1', host);
    await c.release();
    expect(() => readFileSync(join(dir, 'lock'))).toThrow(/ENOENT/);
  });

  it('the lock step comes first in mutating playbooks and skips itself in a dry run', async () => {
    const pb = withLockStep({ name: 'apply', description: '', phases: [{ phase: 'P', steps: [{ task: 'facts.gather', hosts: 'all' }] }] });
    expect(pb.phases[0]!.steps.map((s) => s.task)).toEqual(['run.lock', 'facts.gather']);
    expect(pb.phases[0]!.steps[0]).toMatchObject({ hosts: 'all', critical: true });
    const task = make().task();
    const ctx = { dryRun: true } as Parameters<typeof task.check>[0];
    expect(await task.check(ctx)).toEqual({ status: 'skip', reason: 'plan takes no lock' });
  });
});
