/**
 * What a real operator waits for, measured by what we control: per scenario the remote commands per host, the bytes
 * the admin machine sent, the CLI's CPU seconds per host and its peak memory, next to wall time, at each RTT of the
 * WAN lab (test/lab/wan-proxy.ts; RTT 0 = the plain lab, no proxy).
 *   - overhead: 10 no-op tasks per host — kubesmith's engine, the bare node-ssh floor, Ansible tuned;
 *   - apply (fresh hosts), the no-change re-run, and `plan`: bin/kubesmith as a child process.
 * `scaleBench`: the no-change re-run and `plan` on N hosts (RTT 0), with memory and time per host.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { seedAptKeys } from '../test/e2e/helpers.js';
import { bridgeIp, startLabRegistry } from '../test/e2e/registry.js';
import { type Lab, labDown, labUp } from '../test/lab/lab.js';
import { vethOf } from '../test/lab/paths.js';
import { hostProcesses, memoryOf, pidsByNamespace } from '../test/lab/procs.js';
import { type CliResult, runCli } from './apply.js';
import { ansibleRun, engineRun, floorRun, type OverheadRow } from './overhead.js';

export interface WanRow {
  scenario: 'overhead' | 'apply' | 'no-change re-run' | 'plan';
  tool: string;
  rttMs: number;
  /** Bits per second each way per host (0 = unlimited). */
  rateBps: number;
  hosts: number;
  ok: boolean;
  wallMs: number;
  /** Remote commands per host: the mean, the most on one worker, on the first control plane. */
  cmdsPerHost?: number;
  cmdsMaxWorker?: number;
  cmdsFirstCp?: number;
  /** Bytes the admin machine sent to the hosts (machine-side veth tx counters: IP packets with their headers). */
  adminBytes: number;
  /** The tool's own CPU seconds per host. */
  cpuSPerHost?: number;
  /** The CLI's peak RSS (VmHWM); absent for tools run inside the bench process or as many processes. */
  peakRssMiB?: number;
  /** Machine CPU seconds not spent by the CLI during the run (lab hosts: sshd, emulators; plus other load). */
  labCpuS?: number;
  /** The wall time is mostly the emulators' (the lab's CPU kept the cores more than half busy). */
  emulatorBound?: boolean;
  /** Changes the run reported (recap), for apply/re-run/plan. */
  changed?: number;
  note?: string;
}

export interface ScaleRow {
  hosts: number;
  applyOk: boolean;
  applyMs: number;
  rerunMs: number;
  rerunOk: boolean;
  rerunChanged: number;
  planMs: number;
  planOk: boolean;
  rerunRssMiB: number;
  planRssMiB: number;
  rerunCliCpuS: number;
  planCliCpuS: number;
  /** Memory of one lab host (every process of it: init, sshd, …), mean over hosts. */
  labHostRssMiB: number;
  labHostPssMiB: number;
  labUpMs: number;
}

/** Bytes sent so far from the machine into the instance's hosts. */
export function adminBytes(lab: Lab): number {
  let sum = 0;
  for (const h of lab.record.hosts) {
    try {
      sum += Number(readFileSync(`/sys/class/net/${vethOf(lab.index, h.i)}/statistics/tx_bytes`, 'utf8'));
    } catch {
      /* link gone */
    }
  }
  return sum;
}

/** Remote commands per host from a run's log folder (`<host>.log`: one `<ISO time> $ <command>` line each). */
export function commandsByHost(logDir: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const f of readdirSync(logDir).filter((x) => x.endsWith('.log'))) {
    const n = readFileSync(join(logDir, f), 'utf8')
      .split('\n')
      .filter((l) => /^\d{4}-\d\d-\d\dT[\d:.]+Z \$ /.test(l)).length;
    out.set(f.slice(0, -4), n);
  }
  return out;
}

