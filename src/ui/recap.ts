/** The recap printed after a run: one line per host, per-phase times, then each host's first failure in full. */
import type { Recap } from '../engine/types.js';
import { duration, painter } from './output.js';

export function formatRecap(recap: Recap, opts: { color: boolean; dryRun?: boolean }): string {
  const paint = painter(opts.color);
  const width = Math.max(4, ...recap.hosts.map((h) => h.host.length));
  const lines = [paint('bold', opts.dryRun ? 'PLAN RECAP' : 'RECAP')];
  for (const h of recap.hosts) {
    const counts = [
      paint('green', `ok=${h.ok}`),
      paint(h.changed ? 'yellow' : 'dim', `${opts.dryRun ? 'would-change' : 'changed'}=${h.changed}`),
      paint(h.failed ? 'red' : 'dim', `failed=${h.failed}`),
      paint('dim', `skipped=${h.skipped}`),
      paint(h.unknown ? 'cyan' : 'dim', `unknown=${h.unknown}`),
    ];
    lines.push(`  ${h.host.padEnd(width)}  ${counts.join('  ')}  ${duration(h.durationMs)}`);
  }
  if (recap.phases.length) {
    lines.push(paint('dim', `  phases: ${recap.phases.map((p) => `${p.phase} ${duration(p.durationMs)}`).join(' · ')}`));
  }
  for (const h of recap.hosts) {
    const f = h.failure;
    if (!f) continue;
    lines.push('', paint('red', `FAILED ${h.host}: ${f.task}`), `  ${f.message}`);
    if (f.command) lines.push(`  command: ${f.command}`);
    if (f.exitCode !== undefined) lines.push(`  exit code: ${f.exitCode}`);
    if (f.stderrTail) lines.push('  stderr:', ...f.stderrTail.split('\n').map((l) => `    ${l}`));
    if (f.hint) lines.push(paint('cyan', `  hint: ${f.hint}`));
  }
  return lines.join('\n') + '\n';
}
