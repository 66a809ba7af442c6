/**
 * Fault tolerance, issue 8 items 5 and 6:
 * - two applies at once: the second is refused by the per-host lock, with an error naming the owner; the lock
 *   goes when its run ends, is taken over when its owner died, and plan never takes or minds it;
 * - a full disk during an upload: a clear error and no file (complete or partial) at the final path.
 */
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCK_PATH, parseLockFile, thisMachine } from '../../src/engine/lock.js';
import { loadInventory } from '../../src/inventory/index.js';
import { Host } from '../../src/model/host.js';
import { ConnectionPool } from '../../src/transport/index.js';
import { labDown, labUp, type Lab } from '../lab/lab.js';
import { spawnKubesmith, until } from './faults-helpers.js';
import { hostOutcomes, kubesmith, labReady, seedAptKeys } from './helpers.js';
import { bridgeIp, startLabRegistry, type LabRegistry } from './registry.js';

const NAME = 'e2e-faults-lock';

describe.skipIf(!labReady())('faults: concurrent runs and a full disk', () => {
  let lab: Lab;
  let inv: string;
  let registry: LabRegistry;
  const lockOn = (h: string) => lab.readFile(h, LOCK_PATH);
  const writeLock = async (h: string, fields: Record<string, string | number>) => {
    const text = Object.entries(fields)
      .map(([k, v]) => `${k}=${v}\n`)
      .join('');
    const r = await lab.exec(h, `mkdir -p /var/lib/kubesmith && cat > ${LOCK_PATH}`, { input: text });
    expect(r.code, r.stderr).toBe(0);
  };
  const hostNow = async (h: string) => Number((await lab.exec(h, 'date +%s')).stdout.trim());

  beforeAll(async () => {
    lab = await labUp({ name: NAME, hosts: [{ name: 'cp1' }, { name: 'w1' }] });
    await seedAptKeys(lab);
    registry = await startLabRegistry(bridgeIp(lab.subnet));
    inv = join(lab.root, 'inventory.yaml');
    lab.writeInventory(inv, {
      controlPlanes: ['cp1'],
      workers: ['w1'],
      extra: { containerRuntime: { registryMirrors: { 'registry.k8s.io': [registry.url], 'ghcr.io': [registry.url] } } },
    });
  }, 120_000);

  afterAll(async () => {
    await registry?.close();
    if (lab) await labDown(NAME);
  }, 120_000);

  it('a second apply while one runs is refused, naming the owner; the first finishes and releases the lock', async () => {
    const first = spawnKubesmith(['apply', '-i', inv]);
    await until('the first run to hold both locks', () => lockOn('cp1') !== null && lockOn('w1') !== null, 60_000);
    const holder = parseLockFile(lockOn('cp1')!)!;
    expect(holder).toMatchObject({ pid: first.pid, admin: hostname(), command: 'apply' });

    const second = await kubesmith(['apply', '-i', inv, '--output', 'json']);
    const text = second.stdout + second.stderr;
    expect(second.code, text.slice(-2000)).toBe(1);
    expect(text).toContain(`another kubesmith run holds ${LOCK_PATH}: apply by`);
    expect(text).toContain(`@${hostname()} (pid ${first.pid}, run ${holder.id})`);
    // the refused run did nothing but try the lock
    expect([...new Set(hostOutcomes(second).map((e) => e.task))]).toEqual(['run.lock']);
    expect(parseLockFile(lockOn('cp1')!)!.id).toBe(holder.id);

    const done = await first.exit;
    expect(done.code, first.stdout().slice(-3000)).toBe(0);
    expect(lockOn('cp1')).toBeNull();
    expect(lockOn('w1')).toBeNull();
  }, 600_000);

  it('a lock left by a dead run of this machine is taken over; a fresh lock of another machine stops apply, not plan', async () => {
    const dead = spawnSync('true').pid!;
    const now = await hostNow('cp1');
    await writeLock('cp1', {
      id: 'killed-run',
      admin: hostname(),
      pid: dead,
      user: 'root',
      command: 'apply',
      ...thisMachine(),
      started: now,
      refreshed: now,
    });
    const taken = await kubesmith(['apply', '-i', inv]);
    expect(taken.code, taken.stdout.slice(-3000)).toBe(0);
    expect(lockOn('cp1')).toBeNull();
    expect(readRunLog(taken.stdout)).toBeDefined();

    const fresh = {
      id: 'laptop-run',
      admin: 'ops-laptop',
      pid: 4242,
      user: 'alice',
      command: 'reset',
      started: await hostNow('w1'),
      refreshed: await hostNow('w1'),
    };
    await writeLock('w1', fresh);
    const before = lockOn('w1');
    const plan = await kubesmith(['plan', '-i', inv]);
    expect(plan.code, plan.stdout.slice(-2000)).toBe(0);
    expect(lockOn('w1')).toBe(before);
    const refused = await kubesmith(['apply', '-i', inv]);
    expect(refused.code).toBe(1);
    expect(refused.stdout + refused.stderr).toContain(
      'w1: another kubesmith run holds /var/lib/kubesmith/lock: reset by alice@ops-laptop (pid 4242, run laptop-run)',
    );
    expect(lockOn('w1')).toBe(before);
    expect(lockOn('cp1')).toBeNull(); // released on the host it did take
    await lab.exec('w1', `rm -f ${LOCK_PATH}`);
  }, 600_000);

  it('disk full during an upload: a clear error, nothing left at the final path, and a retry after space returns succeeds', async () => {
    const local = join(mkdtempSync(join(tmpdir(), 'ks-full-')), 'images.tar');
    const data = randomBytes(4 * 1024 * 1024);
    writeFileSync(local, data);
    const loaded = await loadInventory(inv);
    const pool = new ConnectionPool(loaded.inventory, { inventoryDir: loaded.dir });
    const dir = '/var/lib/kubesmith/bundle';
    try {
      const t = await pool.get(new Host(loaded.inventory.spec.hosts[1]!));
      await lab.fillDisk('w1', dir, 1024);
      const err = (await t.upload(local, `${dir}/images.tar`).catch((e: unknown) => e)) as Error;
      expect(err).toBeInstanceOf(Error);
      expect(err.message).toMatch(/No space left on device/);
      expect(err.message).toContain('the target filesystem is full; nothing was written at the final path');
      const werr = (await t.writeFile(`${dir}/config.yaml`, data).catch((e: unknown) => e)) as Error;
      expect(werr.message).toMatch(/No space left on device/);
      const left = (await lab.exec('w1', `ls -A ${dir}`)).stdout.split('\n').filter((f) => f && f !== '.lab-fill');
      expect(left).toEqual([]);

      await lab.unfillDisk('w1', dir);
      const ok = await t.upload(local, `${dir}/images.tar`);
      expect(ok.transferred).toBe(true);
      expect((await lab.exec('w1', `sha256sum ${dir}/images.tar`)).stdout.split(' ')[0]).toBe(ok.sha256.replace(/^sha256:/, ''));
    } finally {
      await lab.unfillDisk('w1', dir).catch(() => undefined);
      await pool.closeAll();
    }
  }, 120_000);
});

/** The run's log directory line of a text-mode run ("logs: DIR"). */
function readRunLog(stdout: string): string | undefined {
  return /^logs: (.+)$/m.exec(stdout)?.[1];
}
