/**
 * The WAN lab (labUp's `wan`, test/lab/wan-proxy.ts in front of each host's sshd), reached through kubesmith's own
 * transport exactly as without it. Only lower bounds are asserted: they are what the proxy adds, not product timings.
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadInventory } from '../../src/inventory/index.js';
import { Host } from '../../src/model/host.js';
import { ConnectionPool, sh } from '../../src/transport/index.js';
import { isRoot, ROOT_SKIP_MESSAGE } from './helpers/ssh.js';
import { type Lab, labDown, labUp } from './lab.js';

if (!isRoot()) console.warn(`skipping test/lab/wan.test.ts: ${ROOT_SKIP_MESSAGE}`);

const RTT_MS = 100;
const RATE_BPS = 8_000_000; // 1 MB/s each way

describe.skipIf(!isRoot())('WAN lab', () => {
  let lab: Lab;
  let pool: ConnectionPool;
  let host: Host;

  beforeAll(async () => {
    lab = await labUp({ name: 'labtest-wan', hosts: 1, users: false, wan: { rttMs: RTT_MS, rateBps: RATE_BPS } });
    const file = join(lab.root, 'inventory.yaml');
    lab.writeInventory(file, { controlPlanes: ['h1'], workers: [] });
    const { inventory, dir } = await loadInventory(file);
    pool = new ConnectionPool(inventory, { inventoryDir: dir });
    host = new Host(inventory.spec.hosts[0]!);
  });
  afterAll(async () => {
    await pool?.closeAll();
    if (lab) await labDown(lab.name);
  });

  it('keeps sshd on loopback behind the proxy, which holds LAB_IP:22', async () => {
    expect(lab.wan).toEqual({ rttMs: RTT_MS, rateBps: RATE_BPS });
    expect((await lab.exec('h1', 'cat /etc/ssh/lab_sshd_config')).stdout).toMatch(/^ListenAddress 127\.0\.0\.1:22$/m);
    // the greeting from LAB_IP:22 comes through the proxy: no earlier than 2 RTT (handshake + one way each)
    const t0 = performance.now();
    const greeting = await new Promise<string>((resolve, reject) => {
      const s = connect(22, lab.hosts[0]!.ip);
      s.once('data', (d) => {
        s.destroy();
        resolve(d.toString());
      });
      s.once('error', reject);
    });
    expect(greeting).toMatch(/^SSH-2\.0-OpenSSH/);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(2 * RTT_MS - 1);
  });

  it('makes each remote command over the product transport cost at least one RTT', async () => {
    const t = await pool.get(host);
    expect((await t.exec(sh`hostname`)).stdout.trim()).toBe('h1'); // connected, as without the WAN
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      await t.exec(sh`true`);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(RTT_MS - 1);
    }
  });

  it('caps what the admin machine sends at the rate', async () => {
    const t = await pool.get(host);
    const data = randomBytes(1024 * 1024);
    const t0 = performance.now();
    await t.writeFile('/root/wan-probe.bin', data, { mode: '0600' });
    const ms = performance.now() - t0;
    expect(ms).toBeGreaterThanOrEqual(((data.length * 8) / RATE_BPS) * 1000); // 1049 ms at 8 Mbit/s
    expect((await lab.exec('h1', 'stat -c %s /root/wan-probe.bin')).stdout.trim()).toBe(String(data.length));
  });

  it('keeps the proxy while sshd is killed: connects fail until startSshd, then work again', async () => {
    await pool.closeAll();
    await lab.killSshd('h1');
    const down = new ConnectionPool((await loadInventory(join(lab.root, 'inventory.yaml'))).inventory, { inventoryDir: lab.root });
    try {
      await expect(down.get(host)).rejects.toThrow();
    } finally {
      await down.closeAll();
    }
    await lab.startSshd('h1');
    const up = new ConnectionPool((await loadInventory(join(lab.root, 'inventory.yaml'))).inventory, { inventoryDir: lab.root });
    try {
      expect((await (await up.get(host)).exec(sh`hostname`)).stdout.trim()).toBe('h1');
    } finally {
      await up.closeAll();
    }
  });

  it('comes back with the proxy after a reboot', async () => {
    await pool.closeAll();
    await lab.boot('h1');
    const again = new ConnectionPool((await loadInventory(join(lab.root, 'inventory.yaml'))).inventory, {
      inventoryDir: lab.root,
    });
    try {
      const t = await again.get(host);
      const t0 = performance.now();
      await t.exec(sh`true`);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(RTT_MS - 1);
    } finally {
      await again.closeAll();
    }
  });
});
