/**
 * The upgrade survey: everything `plan upgrade` shows and `upgrade` checks before anything changes, read over the
 * command's connections and writing nothing. The running version is the lowest of kube-apiserver's and every node's
 * kubelet (so a half-done upgrade resumes from where its slowest node stands); the route comes from the package
 * repositories of the cluster's distribution families (each read on one of its nodes; a release counts when all offer
 * it); the pre-checks are src/upgrade/checks.ts.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Inventory } from '../inventory/schema.js';
import type { Host, Hosts } from '../model/host.js';
import type { Transport } from '../transport/types.js';
import { derived } from '../inventory/derived.js';
import { parseKubeVersion } from '../data/versions.js';
import { detectDistro } from '../distro/index.js';
import { parseFacts } from '../tasks/facts/parse.js';
import { FACTS_SCRIPT } from '../tasks/facts/script.js';
import { kubectl, parseNodes, type NodeStatus } from '../tasks/common/cluster.js';
import { checkCluster } from '../tasks/certs/read.js';
import { healthyEtcdVia, memberRows } from '../tasks/etcd/members.js';
import {
  MIN_IMAGE_SPACE_KIB,
  nodesReady,
  parseDeprecatedApis,
  parseDfAvailable,
  parseServerVersion,
  removedApisInUse,
  versionSkew,
  type Blocker,
} from './checks.js';
import { minorRepository, offeredEverywhere, offeredVersions, type OfferedSource } from './offered.js';
import { parseRecord, recordPath, unfinished } from '../tasks/upgrade/record.js';
import { planRoute, type Route } from './route.js';
import { cniBlockers, readCniVersions, type CniVersions } from './cni.js';

export interface SurveyOptions {
  controlPlaneOnly: boolean;
  now: Date;
}

export interface Survey {
  target: string;
  /** kube-apiserver's version, when the API answered. */
  server?: string;
  nodes: NodeStatus[];
  route: Route;
  blockers: Blocker[];
  /** Checks that passed, in words ("3 nodes Ready"). */
  passed: string[];
  /**
   * Nodes whose upgrade to the running version began and did not finish (killed after every kubelet reached it, e.g.
   * before the last uncordon): `upgrade` first finishes that version's steps on them.
   */
  unfinished: string[];
  /** The CNI the inventory asks for and the version the cluster runs (flannel, cilium). */
  cni?: CniVersions;
}

/** The versions the upgrade runs, in order: the unfinished running version first (see Survey.unfinished), then the route. */
export function upgradeSteps(s: Survey): string[] {
  if (!s.route.ok) return [];
  return [...(s.unfinished.length ? [s.route.from] : []), ...s.route.steps];
}

type Connect = (h: Host) => Promise<Transport>;

async function gatherFacts(hosts: Hosts, connect: Connect): Promise<Blocker[]> {
  const out: Blocker[] = [];
  await Promise.all(
    hosts.all.map(async (h) => {
      try {
        const r = await (await connect(h)).exec(FACTS_SCRIPT, { allowFailure: true, timeoutMs: 60_000 });
        h.facts = parseFacts(r.stdout);
        h.distro = detectDistro(h.facts.os);
      } catch (err) {
        out.push({ check: 'reach', node: h.name, message: `${h.name}: ${(err as Error).message}` });
      }
    }),
  );
  return out;
}

/** kube-apiserver's version and the nodes, read with kubectl on the first control plane. */
async function readCluster(t: Transport): Promise<{ server?: string; nodes: NodeStatus[]; error?: string }> {
  const v = await t.exec(kubectl('version'), { allowFailure: true, timeoutMs: 60_000 });
  const server = v.code === 0 ? parseServerVersion(v.stdout) : undefined;
  if (!server) return { nodes: [], error: `kubectl version: ${v.stderr.trim().split('\n').pop() || 'no Server Version'}` };
  const n = await t.exec(kubectl('get', 'nodes', '-o', 'json'), { allowFailure: true, timeoutMs: 60_000 });
  if (n.code !== 0) return { server, nodes: [], error: `kubectl get nodes: ${n.stderr.trim().split('\n').pop()}` };
  return { server, nodes: parseNodes(n.stdout) };
}

/** The lowest version running: kube-apiserver and every inventory host's kubelet. */
export function runningVersion(server: string, nodes: readonly NodeStatus[], hostNames: readonly string[]): string {
  const versions = [server, ...nodes.filter((n) => hostNames.includes(n.name) && n.version).map((n) => n.version)].map(parseKubeVersion);
  versions.sort((a, b) => a.minor - b.minor || a.patch - b.patch);
  return versions[0]!.text;
}

