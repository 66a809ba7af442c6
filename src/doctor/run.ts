/**
 * `doctorCluster`: a read-only diagnosis of a running cluster — the checks operators run by hand and the seed
 * runbook's incident notes. One kubectl batch on a control plane, one look-up batch per host, etcd through a
 * healthy member (crictl exec etcdctl, as `kubesmith etcd status`).
 */
import type { HostConnections } from '../cli/context.js';
import { oneFinding, report, unknownCheck, type CheckOutcome, type Report } from '../checks/report.js';
import type { Inventory } from '../inventory/schema.js';
import type { Hosts } from '../model/host.js';
import { healthyEtcdVia, memberRows } from '../tasks/etcd/members.js';
import { readDoctorApi, type DoctorApi } from './api.js';
import { cniPods, controlPlanePods, coreDns, kubeProxy, nodeConditions, type Expected } from './cluster-rules.js';
import { readHostNet } from './host.js';
import { flannelInterface, forwardingSysctls, hairpin, overlayMtu, type HostRead } from './net-rules.js';

export interface DoctorTarget {
  inventory: Inventory;
  hosts: Hosts;
}

const firstLine = (err: unknown) => ((err as Error).message.split('\n')[0] ?? '').slice(0, 300);

async function readApi(cluster: DoctorTarget, pool: HostConnections): Promise<DoctorApi | string> {
  let why = 'no control plane in the inventory';
  for (const cp of cluster.hosts.controlPlanes) {
    try {
      return await readDoctorApi(await pool.get(cp));
    } catch (err) {
      why = `${cp.name}: ${firstLine(err)}`;
    }
  }
  return why;
}

async function etcdCheck(cluster: DoctorTarget, pool: HostConnections): Promise<CheckOutcome> {
  const id = 'etcd';
  const title = 'etcd: every member healthy, one leader';
  const via = await healthyEtcdVia(cluster.inventory, cluster.hosts, (h) => pool.get(h));
  if (!via)
    return oneFinding(id, title, {
      severity: 'critical',
      message: 'no control plane has a healthy local etcd member',
      evidence: [cluster.hosts.controlPlanes.map((h) => h.name).join(', ')],
      fix: '`kubesmith etcd status` for details; with quorum lost, `kubesmith recover` restores from a snapshot',
    });
  const rows = await memberRows(via.e);
  const findings = rows
    .filter((r) => !r.healthy)
    .map((r) => ({
      check: id,
      severity: 'critical' as const,
      node: r.name || r.id,
      message: `member ${r.name || r.id} unhealthy${r.error ? `: ${r.error}` : ''}`,
      evidence: [`${r.clientURL || 'no client URL'} (asked through ${via.host.name})`],
      fix: "restart that control plane's etcd (its static pod); a member that cannot come back: `kubesmith node remove` and re-join",
    }));
  if (!rows.some((r) => r.leader))
    findings.push({
      check: id,
      severity: 'critical',
      node: via.host.name,
      message: 'no member reports itself leader',
      evidence: [],
      fix: '`kubesmith etcd status`; a cluster without a leader has lost quorum',
    });
  return { id, title, info: `${rows.length} member(s), leader ${rows.find((r) => r.leader)?.name ?? 'none'}`, findings };
}

export async function doctorCluster(cluster: DoctorTarget, pool: HostConnections): Promise<Report> {
  const expected: Expected[] = cluster.hosts.all.map((h) => ({ name: h.name, controlPlane: h.isControlPlane, address: h.internalAddress }));
  const [api, nets, etcd] = await Promise.all([
    readApi(cluster, pool),
    Promise.all(
      cluster.hosts.all.map(async (h): Promise<[string, HostRead]> => {
        try {
          return [h.name, { ok: true, value: await readHostNet(await pool.get(h)) }];
        } catch (err) {
          return [h.name, { ok: false, error: firstLine(err) }];
        }
      }),
    ).then((e) => new Map(e)),
    etcdCheck(cluster, pool).catch((err: unknown) =>
      unknownCheck('etcd', 'etcd: every member healthy, one leader', undefined, firstLine(err)),
    ),
  ]);
  const checks: CheckOutcome[] = [];
  if (typeof api === 'string') checks.push(unknownCheck('cluster.api', 'Cluster API: nodes, pods, kube-proxy', undefined, api));
  else
    checks.push(
      nodeConditions(expected, api.nodes),
      controlPlanePods(expected, api.pods),
      coreDns(api.pods),
      kubeProxy(expected, api.pods, api.proxyMode),
      cniPods(expected, api.pods),
    );
  checks.push(etcd);
  if (typeof api !== 'string') checks.push(flannelInterface(expected, api.nodes, nets), overlayMtu(expected, api.nodes, nets));
  checks.push(forwardingSysctls(expected, nets), hairpin(expected, nets));
  return report('doctor', checks);
}
