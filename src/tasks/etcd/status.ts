/**
 * The etcd cluster as seen through one healthy member: every member with its health, leadership, DB size and
 * version. Read-only; shared by `kubesmith etcd status` and `kubesmith doctor`.
 */
import type { HostConnections } from '../../cli/context.js';
import { endpointHealthArgv, endpointStatusArgv, parseEndpointHealth, parseEndpointStatus } from '../../etcd/index.js';
import type { Inventory } from '../../inventory/schema.js';
import type { Host } from '../../model/host.js';
import { etcdNode, localEtcdHealthy, memberList, runEtcdctl, type EtcdNode } from './node.js';

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

/** The first control plane (inventory order) whose local etcd member is healthy. */
export async function healthyEtcdVia(
  inventory: Inventory,
  controlPlanes: readonly Host[],
  pool: Pick<HostConnections, 'get'>,
): Promise<{ host: Host; e: EtcdNode } | undefined> {
  for (const cp of controlPlanes) {
    const t = await pool.get(cp).catch(() => undefined);
    const e = t && etcdNode(inventory, cp, t);
    if (e && (await localEtcdHealthy(e).catch(() => false))) return { host: cp, e };
  }
  return undefined;
}

export async function memberRows(via: EtcdNode): Promise<MemberRow[]> {
  const rows: MemberRow[] = [];
  for (const m of await memberList(via)) {
    const url = m.clientURLs[0] ?? '';
    const row: MemberRow = { name: m.name, id: m.id, clientURL: url, leader: false, healthy: false };
    if (url) {
      const h = await runEtcdctl(via, endpointHealthArgv([url]), { retries: 1, allowFailure: true });
      try {
        const parsed = parseEndpointHealth(h.stdout)[0];
        row.healthy = parsed?.health === true;
        if (parsed?.error) row.error = parsed.error;
      } catch {
        row.error = h.stderr.trim().split('\n').pop() ?? `exit ${h.code}`;
      }
      const s = await runEtcdctl(via, endpointStatusArgv([url]), { retries: 1, allowFailure: true });
      if (s.code === 0) {
        const st = parseEndpointStatus(s.stdout)[0];
        if (st) Object.assign(row, { leader: st.isLeader, dbSize: st.dbSize, version: st.version });
      }
    } else row.error = 'member added but not started';
    rows.push(row);
  }
  return rows;
}
