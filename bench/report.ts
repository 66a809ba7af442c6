/** Results → a Markdown table and hand-written SVG charts (no dependency). */
import type { ApplyRow } from './apply.js';
import type { BundleRow } from './bundle.js';
import type { BundlePeersRow } from './bundle-peers.js';
import type { OverheadRow } from './overhead.js';
import type { ScaleRow, WanRow } from './wan.js';

export interface Results {
  date: string;
  machine: { cpus: number; model: string; memGiB: number; node: string; kernel: string; loadBefore: string; loadAfter: string };
  overhead: OverheadRow[];
  apply: ApplyRow[];
  bundle: BundleRow[];
  wan: WanRow[];
  scale: ScaleRow[];
  /** Bundle distribution with peer copies (bench/bundle-peers.ts). */
  bundlePeers?: BundlePeersRow[];
  /** The command that reproduces this file. */
  command?: string;
}

const s = (ms: number) => (ms / 1000).toFixed(2);
const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function markdown(r: Results, chartFile: string): string {
  const out: string[] = [`# kubesmith benchmarks — ${r.date}`, ''];
  out.push(
    `Same lab, same machine: every tool below ran against the same simulated hosts (network namespaces with their own sshd, test/lab) ` +
      `on one machine with ${r.machine.cpus} CPU(s) (${r.machine.model}), ${r.machine.memGiB} GiB, Node ${r.machine.node}, kernel ${r.machine.kernel}. ` +
      `Load average before: ${r.machine.loadBefore}, after: ${r.machine.loadAfter} (other work shared the machine; figures are comparable with each other, not with a real fleet).`,
    '',
  );
  if (r.command) out.push(`Reproduce: \`npm run build && ${r.command}\` (as root).`, '');
  if (r.overhead.length) {
    out.push('## Orchestration overhead: 10 no-op shell tasks (`true`) per host', '');
    out.push('| hosts | tool | wall time (s) | task-hosts/s | × floor | notes |', '|---:|---|---:|---:|---:|---|');
    for (const row of r.overhead) {
      const floor = r.overhead.find((o) => o.hosts === row.hosts && o.tool.includes('floor'));
      const ratio = floor ? (row.wallMs / floor.wallMs).toFixed(2) : '';
      const notes = [row.note, row.connectionsOpened !== undefined ? `${row.connectionsOpened} SSH connections` : '']
        .filter(Boolean)
        .join('; ');
      out.push(`| ${row.hosts} | ${row.tool} | ${s(row.wallMs)} | ${row.rate.toFixed(0)} | ${ratio} | ${notes} |`);
    }
    out.push('', 'Target: kubesmith engine within 1.5× of the floor measured in the same run.', '');
  }
  if (r.apply.length) {
    out.push('## Full `apply` (1 control plane + N-1 workers, emulated kubeadm)', '');
    out.push(
      '| hosts | ok | wall (s) | peak RSS (MiB) | SSH logins (max/host) | no-change re-run (s) | re-run changed | re-run RSS (MiB) |',
      '|---:|---|---:|---:|---:|---:|---:|---:|',
    );
    for (const a of r.apply) {
      out.push(
        `| ${a.hosts} | ${a.ok ? 'yes' : 'NO'} | ${s(a.wallMs)} | ${a.peakRssMiB.toFixed(0)} | ${a.sshLogins} (${a.sshLoginsMaxPerHost}) | ${s(a.rerunMs)} | ${a.rerunChanged} | ${a.rerunPeakRssMiB.toFixed(0)} |`,
      );
    }
    if (r.apply.some((a) => a.cpuS !== undefined)) {
      const c = (v: number | undefined) => (v === undefined ? '–' : v.toFixed(1));
      const per = (v: number | undefined, n: number) => (v === undefined ? '–' : (v / n).toFixed(2));
      out.push(
        '',
        "CPU seconds spent by the whole machine (the CLI and every lab host with its sshd and emulators) during each run, and the CLI's own share:",
        '',
      );
      out.push(
        '| hosts | apply CPU-s | per host | CLI CPU-s | re-run CPU-s | per host | CLI CPU-s |',
        '|---:|---:|---:|---:|---:|---:|---:|',
      );
      for (const a of r.apply)
        out.push(
          `| ${a.hosts} | ${c(a.cpuS)} | ${per(a.cpuS, a.hosts)} | ${c(a.cliCpuS)} | ${c(a.rerunCpuS)} | ${per(a.rerunCpuS, a.hosts)} | ${c(a.rerunCliCpuS)} |`,
        );
    }
    const phases = [...new Set(r.apply.flatMap((a) => a.phases.map((p) => p.phase)))];
    out.push(
      '',
      '### Time per phase (s, from the recap)',
      '',
      `| phase | ${r.apply.map((a) => `${a.hosts} hosts`).join(' | ')} |`,
      `|---|${r.apply.map(() => '---:').join('|')}|`,
    );
    for (const p of phases)
      out.push(`| ${p} | ${r.apply.map((a) => s(a.phases.find((x) => x.phase === p)?.durationMs ?? 0)).join(' | ')} |`);
    if (r.apply.some((a) => a.rerunPhases?.length)) {
      out.push(
        '',
        '### No-change re-run: time per phase (s)',
        '',
        `| phase | ${r.apply.map((a) => `${a.hosts} hosts`).join(' | ')} |`,
        `|---|${r.apply.map(() => '---:').join('|')}|`,
      );
      for (const p of phases)
        out.push(`| ${p} | ${r.apply.map((a) => s(a.rerunPhases?.find((x) => x.phase === p)?.durationMs ?? 0)).join(' | ')} |`);
    }
    const failures = r.apply.filter((a) => a.failures?.length);
    if (failures.length) out.push('', 'Failures:', ...failures.flatMap((a) => a.failures!.map((f) => `- ${a.hosts} hosts: ${f}`)));
    out.push('', `Growth with hosts: ![apply time by hosts](${chartFile})`, '');
  }
  if (r.bundle.length) {
    out.push('## Bundle distribution (transport upload with sha256 skip, vs scp)', '');
    out.push(
      '| hosts | bytes per host | kubesmith MB/s (all hosts) | scp MB/s (all hosts) | re-run bytes sent |',
      '|---:|---:|---:|---:|---:|',
    );
    for (const b of r.bundle)
      out.push(`| ${b.hosts} | ${b.bytesPerHost} | ${b.kubesmithMBps.toFixed(1)} | ${b.scpMBps.toFixed(1)} | ${b.rerunBytes} |`);
    out.push('');
  }
  return out.join('\n');
}