const CPUS = () => Math.max(1, readFileSync('/proc/cpuinfo', 'utf8').match(/^processor\s/gm)?.length ?? 1);

interface Ctx {
  lab: Lab;
  rttMs: number;
  rateBps: number;
  work: string;
}

function fromOverhead(c: Ctx, r: OverheadRow, bytes: number): WanRow {
  const n = c.lab.hosts.length;
  return {
    scenario: 'overhead',
    tool: r.tool,
    rttMs: c.rttMs,
    rateBps: c.rateBps,
    hosts: n,
    ok: true,
    wallMs: r.wallMs,
    ...(r.commands !== undefined ? { cmdsPerHost: r.commands / n } : {}),
    adminBytes: bytes,
    ...(r.cpuS !== undefined ? { cpuSPerHost: r.cpuS / n } : {}),
    ...(r.note ? { note: r.note } : {}),
  };
}

async function overheadRows(c: Ctx, ansible: boolean): Promise<WanRow[]> {
  const inv = join(c.lab.root, 'inventory.yaml');
  const rows: WanRow[] = [];
  const runs: Array<() => Promise<OverheadRow>> = [() => engineRun(c.lab, inv, c.work), () => floorRun(c.lab)];
  if (ansible) runs.push(() => ansibleRun(c.lab, { module: 'shell', tuned: true }, c.work));
  for (const run of runs) {
    const b0 = adminBytes(c.lab);
    const r = await run();
    rows.push(fromOverhead(c, r, adminBytes(c.lab) - b0));
  }
  return rows;
}

function fromCli(c: Ctx, scenario: WanRow['scenario'], r: CliResult, logDir: string, bytes: number): WanRow {
  const n = c.lab.hosts.length;
  const cmds = commandsByHost(logDir);
  const first = c.lab.hosts[0]!.name;
  const workers = c.lab.hosts.slice(1).map((h) => cmds.get(h.name) ?? 0);
  const labCpuS = Math.max(0, r.machineCpuS - r.cliCpuS);
  return {
    scenario,
    tool: 'kubesmith CLI',
    rttMs: c.rttMs,
    rateBps: c.rateBps,
    hosts: n,
    ok: r.code === 0,
    wallMs: r.wallMs,
    cmdsPerHost: [...cmds.values()].reduce((a, b) => a + b, 0) / n,
    cmdsMaxWorker: workers.length ? Math.max(...workers) : 0,
    cmdsFirstCp: cmds.get(first) ?? 0,
    adminBytes: bytes,
    cpuSPerHost: r.cliCpuS / n,
    peakRssMiB: r.peakRssKiB / 1024,
    labCpuS,
    emulatorBound: labCpuS > 0.5 * (r.wallMs / 1000) * CPUS(),
    changed: (r.recap?.hosts ?? []).reduce((a, h) => a + h.changed, 0),
    ...(r.code !== 0 ? { note: r.stderr.trim().split('\n').slice(-2).join(' ').slice(0, 200) } : {}),
  };
}

async function cliRow(c: Ctx, scenario: WanRow['scenario'], args: string[]): Promise<WanRow> {
  const logDir = mkdtempSync(join(c.work, `${scenario.replace(/\W/g, '')}-${c.rttMs}-`));
  const b0 = adminBytes(c.lab);
  const r = await runCli([...args, '--log-dir', logDir]);
  return fromCli(c, scenario, r, logDir, adminBytes(c.lab) - b0);
}

