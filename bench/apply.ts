/**
 * Full `apply` at scale on the lab (emulated kubeadm, so the time is kubesmith's): 1 control plane + N-1 workers.
 * The CLI runs as a child process (bin/kubesmith) so its peak memory (VmHWM) is its own; SSH connections are
 * counted on the hosts' side (sshd's "Accepted" log lines), not trusted from the tool.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../src/engine/paths.js';
import type { Recap } from '../src/engine/types.js';
import { seedAptKeys } from '../test/e2e/helpers.js';
import { bridgeIp, startLabRegistry } from '../test/e2e/registry.js';
import { labDown, labUp, type Lab } from '../test/lab/lab.js';

export interface ApplyRow {
  hosts: number;
  ok: boolean;
  wallMs: number;
  phases: { phase: string; durationMs: number }[];
  peakRssMiB: number;
  /** SSH logins the hosts' sshd accepted during the run, and the most on one host. */
  sshLogins: number;
  sshLoginsMaxPerHost: number;
  rerunMs: number;
  rerunOk: boolean;
  rerunChanged: number;
  rerunPeakRssMiB: number;
  rerunPhases: { phase: string; durationMs: number }[];
  /** CPU seconds the whole machine spent during each run (tool + every lab host): what the run costs, whatever the core count. */
  cpuS?: number;
  rerunCpuS?: number;
  /** The CLI's own CPU seconds (user + sys). */
  cliCpuS?: number;
  rerunCliCpuS?: number;
  failures?: string[];
}

export interface CliResult {
  code: number;
  wallMs: number;
  peakRssKiB: number;
  /** Machine-wide busy CPU seconds while it ran, and the CLI's own (from /proc/<pid>/stat, sampled). */
  machineCpuS: number;
  cliCpuS: number;
  recap?: Recap;
  stderr: string;
}

/** Busy CPU seconds of the whole machine so far (/proc/stat: everything but idle and iowait). */
export function machineBusyS(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = f;
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / 100;
}

/** Run bin/kubesmith and sample its /proc/<pid>/status VmHWM (peak RSS) and CPU until it exits. */
export function runCli(args: string[]): Promise<CliResult> {
  const started = Date.now();
  const busy0 = machineBusyS();
  let cliTicks = 0;
  const child = spawn(process.execPath, [join(packageRoot(), 'bin', 'kubesmith'), ...args], {
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let peak = 0;
  const sample = () => {
    try {
      const kib = Number(/^VmHWM:\s+(\d+)/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0);
      peak = Math.max(peak, kib);
      const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      cliTicks = Number(stat[11]) + Number(stat[12]); // utime + stime
    } catch {
      /* exited */
    }
  };
  const timer = setInterval(sample, 25);
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearInterval(timer);
      const end = stdout
        .split('\n')
        .filter((l) => l.startsWith('{"type":"run.end"'))
        .map((l) => JSON.parse(l) as { recap: Recap })[0];
      resolve({
        code: code ?? -1,
        wallMs: Date.now() - started,
        peakRssKiB: peak,
        machineCpuS: machineBusyS() - busy0,
        cliCpuS: cliTicks / 100,
        ...(end ? { recap: end.recap } : {}),
        stderr,
      });
    }),
  );
}

const accepted = (lab: Lab, host: string) =>
  (lab.readFile(host, '/var/log/lab/sshd.log') ?? '').split('\n').filter((l) => /Accepted (publickey|password)/.test(l)).length;

export async function applyBench(n: number, work: string, concurrency: number | undefined, log: (m: string) => void): Promise<ApplyRow> {
  const name = 'bench-apply';
  const lab = await labUp({ name, hosts: n, users: false });
  const registry = await startLabRegistry(bridgeIp(lab.subnet));
  try {
    await seedAptKeys(lab);
    const inv = join(lab.root, 'inventory.yaml');
    const names = lab.hosts.map((h) => h.name);
    lab.writeInventory(inv, {
      controlPlanes: [names[0]!],
      workers: names.slice(1),
      extra: { containerRuntime: { registryMirrors: { 'registry.k8s.io': [registry.url], 'ghcr.io': [registry.url] } } },
    });
    const args = ['apply', '-i', inv, '--output', 'json', ...(concurrency ? ['--concurrency', String(concurrency)] : [])];
    const before = names.map((h) => accepted(lab, h));
    log(`apply on ${n} hosts…`);
    const first = await runCli([...args, '--log-dir', mkdtempSync(join(work, `apply-${n}-`))]);
    const logins = names.map((h, i) => accepted(lab, h) - before[i]!);
    log(`  ${(first.wallMs / 1000).toFixed(1)} s, exit ${first.code}; re-run…`);
    const second = await runCli([...args, '--log-dir', mkdtempSync(join(work, `rerun-${n}-`))]);
    log(`  re-run ${(second.wallMs / 1000).toFixed(1)} s, exit ${second.code}`);
    const failures = (first.recap?.hosts ?? [])
      .filter((h) => h.failure)
      .map((h) => `${h.host}: ${h.failure!.task}: ${h.failure!.message.split('\n')[0]}`);
    const row: ApplyRow = {
      hosts: n,
      ok: first.code === 0,
      wallMs: first.wallMs,
      phases: first.recap?.phases ?? [],
      peakRssMiB: first.peakRssKiB / 1024,
      sshLogins: logins.reduce((a, b) => a + b, 0),
      sshLoginsMaxPerHost: Math.max(...logins),
      rerunMs: second.wallMs,
      rerunOk: second.code === 0,
      rerunChanged: (second.recap?.hosts ?? []).reduce((a, h) => a + h.changed, 0),
      rerunPeakRssMiB: second.peakRssKiB / 1024,
      rerunPhases: second.recap?.phases ?? [],
      cpuS: first.machineCpuS,
      rerunCpuS: second.machineCpuS,
      cliCpuS: first.cliCpuS,
      rerunCliCpuS: second.cliCpuS,
    };
    if (failures.length || first.code !== 0) row.failures = failures.length ? failures.slice(0, 5) : [first.stderr.slice(-500)];
    return row;
  } finally {
    await registry.close();
    await labDown(name);
  }
}
