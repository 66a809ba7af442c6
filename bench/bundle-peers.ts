/**
 * Issue #16's bundle target: a bundle of B MB to N hosts with the admin's SSH path capped (the WAN lab's proxy,
 * test/lab/wan-proxy.ts, in front of every sshd): admin bytes at most 1.2× the bundle, wall time at most 3× a single
 * host's copy. `bin/kubesmith run` of a two-step playbook (facts.gather, offline.upload) as a child process: first on
 * one fresh host (the single copy), then, that host wiped, on all N fresh hosts, where the admin machine sends each
 * file once and the hosts copy it among themselves over the lab bridge (src/bundle/distribution.ts). Admin bytes are
 * the machine's own transmissions into the lab bridge (the bridge device's tx counter: frames the bridge forwards
 * between hosts are not counted), IP packets with their headers, connecting and facts included.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { inventorySchema } from '../src/inventory/schema.js';
import { REMOTE_BUNDLE_DIR } from '../src/tasks/offline/bundle.js';
import { type Lab, labDown, labUp } from '../test/lab/lab.js';
import { bridgeOf } from '../test/lab/paths.js';
import { writeFakeBundle } from '../test/unit/bundle/fake-bundle.js';
import { runCli } from './apply.js';

export interface BundlePeersRow {
  hosts: number;
  bundleBytes: number;
  rateBps: number;
  rttMs: number;
  /** One fresh host alone: wall time and admin bytes. */
  singleMs: number;
  singleAdminBytes: number;
  /** All hosts fresh. */
  allMs: number;
  allAdminBytes: number;
  ok: boolean;
  /** allAdminBytes / bundleBytes (target ≤ 1.2) and allMs / singleMs (target ≤ 3). */
  adminRatio: number;
  wallRatio: number;
}

const PLAYBOOK = `name: bundle-distribution
description: the bundle's files to every host (bench)
phases:
  - phase: Bundle
    steps:
      - { task: facts.gather, hosts: all, critical: true }
      - { task: offline.upload, hosts: all }
`;

const bridgeTx = (lab: Lab) => Number(readFileSync(`/sys/class/net/${bridgeOf(lab.index)}/statistics/tx_bytes`, 'utf8'));

/** A bundle matching the inventory whose binaries together hold `bytes` of random data. */
function writeBundle(dir: string, inventoryFile: string, bytes: number): number {
  const inv = inventorySchema.parse(parse(readFileSync(inventoryFile, 'utf8')));
  const binaries = writeFakeBundle(dir, inv).files.filter((f) => f.kind === 'binary').length;
  const each = Math.ceil(bytes / binaries);
  const m = writeFakeBundle(dir, inv, { content: (f) => (f.kind === 'binary' ? randomBytes(each) : undefined) });
  return m.files.filter((f) => f.kind !== 'package').reduce((n, f) => n + f.size, 0);
}

export async function bundlePeersBench(
  o: { hosts: number; mb: number; rttMs: number; rateBps: number; work: string },
  log: (m: string) => void,
): Promise<BundlePeersRow> {
  const name = 'bench-bundle-peers';
  const lab = await labUp({ name, hosts: o.hosts, users: false, wan: { rttMs: o.rttMs, rateBps: o.rateBps } });
  try {
    const dir = join(o.work, 'bundle-peers');
    mkdirSync(dir, { recursive: true });
    const inv = join(lab.root, 'inventory.yaml');
    const names = lab.hosts.map((h) => h.name);
    const bundle = join(dir, 'bundle');
    lab.writeInventory(inv, { controlPlanes: [names[0]!], workers: names.slice(1), extra: { offline: { bundle } } });
    const bundleBytes = writeBundle(bundle, inv, o.mb * 1e6);
    const playbook = join(dir, 'bundle.yaml');
    writeFileSync(playbook, PLAYBOOK);
    const run = async (limit?: string) => {
      const b0 = bridgeTx(lab);
      const r = await runCli(['run', '-i', inv, playbook, '--concurrency', String(o.hosts), ...(limit ? ['--limit', limit] : [])]);
      if (r.code !== 0) log(`bundle-peers: exit ${r.code}: ${r.stderr.slice(-2000)}`);
      return { ...r, adminBytes: bridgeTx(lab) - b0 };
    };
    log(
      `bundle-peers: ${(bundleBytes / 1e6).toFixed(0)} MB to 1 host, then ${o.hosts} hosts (rtt ${o.rttMs} ms, ${o.rateBps / 1e6} Mbit/s)…`,
    );
    const single = await run(names[0]);
    await lab.exec(names[0]!, `rm -rf ${REMOTE_BUNDLE_DIR}`);
    const all = await run();
    return {
      hosts: o.hosts,
      bundleBytes,
      rateBps: o.rateBps,
      rttMs: o.rttMs,
      singleMs: single.wallMs,
      singleAdminBytes: single.adminBytes,
      allMs: all.wallMs,
      allAdminBytes: all.adminBytes,
      ok: single.code === 0 && all.code === 0,
      adminRatio: all.adminBytes / bundleBytes,
      wallRatio: all.wallMs / single.wallMs,
    };
  } finally {
    await labDown(name);
  }
}

/** The Markdown table and the issue target's verdict. */
export function bundlePeersTable(rows: BundlePeersRow[]): string[] {
  if (!rows.length) return [];
  const mb = (b: number) => (b / 1e6).toFixed(1);
  return [
    '',
    '## Bundle distribution (peer copies; admin path capped by the WAN proxy)',
    '',
    '| hosts | bundle MB | rate Mbit/s | RTT ms | 1 host: wall s / admin MB | all hosts: wall s / admin MB | admin bytes ÷ bundle (≤ 1.2) | wall ÷ 1 host (≤ 3) | ok |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.hosts} | ${mb(r.bundleBytes)} | ${r.rateBps / 1e6} | ${r.rttMs} | ${(r.singleMs / 1000).toFixed(1)} / ${mb(r.singleAdminBytes)} | ${(r.allMs / 1000).toFixed(1)} / ${mb(r.allAdminBytes)} | ${r.adminRatio.toFixed(2)} ${r.adminRatio <= 1.2 ? '✓' : '✗'} | ${r.wallRatio.toFixed(2)} ${r.wallRatio <= 3 ? '✓' : '✗'} | ${r.ok ? 'yes' : 'no'} |`,
    ),
  ];
}
