/** The WAN bench's readers: command counts from a real run log, Ansible's CPU from bash `times`, target verdicts. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { childCpuS } from '../../../bench/overhead.js';
import { commandsByHost, type WanRow } from '../../../bench/wan.js';
import { targets, textChart } from '../../../bench/wan-report.js';
import type { BundlePeersRow } from '../../../bench/bundle-peers.js';
import { RunLog } from '../../../src/engine/logdir.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const row = (o: Partial<WanRow>): WanRow => ({
  scenario: 'no-change re-run',
  tool: 'kubesmith CLI',
  rttMs: 100,
  rateBps: 100e6,
  hosts: 50,
  ok: true,
  wallMs: 1000,
  adminBytes: 0,
  ...o,
});

describe('WAN bench', () => {
  it('counts the commands a RunLog recorded per host, not their output or task lines', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-wanbench-'));
    dirs.push(dir);
    const log = new RunLog(dir);
    const rec = { command: 'printf "a\\n$ b"', code: 0, stdout: '2026-01-01T00:00:00.000Z $ not a command\n', stderr: '', durationMs: 3 };
    for (let i = 0; i < 3; i++) log.command({ ...rec, host: 'cp1' });
    log.command({ ...rec, host: 'w1' });
    log.hostLine('w1', 'Task | something changed');
    log.close();
    expect(Object.fromEntries(commandsByHost(dir))).toEqual({ cp1: 3, w1: 1 });
  });

  it("reads the children's CPU from bash times", () => {
    expect(childCpuS('PLAY RECAP\n0m0.012s 0m0.004s\n1m2.500s 0m0.250s\n')).toBeCloseTo(62.75, 3);
    expect(childCpuS('no times here')).toBeUndefined();
  });

  it('judges the targets from the rows it has, and says when one was not measured', () => {
    const fast = targets([row({ wallMs: 1400, cmdsMaxWorker: 2, cmdsFirstCp: 3 })]).join('\n');
    expect(fast).toMatch(/50 hosts at 100 ms RTT < 1\.5 s wall \| 1\.40 s .* \| met \|/);
    expect(fast).toMatch(/at most 3 remote commands per host \| 3 on the busiest host \| met \|/);
    expect(fast).toMatch(/at most 20 remote commands per worker \| – \| not measured \|/);
    const slow = targets([
      row({ wallMs: 45_000, cmdsMaxWorker: 20, cmdsFirstCp: 83 }),
      row({ scenario: 'overhead', tool: 'kubesmith engine', wallMs: 1200 }),
      row({ scenario: 'overhead', tool: 'bare node-ssh loop (floor)', wallMs: 1000 }),
    ]).join('\n');
    expect(slow).toMatch(/< 1\.5 s wall \| 45\.00 s .* \| NOT met \|/);
    expect(slow).toMatch(/83 on the busiest host \| NOT met \|/);
    expect(slow).toMatch(/1\.15× the node-ssh floor \(100 ms RTT\) \| 1\.20× .* \| NOT met \|/);
  });

  it('judges the bundle target only at its size (200 MB, 20 hosts); a smaller run is shown, not judged', () => {
    const bundle = (o: Partial<BundlePeersRow>): BundlePeersRow => ({
      hosts: 20,
      bundleBytes: 200e6,
      rateBps: 100e6,
      rttMs: 50,
      singleMs: 20_000,
      singleAdminBytes: 201e6,
      allMs: 40_000,
      allAdminBytes: 204e6,
      ok: true,
      adminRatio: 1.02,
      wallRatio: 2,
      ...o,
    });
    const line = (rows: BundlePeersRow[]) => targets([], rows).find((l) => l.includes('bundle 200 MB'))!;
    expect(line([])).toMatch(/\| – .*\| not measured \|$/);
    expect(line([bundle({})])).toMatch(/\| 1\.02× bundle, 2\.00× one copy \(200 MB to 20 hosts at 100 Mbit\/s\) \| met \|$/);
    expect(line([bundle({ adminRatio: 4 })])).toMatch(/\| NOT met \|$/);
    expect(line([bundle({ hosts: 10, bundleBytes: 50e6 })])).toMatch(/smaller than the target's size \| not measured \|$/);
  });

  it('draws one bar per RTT, scaled to the slowest, marking emulator-bound times', () => {
    const chart = textChart([row({ rttMs: 0, wallMs: 500 }), row({ rttMs: 150, wallMs: 1000, emulatorBound: true })]);
    expect(chart[0]).toBe('wall time (s), one bar per RTT; full width = 1.00 s');
    expect(chart).toContain(`     0 ms ${'█'.repeat(25)} 0.50`);
    expect(chart).toContain(`   150 ms ${'█'.repeat(50)} 1.00 †`);
  });
});
