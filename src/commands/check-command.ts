/**
 * What `audit` and `doctor` share: build the cluster once, run the checks over one connection pool, print the
 * report (text or JSON), return the monitoring-plugin exit code. A check that cannot run at all (bad inventory,
 * no control plane reachable) is UNKNOWN (3), as in `certs check`, never kubesmith's usage code 2.
 */
import type { CommandContext, HostConnections } from '../cli/context.js';
import { formatReport, reportJson, type Report } from '../checks/report.js';
import { InventoryError, formatIssue } from '../inventory/index.js';
import type { Cluster } from './cluster.js';

export async function runChecks(
  ctx: CommandContext,
  kind: Report['kind'],
  checks: (cluster: Cluster, pool: HostConnections) => Promise<Report>,
): Promise<number> {
  try {
    const cluster = await ctx.cluster();
    const pool = cluster.connect();
    try {
      const r = await checks(cluster, pool);
      ctx.out.stdout.write(ctx.flags.output === 'json' ? reportJson(r) : formatReport(r));
      return r.exitCode;
    } finally {
      await pool.closeAll();
    }
  } catch (err) {
    if (err instanceof InventoryError) ctx.out.stderr.write(err.issues.map(formatIssue).join('\n') + '\n');
    else ctx.out.stderr.write(`kubesmith ${kind}: ${(err as Error).message}\n`);
    if (ctx.flags.output === 'json')
      ctx.out.stdout.write(JSON.stringify({ type: kind, status: 'UNKNOWN', exitCode: 3, message: (err as Error).message }) + '\n');
    return 3;
  }
}

/** --warn-days N (default 30), as `certs check`. */
export function warnDays(ctx: CommandContext): number {
  const v = ctx.values['warn-days'];
  if (v === undefined) return 30;
  if (typeof v !== 'string' || !/^\d+$/.test(v)) throw new Error(`--warn-days expects a whole number, got "${String(v)}"`);
  return Number(v);
}
