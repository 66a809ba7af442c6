/**
 * The report `audit` and `doctor` print: named checks, each with findings (severity, node, what was seen, the fix
 * kubesmith offers), and the monitoring-plugin verdict `certs check` uses: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN
 * (CRITICAL outranks UNKNOWN: a known problem matters more than a node that could not be read).
 */
import { exitCodeFor } from '../certs/analyze.js';

export type FindingSeverity = 'warning' | 'critical' | 'unknown';

export interface Finding {
  /** The check that found it (stable id, e.g. `rbac.anonymous-admin`). */
  check: string;
  severity: FindingSeverity;
  node?: string;
  /** One line: what is wrong. */
  message: string;
  /** What was seen, as read from the host or the API (a file line, a SAN list, an annotation). */
  evidence: string[];
  /** What to do about it, naming the kubesmith command when kubesmith does it. */
  fix: string;
}

export interface CheckOutcome {
  id: string;
  title: string;
  /** Why the check did not apply (no flannel, single node …); absent when it ran. */
  skipped?: string;
  /** A short summary when it passed or for context ("mode iptables", "3 members, leader cp1"). */
  info?: string;
  findings: Finding[];
}

export interface Report {
  kind: 'audit' | 'doctor';
  checks: CheckOutcome[];
  status: 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN';
  exitCode: 0 | 1 | 2 | 3;
}

const STATUS_TEXT = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'] as const;

export function report(kind: Report['kind'], checks: CheckOutcome[]): Report {
  const exitCode = exitCodeFor(checks.flatMap((c) => c.findings.map((f) => f.severity)));
  return { kind, checks, status: STATUS_TEXT[exitCode], exitCode };
}

/** A check's own status: its worst finding, or OK / SKIPPED. */
export function checkStatus(c: CheckOutcome): string {
  if (c.skipped && !c.findings.length) return 'SKIPPED';
  return STATUS_TEXT[exitCodeFor(c.findings.map((f) => f.severity))];
}

export function formatReport(r: Report): string {
  const lines: string[] = [];
  for (const c of r.checks) {
    const status = checkStatus(c);
    const note = c.skipped ?? c.info;
    lines.push(`${status.padEnd(8)}  ${c.title}${note ? ` (${note})` : ''}`);
    for (const f of c.findings) {
      lines.push(`  ${f.severity.toUpperCase()}: ${f.node ? `${f.node}: ` : ''}${f.message}`);
      for (const e of f.evidence) lines.push(`    seen: ${e}`);
      lines.push(`    fix:  ${f.fix}`);
    }
  }
  const all = r.checks.flatMap((c) => c.findings);
  const counts = (['critical', 'warning', 'unknown'] as const)
    .map((s) => [s, all.filter((f) => f.severity === s).length] as const)
    .filter(([, n]) => n > 0);
  lines.push('');
  lines.push(
    `${r.kind.toUpperCase()} ${r.status} - ${counts.length ? counts.map(([s, n]) => `${n} ${s}`).join(', ') : `${r.checks.length} checks passed or did not apply`}`,
  );
  return lines.join('\n') + '\n';
}

export function reportJson(r: Report): string {
  return JSON.stringify({ type: r.kind, status: r.status, exitCode: r.exitCode, checks: r.checks }) + '\n';
}

/** A check with a single finding. */
export function oneFinding(id: string, title: string, f: Omit<Finding, 'check'>): CheckOutcome {
  return { id, title, findings: [{ check: id, ...f }] };
}

/** A check that could not run: one UNKNOWN finding with the reason. */
export function unknownCheck(id: string, title: string, node: string | undefined, why: string): CheckOutcome {
  return oneFinding(id, title, {
    severity: 'unknown',
    ...(node ? { node } : {}),
    message: `could not check: ${why}`,
    evidence: [],
    fix: 'make the host or API reachable and run again',
  });
}