/** A line chart of apply wall time (and re-run time) against hosts, plus the overhead bars at each host count. */
export function chart(r: Results): string {
  const W = 720;
  const H = 400;
  const m = { l: 60, r: 20, t: 40, b: 50 };
  const pts = r.apply.filter((a) => a.wallMs > 0);
  const maxX = Math.max(100, ...pts.map((p) => p.hosts));
  const maxY = Math.max(1, ...pts.map((p) => p.wallMs / 1000)) * 1.15;
  const x = (v: number) => m.l + (v / maxX) * (W - m.l - m.r);
  const y = (v: number) => H - m.b - (v / maxY) * (H - m.t - m.b);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">kubesmith apply: wall time by hosts (${esc(r.date)})</text>`,
    `<line x1="${m.l}" y1="${H - m.b}" x2="${W - m.r}" y2="${H - m.b}" stroke="black"/>`,
    `<line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${H - m.b}" stroke="black"/>`,
  ];
  for (let i = 0; i <= 5; i++) {
    const v = (maxY / 5) * i;
    parts.push(
      `<line x1="${m.l}" y1="${y(v)}" x2="${W - m.r}" y2="${y(v)}" stroke="#ddd"/>`,
      `<text x="${m.l - 6}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(0)}</text>`,
    );
  }
  for (const p of pts) parts.push(`<text x="${x(p.hosts)}" y="${H - m.b + 18}" text-anchor="middle">${p.hosts}</text>`);
  parts.push(
    `<text x="${W / 2}" y="${H - 12}" text-anchor="middle">hosts</text>`,
    `<text x="16" y="${H / 2}" transform="rotate(-90 16 ${H / 2})" text-anchor="middle">seconds</text>`,
  );
  const line = (vals: { hosts: number; v: number }[], color: string, label: string, ly: number) => {
    if (!vals.length) return;
    parts.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2" points="${vals.map((p) => `${x(p.hosts)},${y(p.v)}`).join(' ')}"/>`,
    );
    for (const p of vals)
      parts.push(
        `<circle cx="${x(p.hosts)}" cy="${y(p.v)}" r="4" fill="${color}"/>`,
        `<text x="${x(p.hosts) + 6}" y="${y(p.v) - 6}" fill="${color}">${p.v.toFixed(1)}</text>`,
      );
    parts.push(
      `<rect x="${m.l + 12}" y="${ly - 9}" width="12" height="3" fill="${color}"/>`,
      `<text x="${m.l + 30}" y="${ly}">${esc(label)}</text>`,
    );
  };
  line(
    pts.map((p) => ({ hosts: p.hosts, v: p.wallMs / 1000 })),
    '#1f77b4',
    'apply (fresh hosts)',
    m.t + 10,
  );
  line(
    pts.map((p) => ({ hosts: p.hosts, v: p.rerunMs / 1000 })),
    '#2ca02c',
    'no-change re-run',
    m.t + 26,
  );
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

/** Horizontal bars: task-hosts/s per tool at each host count of the overhead benchmark. */
export function overheadChart(r: Results): string {
  const rows = r.overhead;
  const W = 720;
  const bar = 18;
  const H = 60 + rows.length * (bar + 6);
  const maxRate = Math.max(1, ...rows.map((o) => o.rate));
  const left = 260;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">10 no-op tasks: task-hosts per second (higher is better)</text>`,
  ];
  rows.forEach((o, i) => {
    const yy = 40 + i * (bar + 6);
    const w = ((W - left - 70) * o.rate) / maxRate;
    const color = o.tool.startsWith('kubesmith') ? '#1f77b4' : o.tool.includes('floor') ? '#7f7f7f' : '#d62728';
    parts.push(
      `<text x="${left - 6}" y="${yy + 13}" text-anchor="end">${o.hosts} hosts · ${esc(o.tool)}</text>`,
      `<rect x="${left}" y="${yy}" width="${Math.max(1, w)}" height="${bar}" fill="${color}"/>`,
      `<text x="${left + w + 4}" y="${yy + 13}">${o.rate.toFixed(0)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
