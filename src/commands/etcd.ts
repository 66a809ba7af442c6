/** `kubesmith etcd backup|status -i FILE`: a verified snapshot to the admin machine; members, leader, health, DB size. */
import type { CommandContext } from '../cli/context.js';
import { defineCommand } from '../cli/context.js';
import { UsageError } from '../cli/context.js';
import type { Host } from '../model/host.js';
import { endpointHealthArgv, endpointStatusArgv, formatBytes, parseEndpointHealth, parseEndpointStatus } from '../etcd/index.js';
import { etcdNode, localEtcdHealthy, memberList, runEtcdctl, type EtcdNode } from '../tasks/etcd/node.js';
import { backupOptions } from './destructive.js';
import { executePlaybook } from './run-playbook.js';

export interface MemberRow {
  name: string;
  id: string;
  clientURL: string;
  leader: boolean;
  healthy: boolean;
  dbSize?: number;
  version?: string;
  error?: string;
}

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
    let via: { host: Host; e: EtcdNode } | undefined;
    for (const cp of hosts.controlPlanes) {
      const t = await pool.get(cp).catch(() => undefined);
      const e = t && etcdNode(inventory, cp, t);
      if (e && (await localEtcdHealthy(e).catch(() => false))) {
        via = { host: cp, e };
        break;
      }
    }
    if (!via) {
      ctx.out.stderr.write(`no control plane has a healthy etcd member (${hosts.controlPlanes.map((h) => h.name).join(', ')})\n`);
      return 1;
    }
    const members = await memberList(via.e);
    const rows: MemberRow[] = [];
    for (const m of members) {
      const url = m.clientURLs[0] ?? '';
      const row: MemberRow = { name: m.name, id: m.id, clientURL: url, leader: false, healthy: false };
      if (url) {
        const h = await runEtcdctl(via.e, endpointHealthArgv([url]), { retries: 1, allowFailure: true });
        try {
          const parsed = parseEndpointHealth(h.stdout)[0];
          row.healthy = parsed?.health === true;
          if (parsed?.error) row.error = parsed.error;
        } catch {
          row.error = h.stderr.trim().split('\n').pop() ?? `exit ${h.code}`;
        }
        const s = await runEtcdctl(via.e, endpointStatusArgv([url]), { retries: 1, allowFailure: true });
        if (s.code === 0) {
          const st = parseEndpointStatus(s.stdout)[0];
          if (st) Object.assign(row, { leader: st.isLeader, dbSize: st.dbSize, version: st.version });
        }
      } else row.error = 'member added but not started';
      rows.push(row);
    }
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
