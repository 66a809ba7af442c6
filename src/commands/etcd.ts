/** `kubesmith etcd backup|status -i FILE`: a verified snapshot to the admin machine; members, leader, health, DB size. */
import type { CommandContext } from '../cli/context.js';
import { defineCommand } from '../cli/context.js';
import { UsageError } from '../cli/context.js';
import { formatBytes } from '../etcd/index.js';
import { healthyEtcdVia, memberRows, type MemberRow } from '../tasks/etcd/status.js';
import { backupOptions } from './destructive.js';
import { executePlaybook } from './run-playbook.js';

export type { MemberRow };

export function formatStatus(rows: MemberRow[], via: string): string {
  const head = ['MEMBER', 'ID', 'CLIENT URL', 'LEADER', 'HEALTH', 'DB SIZE', 'VERSION'];
  const body = rows.map((r) => [
    r.name || '(not started)',
    r.id,
    r.clientURL,
    r.leader ? 'yes' : '',
    r.healthy ? 'healthy' : `UNHEALTHY${r.error ? `: ${r.error}` : ''}`,
    r.dbSize === undefined ? '-' : formatBytes(r.dbSize),
    r.version ?? '-',
  ]);
  const width = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(width[i]!))).join('  ');
  return [line(head), ...body.map(line), `(asked through ${via})`].join('\n') + '\n';
}

async function status(ctx: CommandContext): Promise<number> {
  const { hosts, inventory, connect } = await ctx.cluster();
  const pool = connect();
  try {
    const via = await healthyEtcdVia(inventory, hosts.controlPlanes, pool);
    if (!via) {
      ctx.out.stderr.write(`no control plane has a healthy etcd member (${hosts.controlPlanes.map((h) => h.name).join(', ')})\n`);
      return 1;
    }
    const rows = await memberRows(via.e);
    if (ctx.flags.output === 'json') ctx.out.stdout.write(JSON.stringify({ via: via.host.name, members: rows }) + '\n');
    else ctx.out.stdout.write(formatStatus(rows, via.host.name));
    return rows.every((r) => r.healthy) && rows.some((r) => r.leader) ? 0 : 1;
  } finally {
    await pool.closeAll();
  }
}

export const etcdCommand = defineCommand({
  name: 'etcd',
  summary: 'etcd backup: verified snapshot to .kubesmith/<cluster>/etcd/; etcd status: members, leader, health, DB size',
  usage: 'etcd backup|status -i FILE [--keep N]',
  description:
    'backup: takes `etcdctl snapshot save` on a healthy control plane (kubeadm cert paths), verifies it with `snapshot status` ' +
    "(etcdutl of 3.5+, else etcdctl below 3.6) — both are the etcd image's own tools, reached with `crictl exec` into the etcd pod " +
    'and `ctr run`/`docker run` of the image: nothing is installed on the host — keeps it under /var/backups/kubesmith/etcd on the node and copies it to ' +
    '.kubesmith/<cluster>/etcd/<timestamp>-<node>.db (mode 0600) with a .json record; the newest --keep (default 7) are kept. ' +
    'status: exit 1 when a member is unhealthy or there is no leader.',
  examples: ['kubesmith etcd backup -i cluster.yaml --keep 14', 'kubesmith etcd status -i cluster.yaml'],
  flags: { keep: { type: 'string', valueName: 'N', description: 'snapshots to keep on the admin machine and the node (default 7)' } },
  subcommands: ['backup', 'status'],
  positionals: [1, 1],
  runsPlaybook: true,
  async run(ctx) {
    const sub = ctx.positionals[0];
    if (sub === 'status') return status(ctx);
    if (sub !== 'backup') throw new UsageError(`etcd ${sub ?? ''}: expected backup or status`);
    const keep = ctx.values.keep;
    if (keep !== undefined && !(typeof keep === 'string' && /^[1-9]\d*$/.test(keep)))
      throw new UsageError('--keep takes a positive integer');
    const options = { ...(await backupOptions(ctx)), ...(typeof keep === 'string' ? { keep: Number(keep) } : {}) };
    const { code } = await executePlaybook(ctx, { playbook: 'etcd-backup', dryRun: false, options });
    return code;
  },
});
