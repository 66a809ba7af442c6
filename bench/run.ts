/**
 * `npm run bench [-- --hosts 10,50 --apply-hosts 10,50,100 --only overhead|apply|bundle|wan|scale --concurrency N --out DIR]`
 * WAN matrix (`--only wan`): `--rtt 0,50,150` (ms), `--wan-hosts 10`, `--rate 100mbit`, `--no-cluster` (overhead only),
 * `--targets`: also the target point, 50 hosts at 100 ms RTT (no Ansible there).
 * Scale (`--only scale`): `--scale 30` (hosts; a list runs each size).
 * Bundle distribution (`--only bundle-peers`): `--bundle-mb 200 --bundle-peer-hosts 20 --rate 100mbit --rtt 50`.
 * Needs root (the lab). Writes DIR/<date>.md (tables), DIR/<date>-apply.svg and DIR/<date>-overhead.svg (charts),
 * and DIR/<date>.json (every figure). Default DIR: bench/results.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { packageRoot } from '../src/engine/paths.js';
import { labDown, labUp } from '../test/lab/lab.js';
import { applyBench } from './apply.js';
import { bundleBench } from './bundle.js';
import { bundlePeersBench, bundlePeersTable } from './bundle-peers.js';
import { ANSIBLE_VARIANTS, ansibleRun, engineRun, floorRun, workDir, type OverheadRow } from './overhead.js';
import { chart, markdown, overheadChart, type Results } from './report.js';
import { parseRate } from '../test/lab/wan-proxy.js';
import { scaleBench, wanMatrix } from './wan.js';
import { scaleTable, targets, wanTable } from './wan-report.js';

const list = (v: string | undefined, d: number[]) =>
  v
    ? v
        .split(',')
        .map((x) => Number(x.trim()))
        .filter((x) => x > 0)
    : d;
const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);

async function overhead(hostCounts: number[], work: string, skipAnsible: boolean): Promise<OverheadRow[]> {
  const rows: OverheadRow[] = [];
  for (const n of hostCounts) {
    const name = 'bench-overhead';
    const lab = await labUp({ name, hosts: n, users: false });
    try {
      const inv = join(lab.root, 'inventory.yaml');
      lab.writeInventory(inv, { controlPlanes: ['h1'], workers: lab.hosts.slice(1).map((h) => h.name) });
      await floorRun(lab); // warm-up: page cache, sshd first-connection costs
      // Interleave the fast contenders (3 rounds each, best kept) so a burst of load on the shared machine hits both.
      const best = new Map<string, OverheadRow>();
      for (let round = 0; round < 3; round++) {
        for (const r of [await engineRun(lab, inv, work), await floorRun(lab), await floorRun(lab, true)]) {
          const cur = best.get(r.tool);
          if (!cur || r.wallMs < cur.wallMs) best.set(r.tool, r);
        }
      }
      for (const r of best.values()) {
        rows.push({ ...r, note: [r.note, 'best of 3'].filter(Boolean).join('; ') });
        log(`${n} hosts: ${r.tool}: ${(r.wallMs / 1000).toFixed(2)} s`);
      }
      if (!skipAnsible) {
        for (const v of ANSIBLE_VARIANTS) {
          const r = await ansibleRun(lab, v, work);
          rows.push(r);
          log(`${n} hosts: ${r.tool}: ${(r.wallMs / 1000).toFixed(2)} s`);
        }
      }
    } finally {
      await labDown(name);
    }
  }
  return rows;
}

function ansibleInstalled(): boolean {
  const found = (process.env.PATH ?? '').split(':').some((d) => existsSync(join(d, 'ansible-playbook')));
  if (!found) log('ansible-playbook not found: the Ansible rows are left out (Debian: apt-get install ansible-core)');
  return found;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      hosts: { type: 'string' },
      'apply-hosts': { type: 'string' },
      'bundle-hosts': { type: 'string' },
      'bundle-peer-hosts': { type: 'string' },
      'bundle-mb': { type: 'string' },
      only: { type: 'string', multiple: true },
      concurrency: { type: 'string' },
      out: { type: 'string' },
      'no-ansible': { type: 'boolean' },
      rtt: { type: 'string' },
      'wan-hosts': { type: 'string' },
      rate: { type: 'string' },
      'no-cluster': { type: 'boolean' },
      targets: { type: 'boolean' },
      scale: { type: 'string' },
    },
  });
  if (process.getuid?.() !== 0) throw new Error('the benchmarks need root (they bring up a lab: see test/lab/README.md)');
  const only = new Set((values.only ?? ['overhead', 'apply', 'bundle']).flatMap((o) => o.split(',')));
  const hosts = list(values.hosts, [10, 50]);
  const out = values.out ?? join(packageRoot(), 'bench', 'results');
  mkdirSync(out, { recursive: true });
  const work = workDir();
  const date = new Date().toISOString().slice(0, 16).replace(':', '');
  const cpu = cpus();
  const results: Results = {
    date,
    machine: {
      cpus: cpu.length,
      model: cpu[0]?.model.trim() ?? '?',
      memGiB: Math.round(totalmem() / 2 ** 30),
      node: process.versions.node,
      kernel: release(),
      loadBefore: loadavg()
        .map((l) => l.toFixed(1))
        .join(' '),
      loadAfter: '',
    },
    overhead: [],
    apply: [],
    bundle: [],
    wan: [],
    scale: [],
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
  };
  const save = () => {
    results.machine.loadAfter = loadavg()
      .map((l) => l.toFixed(1))
      .join(' ');
    const svg = `${date}-apply.svg`;
    writeFileSync(join(out, `${date}.json`), JSON.stringify(results, null, 2) + '\n');
    writeFileSync(
      join(out, `${date}.md`),
      markdown(results, svg) +
        (results.overhead.length ? `\n![overhead](${date}-overhead.svg)\n` : '') +
        [
          ...targets(results.wan, results.bundlePeers ?? []),
          ...wanTable(results.wan),
          ...scaleTable(results.scale),
          ...bundlePeersTable(results.bundlePeers ?? []),
        ]
          .map((l) => `${l}\n`)
          .join(''),
    );
    if (results.apply.length) writeFileSync(join(out, svg), chart(results));
    if (results.overhead.length) writeFileSync(join(out, `${date}-overhead.svg`), overheadChart(results));
  };
  try {
    if (only.has('overhead')) {
      results.overhead = await overhead(hosts, work, values['no-ansible'] === true);
      save();
    }
    if (only.has('apply')) {
      const concurrency = values.concurrency ? Number(values.concurrency) : undefined;
      for (const n of list(values['apply-hosts'] ?? values.hosts, [10, 50, 100])) {
        results.apply.push(await applyBench(n, work, concurrency, log));
        save();
      }
    }
    if (only.has('wan')) {
      const matrix = {
        rtts: (values.rtt ?? '0,50,150').split(',').map((x) => Number(x.trim())),
        hosts: Number(values['wan-hosts'] ?? 10),
        rateBps: parseRate(values.rate ?? '100mbit'),
        ansible: values['no-ansible'] !== true && ansibleInstalled(),
        cluster: values['no-cluster'] !== true,
        work,
        log,
      };
      results.wan = await wanMatrix(matrix);
      save();
      if (values.targets) {
        results.wan.push(...(await wanMatrix({ ...matrix, rtts: [100], hosts: 50, ansible: false })));
        save();
      }
    }
    if (only.has('scale')) {
      for (const n of list(values.scale, [30])) {
        results.scale.push(await scaleBench(n, work, log));
        save();
      }
    }
    if (only.has('bundle-peers')) {
      const row = await bundlePeersBench(
        {
          hosts: Number(values['bundle-peer-hosts'] ?? 20),
          mb: Number(values['bundle-mb'] ?? 200),
          rttMs: Number((values.rtt ?? '50').split(',')[0]),
          rateBps: parseRate(values.rate ?? '100mbit'),
          work,
        },
        log,
      );
      results.bundlePeers = [row];
      save();
    }
    if (only.has('bundle')) {
      for (const n of list(values['bundle-hosts'], [10])) results.bundle.push(await bundleBench(n, work, log));
      save();
    }
  } finally {
    save();
    rmSync(work, { recursive: true, force: true });
  }
  process.stdout.write(readFileSync(join(out, `${date}.md`), 'utf8'));
  log(`results: ${join(out, date)}.{md,json,svg}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
