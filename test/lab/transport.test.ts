/**
 * The lab through kubesmith's own transport: an inventory written by the lab, loaded by the inventory loader,
 * connected by ConnectionPool with strict host keys — the path every playbook takes.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadInventory } from '../../src/inventory/index.js';
import { Host } from '../../src/model/host.js';
import { ConnectionPool, sh } from '../../src/transport/index.js';
import { type Lab, labDown, labUp } from './lab.js';
import { isRoot, ROOT_SKIP_MESSAGE } from './helpers/ssh.js';

if (!isRoot()) console.warn(`skipping test/lab/transport.test.ts: ${ROOT_SKIP_MESSAGE}`);

describe.skipIf(!isRoot())('lab hosts through kubesmith transport', () => {
  let lab: Lab;
  const pools: ConnectionPool[] = [];

  beforeAll(async () => {
    lab = await labUp({
      name: 'labtest-transport',
      hosts: [
        { name: 'cp1' },
        { name: 'w1', os: 'ubuntu2204' },
        { name: 'w2', os: 'ubuntu2404' },
        { name: 'w3', os: 'rocky9' },
        { name: 'w4' },
      ],
    });
  });
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.closeAll()));
    if (lab) await labDown(lab.name);
  });

  async function connect(user: 'root' | 'kube') {
    const file = join(lab.root, `inventory-${user}.yaml`);
    lab.writeInventory(file, { controlPlanes: ['cp1'], workers: ['w1', 'w2', 'w3', 'w4'], user });
    const { inventory, dir } = await loadInventory(file);
    const pool = new ConnectionPool(inventory, { inventoryDir: dir });
    pools.push(pool);
    return { pool, hosts: inventory.spec.hosts.map((spec) => new Host(spec)) };
  }

  it('writes an inventory the loader accepts, with strict host keys and the lab key', async () => {
    const { hosts } = await connect('root');
    expect(hosts.map((h) => [h.name, h.address, h.roles.join(',')])).toEqual(
      lab.hosts.map((h) => [h.name, h.ip, h.name === 'cp1' ? 'control-plane' : 'worker']),
    );
  });

  it('runs commands on every host as root, over one connection per host', async () => {
    const { pool, hosts } = await connect('root');
    const out = await Promise.all(
      hosts.map(async (h) => {
        const t = await pool.get(h);
        const a = await t.exec(sh`hostname`);
        const b = await t.exec(sh`. /etc/lab/env && echo ${'os='}$LAB_OS`);
        return `${a.stdout.trim()} ${b.stdout.trim()}`;
      }),
    );
    expect(out).toEqual(lab.hosts.map((h) => `${h.name} os=${h.os}`));
    expect(pool.stats().connectionsOpened).toBe(5);
  });

  it('writes and reads files, and elevates with sudo as the kube user', async () => {
    const { pool, hosts } = await connect('kube');
    const t = await pool.get(hosts[3]!);
    expect((await t.exec(sh`id -u`)).stdout.trim()).toBe('0');
    expect((await t.exec(sh`id -u`, { noSudo: true })).stdout.trim()).toBe('1000');
    await t.writeFile('/etc/kubesmith-probe.conf', 'probe\n', { mode: '0600' });
    expect((await t.readFile('/etc/kubesmith-probe.conf'))?.toString()).toBe('probe\n');
    expect(lab.readFile('w3', '/etc/kubesmith-probe.conf')).toBe('probe\n');
    expect(lab.readFile('w4', '/etc/kubesmith-probe.conf')).toBeNull();
  });

  it('keeps every exit status when many quick commands share one connection', async () => {
    // ssh2 can deliver a fast command's exit-status in the same read as the channel-open confirmation.
    const { pool, hosts } = await connect('root');
    const t = await pool.get(hosts[0]!);
    const codes = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        t.exec(sh`exit ${i % 3}`, { allowFailure: true }).then(
          (r) => r.code,
          () => -1,
        ),
      ),
    );
    expect(codes).toEqual(Array.from({ length: 100 }, (_, i) => i % 3));
  });
});
