/** The WAN matrix and scale results → Markdown tables, a text chart, and the issue #16 targets with a verdict each. */
import type { BundlePeersRow } from './bundle-peers.js';
import type { ScaleRow, WanRow } from './wan.js';

const s = (ms: number) => (ms / 1000).toFixed(2);
const num = (v: number | undefined, digits = 1) => (v === undefined ? '–' : v.toFixed(digits));
const kib = (b: number) => (b / 1024).toFixed(0);
const rate = (bps: number) => (bps ? `${bps / 1e6} Mbit/s` : 'unlimited');

export function wanTable(rows: WanRow[]): string[] {
  if (!rows.length) return [];
  const out = [
    '## Per scenario at each RTT (WAN lab)',
    '',
    'RTT 0 is the plain lab (no proxy); other RTTs go through the WAN proxy in front of every sshd (test/lab/wan-proxy.ts), ' +
      `rate per host each way: ${[...new Set(rows.filter((r) => r.rttMs > 0).map((r) => rate(r.rateBps)))].join(', ') || '–'}. ` +
      'Commands: remote commands per host (mean / most on one worker / first control plane) from the CLI run log, the engine pool, or ' +
      "Ansible's ssh invocations. Admin KiB: bytes the machine sent into the hosts (veth counters, with IP headers; apply's include the " +
      "lab image registry, which runs on the machine). CPU-s/host: the tool's own CPU. Lab CPU-s: the rest of the machine during the run " +
      "(hosts, sshd, emulators, and other work on the shared machine). Wall times marked † are mostly the emulators' cost (lab CPU kept " +
      'the cores more than half busy): read the columns next to them, not the time.',
    '',
    '| RTT (ms) | hosts | scenario | tool | ok | wall (s) | commands/host (mean / max worker / cp1) | admin KiB | CPU-s/host | peak RSS (MiB) | lab CPU-s | changed | notes |',
    '|---:|---:|---|---|---|---:|---|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of rows) {
    const cmds =
      r.cmdsPerHost === undefined
        ? '–'
        : [
            num(r.cmdsPerHost),
            r.cmdsMaxWorker === undefined ? '' : String(r.cmdsMaxWorker),
            r.cmdsFirstCp === undefined ? '' : String(r.cmdsFirstCp),
          ]
            .filter(Boolean)
            .join(' / ');
    out.push(
      `| ${r.rttMs} | ${r.hosts} | ${r.scenario} | ${r.tool} | ${r.ok ? 'yes' : 'NO'} | ${s(r.wallMs)}${r.emulatorBound ? ' †' : ''} | ${cmds} | ${kib(r.adminBytes)} | ${num(r.cpuSPerHost, 3)} | ${num(r.peakRssMiB, 0)} | ${num(r.labCpuS)} | ${r.changed ?? '–'} | ${r.note ?? ''} |`,
    );
  }
  out.push('', '```', ...textChart(rows), '```', '');
  return out;
}

/** Wall time per scenario and tool, one bar per RTT (text, so it lives in the Markdown file). */
export function textChart(rows: WanRow[]): string[] {
  const max = Math.max(1, ...rows.map((r) => r.wallMs));
  const width = 50;
  const label = (r: WanRow) => `${r.scenario} · ${r.tool}`;
  const groups = [...new Set(rows.map(label))];
  const out = [`wall time (s), one bar per RTT; full width = ${s(max)} s`];
  for (const g of groups) {
    out.push(g);
    for (const r of rows.filter((x) => label(x) === g)) {
      const n = Math.max(1, Math.round((r.wallMs / max) * width));
      out.push(`  ${String(r.rttMs).padStart(4)} ms ${'█'.repeat(n)} ${s(r.wallMs)}${r.emulatorBound ? ' †' : ''}`);
    }
  }
  return out;
}