function sourceOf(inventory: Inventory, host: Host): OfferedSource {
  const f = host.requireFacts();
  return { base: inventory.spec.kubernetes.packageRepository, family: f.os.family === 'rhel' ? 'rhel' : 'debian', arch: f.arch };
}

/** One package source per distribution family and architecture in the cluster, each with its first node (first control plane's first). */
function sourcesOf(inventory: Inventory, hosts: Hosts): { source: OfferedSource; host: Host }[] {
  const bySource = new Map<string, { source: OfferedSource; host: Host }>();
  for (const h of [hosts.firstControlPlane, ...hosts.all].filter((x) => x.facts)) {
    const source = sourceOf(inventory, h);
    const key = `${source.family}/${source.arch}`;
    if (!bySource.has(key)) bySource.set(key, { source, host: h });
  }
  return [...bySource.values()];
}

/** Hosts whose record of the upgrade to `version` lists completed steps but not the last one (read-only). */
async function unfinishedNodes(hosts: Hosts, connect: Connect, version: string): Promise<string[]> {
  const found = await Promise.all(
    hosts.all
      .filter((h) => h.facts)
      .map(async (h) => {
        const text = await (await connect(h)).readFile(recordPath(version));
        return unfinished(parseRecord(text === null ? null : text.toString('utf8'), version)) ? [h.name] : [];
      }),
  );
  return found.flat();
}

async function etcdOnce(inventory: Inventory, hosts: Hosts, connect: Connect): Promise<Blocker[]> {
  const via = await healthyEtcdVia(inventory, hosts, connect);
  if (!via)
    return [
      { check: 'etcd', message: `no control plane has a healthy etcd member (${hosts.controlPlanes.map((h) => h.name).join(', ')})` },
    ];
  const rows = await memberRows(via.e);
  const out: Blocker[] = rows
    .filter((r) => !r.healthy)
    .map((r) => ({ check: 'etcd', node: r.name, message: `etcd member ${r.name || r.id} is unhealthy${r.error ? `: ${r.error}` : ''}` }));
  if (!rows.some((r) => r.leader)) out.push({ check: 'etcd', message: 'etcd has no leader' });
  const missing = hosts.controlPlanes.filter((cp) => !rows.some((r) => r.name === cp.name));
  for (const cp of missing) out.push({ check: 'etcd', node: cp.name, message: `${cp.name} has no etcd member (etcd member list)` });
  return out;
}

/**
 * How long the survey waits for the API server and the etcd members to settle: a run killed during `kubeadm upgrade
 * apply|node` leaves their static pods restarting for a few seconds, and the re-run must not take that for a blocker.
 */
export const SETTLE_MS = 45_000;

async function etcdChecks(inventory: Inventory, hosts: Hosts, connect: Connect): Promise<Blocker[]> {
  const deadline = Date.now() + SETTLE_MS;
  let found = await etcdOnce(inventory, hosts, connect);
  while (found.length && Date.now() < deadline) {
    await sleep(3000);
    found = await etcdOnce(inventory, hosts, connect);
  }
  return found;
}

async function certChecks(inventory: Inventory, hosts: Hosts, connect: Connect, now: Date): Promise<Blocker[]> {
  const { report } = await checkCluster(inventory, hosts.controlPlanes, connect, { now, warnDays: 0 });
  return report.rows
    .filter((r) => r.daysLeft !== null && r.daysLeft < 0)
    .map((r) => ({
      check: 'certificates',
      node: r.node,
      message: `${r.cert} on ${r.node} expired ${r.expires}: run \`kubesmith certs renew\` first`,
    }));
}

async function diskChecks(hosts: Hosts, connect: Connect): Promise<Blocker[]> {
  const out: Blocker[] = [];
  for (const h of hosts.all.filter((x) => x.facts)) {
    const r = await (await connect(h)).exec(['df', '-Pk', '/var/lib'], { allowFailure: true });
    const avail = parseDfAvailable(r.stdout);
    if (avail === undefined)
      out.push({ check: 'disk', node: h.name, message: `${h.name}: cannot read the free space of /var/lib (df -Pk)` });
    else if (avail < MIN_IMAGE_SPACE_KIB)
      out.push({
        check: 'disk',
        node: h.name,
        message: `${h.name}: ${Math.floor(avail / 1024)} MiB free under /var/lib, the new images need 2048 MiB`,
      });
  }
  return out;
}

async function metricsChecks(t: Transport, from: string, target: string): Promise<Blocker[]> {
  const r = await t.exec(kubectl('get', '--raw', '/metrics'), { allowFailure: true, timeoutMs: 60_000 });
  if (r.code !== 0)
    return [{ check: 'removed APIs', message: `cannot read the API server's /metrics: ${r.stderr.trim().split('\n').pop()}` }];
  return removedApisInUse(parseDeprecatedApis(r.stdout), from, target);
}

