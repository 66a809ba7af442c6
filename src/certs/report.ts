/** `certs check` output: one table (node, cert, expires, days left, signing CA, status), the findings, a verdict. */
import type { CheckReport } from './analyze.js';

function pad(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const STATUS = { ok: 'OK', warning: 'WARNING', critical: 'CRITICAL', unknown: 'UNKNOWN' } as const;

export function formatReport(report: CheckReport): string {
  const rows = [['NODE', 'CERTIFICATE', 'EXPIRES', 'DAYS LEFT', 'SIGNING CA', 'STATUS']];
  for (const r of report.rows) {
    const expires = r.expires ? r.expires.replace(/:\d\d\.\d{3}Z$/, 'Z').replace('T', ' ') : '-';
    const status = STATUS[r.status] + (r.note ? ` (${r.note})` : '');
    rows.push([r.node, r.cert, expires, r.daysLeft === null ? '-' : String(r.daysLeft), r.ca || '-', status]);
  }
  const lines = [pad(rows), ''];
  for (const f of report.findings) lines.push(`${STATUS[f.severity]}: ${f.node ? `${f.node}: ` : ''}${f.message}`);
  const counts = (['critical', 'warning', 'unknown'] as const)
    .map((s) => [s, report.findings.filter((f) => f.severity === s).length] as const)
    .filter(([, n]) => n > 0);
  lines.push(
    `CERTS ${report.status}${counts.length ? ` - ${counts.map(([s, n]) => `${n} ${s}`).join(', ')}` : ` - ${report.rows.length} certificates checked`}`,
  );
  return lines.join('\n') + '\n';
}

export function reportJson(report: CheckReport): string {
  return (
    JSON.stringify({
      type: 'certs.check',
      status: report.status,
      exitCode: report.exitCode,
      certificates: report.rows,
      findings: report.findings,
    }) + '\n'
  );
}
