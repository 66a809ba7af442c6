/**
 * Bundle distribution: the offline bundle's files reach hosts through Transport.upload (src/tasks/offline/upload.ts),
 * which streams over the one SSH connection per host and skips files whose sha256 already matches. Measured here:
 * the same files to every host with the SshTransport pool vs `scp` (one process per host, all at once),
 * and the re-run (bytes sent must be 0).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadInventory } from '../src/inventory/index.js';
import { Host } from '../src/model/host.js';
import { ConnectionPool } from '../src/transport/index.js';
import { labDown, labUp } from '../test/lab/lab.js';

export interface BundleRow {
  hosts: number;
  bytesPerHost: number;
  kubesmithMBps: number;
  scpMBps: number;
  rerunBytes: number;
}

const FILES = [64, 32, 8, 1].map((mib, i) => ({ name: `part${i}.bin`, bytes: mib * 1024 * 1024 }));

function scp(args: string[]): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile('scp', args, { timeout: 600_000 }, (err, _o, stderr) => (err ? reject(new Error(`scp: ${stderr}`)) : resolve())),
  );
}

export async function bundleBench(n: number, work: string, log: (m: string) => void): Promise<BundleRow> {
  const name = 'bench-bundle';
  const dir = mkdtempSync(join(work, 'bundle-'));
  for (const f of FILES) writeFileSync(join(dir, f.name), randomBytes(f.bytes));
  const perHost = FILES.reduce((a, f) => a + f.bytes, 0);
  const lab = await labUp({ name, hosts: n, users: false });
  try {
    const inv = join(lab.root, 'inventory.yaml');
    lab.writeInventory(inv, { controlPlanes: ['h1'], workers: lab.hosts.slice(1).map((h) => h.name) });
    const loaded = await loadInventory(inv);
    const upload = async () => {
      const pool = new ConnectionPool(loaded.inventory, { inventoryDir: loaded.dir });
      let sent = 0;
      const started = Date.now();
      try {
        await Promise.all(
          loaded.inventory.spec.hosts.map(async (h) => {
            const t = await pool.get(new Host(h));
            for (const f of FILES) {
              const r = await t.upload(join(dir, f.name), `/var/lib/kubesmith/bench/${f.name}`);
              if (r.transferred) sent += r.bytes;
            }
          }),
        );
      } finally {
        await pool.closeAll();
      }
      return { ms: Date.now() - started, sent };
    };
    log(`bundle upload to ${n} hosts (${(perHost / 1048576).toFixed(0)} MiB each)…`);
    const first = await upload();
    if (first.sent !== perHost * n) throw new Error(`first upload sent ${first.sent} bytes, expected ${perHost * n}`);
    const again = await upload();
    const ssh = ['-i', lab.keyPath, '-o', `UserKnownHostsFile=${lab.knownHostsPath}`, '-o', 'StrictHostKeyChecking=yes', '-q'];
    const started = Date.now();
    await Promise.all(lab.hosts.map((h) => scp([...ssh, ...FILES.map((f) => join(dir, f.name)), `root@${h.ip}:/tmp/`])));
    const scpMs = Date.now() - started;
    const mbps = (ms: number) => (perHost * n) / 1e6 / (ms / 1000);
    return { hosts: n, bytesPerHost: perHost, kubesmithMBps: mbps(first.ms), scpMBps: mbps(scpMs), rerunBytes: again.sent };
  } finally {
    await labDown(name);
  }
}
