/**
 * `doctorCluster`: a diagnosis of a running cluster — the checks operators run by hand and the seed
 * runbook's incident notes. One kubectl batch on a control plane, one look-up batch per host, etcd through a
 * healthy member (crictl exec etcdctl, as `kubesmith etcd status`). Read-only except for reachability's test pods
 * and Services in their own namespace, deleted again before doctor returns (reachability.ts).
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
import { reachabilityNotRun, reachabilityOutcomes, runProbes, type ProbeOptions } from './reachability.js';
import type { Transport } from '../transport/types.js';

export interface DoctorTarget {
  inventory: Inventory;
  hosts: Hosts;
}

export interface DoctorOptions {
  /** The reachability test pods; undefined: not run (--no-probe), doctor then creates nothing. */
  probe?: ProbeOptions | undefined;
}

const firstLine = (err: unknown) => ((err as Error).message.split('\n')[0] ?? '').slice(0, 300);

async function readApi(cluster: DoctorTarget, pool: HostConnections): Promise<{ api: DoctorApi; via: Transport } | string> {
  let why = 'no control plane in the inventory';
  for (const cp of cluster.hosts.controlPlanes) {
    try {
      const via = await pool.get(cp);
      return { api: await readDoctorApi(via), via };
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

/** The test pods on every Ready inventory node (at least two), through the control plane that answered. */
async function reachability(
  expected: Expected[],
  api: DoctorApi,
  via: Transport,
  probe: ProbeOptions | undefined,
): Promise<CheckOutcome[]> {
  if (!probe) return reachabilityNotRun({ skipped: '--no-probe: no test pods created' });
  const ready = expected.filter((h) =>
    api.nodes.find((n) => n.name === h.name)?.conditions.some((c) => c.type === 'Ready' && c.status === 'True'),
  );
  if (ready.length < 2) return reachabilityNotRun({ skipped: 'fewer than two Ready nodes: nothing to reach across nodes' });
  try {
    const out = reachabilityOutcomes(
      await runProbes(
        via,
        ready.map((h) => h.name),
        probe,
      ),
    );
    const left = expected.length - ready.length;
    return left ? out.map((c) => ({ ...c, info: `${c.info}; ${left} node(s) not Ready, not probed` })) : out;
  } catch (err) {
    return reachabilityNotRun({ unknown: firstLine(err) });
  }
}

export async function doctorCluster(cluster: DoctorTarget, pool: HostConnections, opts: DoctorOptions = {}): Promise<Report> {
  const expected: Expected[] = cluster.hosts.all.map((h) => ({ name: h.name, controlPlane: h.isControlPlane, address: h.internalAddress }));
  const [read, nets, etcd] = await Promise.all([
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
  if (typeof read === 'string') checks.push(unknownCheck('cluster.api', 'Cluster API: nodes, pods, kube-proxy', undefined, read));
  else
    checks.push(
      nodeConditions(expected, read.api.nodes),
      controlPlanePods(expected, read.api.pods),
      coreDns(read.api.pods),
      kubeProxy(expected, read.api.pods, read.api.proxyMode),
      cniPods(expected, read.api.pods),
    );
  checks.push(etcd);
  if (typeof read !== 'string') checks.push(flannelInterface(expected, read.api.nodes, nets), overlayMtu(expected, read.api.nodes, nets));
  checks.push(forwardingSysctls(expected, nets), hairpin(expected, nets));
  if (typeof read !== 'string') checks.push(...(await reachability(expected, read.api, read.via, opts.probe)));
  return report('doctor', checks);
}