export function scaleTable(rows: ScaleRow[]): string[] {
  if (!rows.length) return [];
  const out = [
    '## Scale: no-change re-run and `plan` (RTT 0)',
    '',
    '| hosts | lab up (s) | lab RSS/host (MiB) | lab PSS/host (MiB) | apply (s) | re-run (s) | re-run ms/host | re-run changed | re-run RSS (MiB) | re-run KiB RSS/host | re-run CLI CPU-s | plan (s) | plan ms/host | plan RSS (MiB) | plan CLI CPU-s |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows)
    out.push(
      `| ${r.hosts} | ${s(r.labUpMs)} | ${r.labHostRssMiB.toFixed(1)} | ${r.labHostPssMiB.toFixed(1)} | ${s(r.applyMs)}${r.applyOk ? '' : ' FAILED'} | ${s(r.rerunMs)}${r.rerunOk ? '' : ' FAILED'} | ${(r.rerunMs / r.hosts).toFixed(0)} | ${r.rerunChanged} | ${r.rerunRssMiB.toFixed(0)} | ${((r.rerunRssMiB * 1024) / r.hosts).toFixed(0)} | ${r.rerunCliCpuS.toFixed(1)} | ${s(r.planMs)}${r.planOk ? '' : ' FAILED'} | ${(r.planMs / r.hosts).toFixed(0)} | ${r.planRssMiB.toFixed(0)} | ${r.planCliCpuS.toFixed(1)} |`,
    );
  out.push('');
  return out;
}

interface Verdict {
  target: string;
  measured: string;
  met: boolean | undefined;
}

const verdict = (v: Verdict) => `| ${v.target} | ${v.measured} | ${v.met === undefined ? 'not measured' : v.met ? 'met' : 'NOT met'} |`;

/** The targets (bench/README.md), each judged from this run's rows, or "not measured". */
/** The bundle target, judged at 200 MB to 20 hosts; a smaller run is shown but not judged. */
function bundleVerdict(rows: BundlePeersRow[]): Verdict {
  const target = 'bundle 200 MB to 20 hosts, admin uplink 100 Mbit/s: admin bytes ≤ 1.2× bundle, wall ≤ 3× one copy';
  const r = rows[0];
  if (!r) return { target, measured: '– (`--only bundle-peers`)', met: undefined };
  const measured = `${r.adminRatio.toFixed(2)}× bundle, ${r.wallRatio.toFixed(2)}× one copy (${Math.round(r.bundleBytes / 1e6)} MB to ${r.hosts} hosts at ${r.rateBps / 1e6} Mbit/s)`;
  const full = r.bundleBytes >= 200e6 && r.hosts >= 20;
  return {
    target,
    measured: full ? measured : `${measured}; smaller than the target's size`,
    met: full ? r.ok && r.adminRatio <= 1.2 && r.wallRatio <= 3 : undefined,
  };
}

export function targets(rows: WanRow[], bundle: BundlePeersRow[] = []): string[] {
  const find = (scenario: WanRow['scenario'], pred: (r: WanRow) => boolean = () => true) =>
    rows.filter((r) => r.scenario === scenario && r.tool === 'kubesmith CLI' && pred(r));
  const v: Verdict[] = [];
  const rerun100 = find('no-change re-run', (r) => r.hosts >= 50 && r.rttMs >= 100)[0];
  v.push({
    target: 'no-change re-run on 50 hosts at 100 ms RTT < 1.5 s wall',
    measured: rerun100 ? `${s(rerun100.wallMs)} s (${rerun100.hosts} hosts, ${rerun100.rttMs} ms)` : '–',
    met: rerun100 ? rerun100.ok && rerun100.wallMs < 1500 : undefined,
  });
  const reruns = find('no-change re-run');
  const rerunMax = Math.max(...reruns.map((r) => Math.max(r.cmdsMaxWorker ?? 0, r.cmdsFirstCp ?? 0)));
  v.push({
    target: 'no-change re-run: at most 3 remote commands per host',
    measured: reruns.length ? `${rerunMax} on the busiest host` : '–',
    met: reruns.length ? rerunMax <= 3 : undefined,
  });
  const applies = find('apply');
  const workerMax = Math.max(...applies.map((r) => r.cmdsMaxWorker ?? 0));
  v.push({
    target: 'fresh apply: at most 20 remote commands per worker',
    measured: applies.length ? `${workerMax} on the busiest worker` : '–',
    met: applies.length ? workerMax <= 20 : undefined,
  });
  for (const rtt of [...new Set(rows.filter((r) => r.scenario === 'overhead').map((r) => r.rttMs))]) {
    const eng = rows.find((r) => r.scenario === 'overhead' && r.rttMs === rtt && r.tool.startsWith('kubesmith'));
    const floor = rows.find((r) => r.scenario === 'overhead' && r.rttMs === rtt && r.tool.includes('floor'));
    if (!eng || !floor) continue;
    const ratio = eng.wallMs / floor.wallMs;
    v.push({
      target: `engine overhead ≤ 1.15× the node-ssh floor (${rtt} ms RTT)`,
      measured: `${ratio.toFixed(2)}× (${s(eng.wallMs)} s vs ${s(floor.wallMs)} s)`,
      met: ratio <= 1.15,
    });
  }
  v.push(bundleVerdict(bundle));
  return ['## Targets (issue #16, see bench/README.md)', '', '| target | measured | verdict |', '|---|---|---|', ...v.map(verdict), ''];
}
