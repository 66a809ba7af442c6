/**
 * `auditCluster`: every hazard check of a hand-built cluster, read-only. Used by `kubesmith audit` and by
 * `kubesmith import` after it wrote the inventory. One round trip of look-ups per host, one kubectl batch on a
 * control plane, and the certificate read of `certs check`; an unreachable host or API makes checks UNKNOWN.
 */
import type { HostConnections } from '../cli/context.js';
import { report, unknownCheck, type CheckOutcome, type Finding, type Report } from '../checks/report.js';
import type { Inventory } from '../inventory/schema.js';
import type { Host, Hosts } from '../model/host.js';
import { checkCluster } from '../tasks/certs/read.js';
import { readApiAudit, type ApiAudit } from './api.js';
import { readHostAudit, type HostAudit } from './host.js';
import { anonymousAdmin, containerdEol, deadRepos, dockershim, noEndpoint, subnetOverlap, swapOn } from './rules.js';
import { certSanFindings, type NodeIdentity } from './sans.js';

export interface AuditOptions {
  now: Date;
  /** Certificates expiring within this many days are a warning (as `certs check --warn-days`). */
  warnDays: number;
}

export interface AuditTarget {
  inventory: Inventory;
  hosts: Hosts;
}

type Read<T> = { ok: true; value: T } | { ok: false; error: string };
const attempt = <T>(p: Promise<T>): Promise<Read<T>> =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (err: unknown) => ({ ok: false as const, error: ((err as Error).message.split('\n')[0] ?? '').slice(0, 300) }),
  );

/** The API through the first control plane that answers. */
async function readApi(cluster: AuditTarget, pool: HostConnections): Promise<Read<ApiAudit>> {
  let last: Read<ApiAudit> = { ok: false, error: 'no control plane in the inventory' };
  for (const cp of cluster.hosts.controlPlanes) {
    last = await attempt(pool.get(cp).then(readApiAudit));
    if (last.ok) return last;
  }
  return last;
}

function identity(h: Host, facts: HostAudit | undefined): NodeIdentity {
  return {
    node: h.name,
    names: [...new Set([h.name, ...(facts?.hostname ? [facts.hostname] : [])])],
    addresses: [...new Set([h.address, h.internalAddress, ...(facts?.addresses ?? [])])],
  };
}

function hostChecks(cluster: AuditTarget, facts: Map<string, Read<HostAudit>>, api: ApiAudit | undefined, now: Date): CheckOutcome[] {
  const per = (id: string, title: string, rule: (h: Host, f: HostAudit) => Finding[]): CheckOutcome => {
    const findings: Finding[] = [];
    for (const h of cluster.hosts.all) {
      const r = facts.get(h.name)!;
      if (!r.ok) findings.push(...unknownCheck(id, title, h.name, r.error).findings);
      else findings.push(...rule(h, r.value));
    }
    return { id, title, findings };
  };
  const version = cluster.inventory.spec.kubernetes.version;
  return [
    per('host.swap', 'Hosts: swap off', (h, f) => swapOn(h.name, f)),
    per('packages.repos', 'Hosts: no frozen or removed package repositories', (h, f) => deadRepos(h.name, f.repoLines)),
    per('runtime.containerd-eol', 'Hosts: containerd still supported', (h, f) => containerdEol(h.name, f, now)),
    per('runtime.dockershim', 'Hosts: no dockershim-era Docker', (h, f) =>
      dockershim(
        h.name,
        f,
        api?.nodes.find((n) => n.name === h.name),
        version,
      ),
    ),
  ];
}

export async function auditCluster(cluster: AuditTarget, pool: HostConnections, opts: AuditOptions): Promise<Report> {
  const hosts = cluster.hosts.all;
  const [api, facts, certs] = await Promise.all([
    readApi(cluster, pool),
    Promise.all(hosts.map(async (h) => [h.name, await attempt(pool.get(h).then(readHostAudit))] as const)).then((e) => new Map(e)),
    attempt(checkCluster(cluster.inventory, hosts, (h) => pool.get(h), opts)),
  ]);
  const checks: CheckOutcome[] = [];
  if (api.ok) {
    checks.push(
      anonymousAdmin(api.value.bindings),
      noEndpoint(api.value.config, cluster.hosts.controlPlanes.length),
      subnetOverlap(api.value.config),
    );
  } else {
    checks.push(unknownCheck('cluster.api', 'Cluster API: RBAC, kubeadm-config, subnets', undefined, api.error));
  }
  checks.push(...hostChecks(cluster, facts, api.ok ? api.value : undefined, opts.now));
  checks.push(certChecks(cluster, facts, certs));
  return report('audit', checks);
}

/** Node-specific certificates on the right node, and every certificate's expiry and chain (`certs check`). */
function certChecks(
  cluster: AuditTarget,
  facts: Map<string, Read<HostAudit>>,
  certs: Read<Awaited<ReturnType<typeof checkCluster>>>,
): CheckOutcome {
  const id = 'certs';
  const title = 'Certificates: valid, not near expiry, node-specific ones on their own node';
  if (!certs.ok) return unknownCheck(id, title, undefined, certs.error);
  const findings: Finding[] = [];
  const ids = new Map(
    cluster.hosts.all.map((h) => [
      h.name,
      identity(h, facts.get(h.name)?.ok ? (facts.get(h.name) as { value: HostAudit }).value : undefined),
    ]),
  );
  for (const n of certs.value.nodes) {
    if (!n.controlPlane || !n.collected) continue;
    const others = [...ids.values()].filter((i) => i.node !== n.node);
    findings.push(...certSanFindings(ids.get(n.node)!, others, n.collected));
  }
  // certs check's own findings, except its apiserver SAN test (the node-specific check above says more)
  for (const f of certs.value.report.findings.filter((x) => !/lacks SAN/.test(x.message)))
    findings.push({
      check: id,
      severity: f.severity,
      ...(f.node ? { node: f.node } : {}),
      message: f.message,
      evidence: ['kubesmith certs check (the full table)'],
      fix: /expire|not valid|embeds its client certificate/.test(f.message)
        ? '`kubesmith certs renew -i FILE --yes` (rolling, one control plane at a time, backed up first)'
        : 'see `kubesmith certs check -i FILE`; shared CA material that differs is repaired by `kubesmith certs distribute`',
    });
  return { id, title, findings };
}