/** apply on fresh hosts, then the no-change re-run and plan, with the lab registry as the image mirror. */
async function clusterRows(c: Ctx): Promise<WanRow[]> {
  const registry = await startLabRegistry(bridgeIp(c.lab.subnet));
  try {
    await seedAptKeys(c.lab);
    const inv = join(c.lab.root, 'cluster.yaml');
    const names = c.lab.hosts.map((h) => h.name);
    c.lab.writeInventory(inv, {
      controlPlanes: [names[0]!],
      workers: names.slice(1),
      extra: { containerRuntime: { registryMirrors: { 'registry.k8s.io': [registry.url], 'ghcr.io': [registry.url] } } },
    });
    const common = ['-i', inv, '--output', 'json', '--concurrency', String(names.length)];
    const rows = [await cliRow(c, 'apply', ['apply', ...common])];
    rows.push(await cliRow(c, 'no-change re-run', ['apply', ...common]));
    rows.push(await cliRow(c, 'plan', ['plan', ...common]));
    return rows;
  } finally {
    await registry.close();
  }
}

export interface MatrixOptions {
  rtts: number[];
  hosts: number;
  rateBps: number;
  ansible: boolean;
  cluster: boolean;
  work: string;
  log: (m: string) => void;
}

/** Every scenario at every RTT, one lab per RTT (fresh hosts for apply). */
export async function wanMatrix(o: MatrixOptions): Promise<WanRow[]> {
  const rows: WanRow[] = [];
  for (const rttMs of o.rtts) {
    const rateBps = rttMs > 0 ? o.rateBps : 0;
    const name = 'bench-wan';
    const lab = await labUp({ name, hosts: o.hosts, users: false, ...(rttMs > 0 ? { wan: { rttMs, rateBps } } : {}) });
    try {
      lab.writeInventory(join(lab.root, 'inventory.yaml'), {
        controlPlanes: ['h1'],
        workers: lab.hosts.slice(1).map((h) => h.name),
      });
      const c: Ctx = { lab, rttMs, rateBps, work: o.work };
      await floorRun(lab); // warm-up: page cache, sshd first-connection costs
      for (const r of [...(await overheadRows(c, o.ansible)), ...(o.cluster ? await clusterRows(c) : [])]) {
        rows.push(r);
        o.log(`${rttMs} ms, ${o.hosts} hosts: ${r.scenario} ${r.tool}: ${(r.wallMs / 1000).toFixed(2)} s${r.ok ? '' : ' FAILED'}`);
      }
    } finally {
      await labDown(name);
    }
  }
  return rows;
}

/** The no-change re-run and plan on `n` hosts (RTT 0; apply first to converge), memory and time per host. */
export async function scaleBench(n: number, work: string, log: (m: string) => void): Promise<ScaleRow> {
  const name = 'bench-scale';
  const t0 = performance.now();
  const lab = await labUp({ name, hosts: n, users: false, parallelism: 16 });
  const labUpMs = performance.now() - t0;
  try {
    const byNs = pidsByNamespace();
    const mems = lab.hosts.map((h) => memoryOf(hostProcesses(h.pid, byNs)));
    const c: Ctx = { lab, rttMs: 0, rateBps: 0, work };
    log(`scale: ${n} hosts up in ${(labUpMs / 1000).toFixed(1)} s; apply, re-run, plan…`);
    const [apply, rerun, plan] = await clusterRows(c);
    const rerunRec = rerun!;
    return {
      hosts: n,
      applyOk: apply!.ok,
      applyMs: apply!.wallMs,
      rerunMs: rerunRec.wallMs,
      rerunOk: rerunRec.ok,
      rerunChanged: rerunRec.changed ?? -1,
      planMs: plan!.wallMs,
      planOk: plan!.ok,
      rerunRssMiB: rerunRec.peakRssMiB ?? 0,
      planRssMiB: plan!.peakRssMiB ?? 0,
      rerunCliCpuS: (rerunRec.cpuSPerHost ?? 0) * n,
      planCliCpuS: (plan!.cpuSPerHost ?? 0) * n,
      labHostRssMiB: mems.reduce((a, m) => a + m.rssKiB, 0) / mems.length / 1024,
      labHostPssMiB: mems.reduce((a, m) => a + m.pssKiB, 0) / mems.length / 1024,
      labUpMs,
    };
  } finally {
    await labDown(name);
  }
}