/**
 * Pods a drain could not evict, per node: `kubectl drain --dry-run=server` (the API server evaluates each eviction,
 * PodDisruptionBudgets included, without doing it) with a short timeout; a budget with no disruption left shows as a
 * timeout, a pod without a controller as kubectl's refusal. The upgrade's own drains wait --drain-timeout.
 */
async function drainChecks(t: Transport, hosts: Hosts): Promise<Blocker[]> {
  const out: Blocker[] = [];
  for (const h of hosts.all) {
    const argv = kubectl('drain', h.name, '--ignore-daemonsets', '--delete-emptydir-data', '--dry-run=server', '--timeout=20s');
    const r = await t.exec(argv, { allowFailure: true, timeoutMs: 120_000 });
    if (r.code !== 0) {
      const why = r.stderr.trim().split('\n').slice(-2).join(' ');
      out.push({ check: 'drain', node: h.name, message: `${h.name}: a drain would not finish (kubectl drain --dry-run=server): ${why}` });
    }
  }
  return out;
}

/** Route and pre-checks, read-only. */
export async function survey(inventory: Inventory, hosts: Hosts, connect: Connect, opts: SurveyOptions): Promise<Survey> {
  const target = derived(inventory).kubernetes.version.text;
  const names = hosts.all.map((h) => h.name);
  const blockers = await gatherFacts(hosts, connect);
  const first = hosts.firstControlPlane;
  const unreachable = (message: string): Survey => ({
    target,
    nodes: [],
    route: { ok: false, from: '?', to: target, reason: message },
    blockers,
    passed: [],
    unfinished: [],
  });
  if (!first.facts) return unreachable(`${first.name} cannot be reached: the running version is unknown`);
  const t = await connect(first);
  let state = await readCluster(t);
  // the API server restarts after a kill during `kubeadm upgrade apply|node`: give it the time etcd gets
  const settled = Date.now() + SETTLE_MS;
  while (!state.server && Date.now() < settled) {
    await sleep(3000);
    state = await readCluster(t);
  }
  if (!state.server) return unreachable(`the API cannot be read on ${first.name} (${state.error})`);
  const from = runningVersion(state.server, state.nodes, names);
  const major = parseKubeVersion(from).major;
  const fromMinor = parseKubeVersion(from).minor;
  const toMinor = Math.max(parseKubeVersion(target).minor, fromMinor);
  // each distribution family's (and architecture's) repository, read on one of its nodes: the route is what all offer
  const sources = sourcesOf(inventory, hosts);
  const offered = offeredEverywhere(
    await Promise.all(sources.map(async (s) => offeredVersions(await connect(s.host), s.source, major, fromMinor, toMinor))),
  );
  const where = (m: number) => sources.map((s) => minorRepository(s.source, major, m)).join(' and ');
  const route = planRoute(from, target, offered, where);
  const base: Survey = { target, server: state.server, nodes: state.nodes, route, blockers, passed: [], unfinished: [] };
  if (route.ok) base.unfinished = await unfinishedNodes(hosts, connect, from);
  if (!route.ok || route.steps.length === 0) return base;

  const add = (found: Blocker[], passed: string) => (found.length ? blockers.push(...found) : base.passed.push(passed));
  add(nodesReady(names, state.nodes), `${names.length} node(s) Ready`);
  const workers = hosts.workers.filter((w) => !w.isControlPlane).map((w) => w.name);
  add(versionSkew(state.server, target, state.nodes, workers, opts.controlPlaneOnly), 'version skew within policy');
  add(await etcdChecks(inventory, hosts, connect), `etcd: ${hosts.controlPlanes.length} member(s) healthy, one leader`);
  add(await certChecks(inventory, hosts, connect, opts.now), 'no certificate expired');
  add(await diskChecks(hosts, connect), 'at least 2048 MiB free under /var/lib on every node');
  add(await drainChecks(t, hosts), 'every node can be drained (server-side dry run)');
  add(await metricsChecks(t, from, target), `no requested API is removed by ${target}`);
  const cni = await readCniVersions(t, inventory);
  if (cni) {
    base.cni = cni;
    add(cniBlockers(cni), `${cni.plugin} ${cni.wanted} is not older than the running ${cni.running ?? '(unknown)'}`);
  }
  add([], `kubeadm, kubelet, kubectl ${route.steps.join(', ')} offered by ${where(toMinor).replace(/\/v\d+\.\d+\//g, '/v…/')}`);
  return base;
}
