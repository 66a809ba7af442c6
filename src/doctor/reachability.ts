/**
 * Pod-to-pod and pod-to-Service reachability across nodes, the seed runbook's busybox check made systematic: a test
 * pod on every node (probe-objects.ts), then from each pod `wget` to every other node's pod IP and to the ClusterIP of
 * the Service in front of it, all through kubectl on a control plane. The namespace is deleted in every case
 * (finally), and one an earlier killed run left behind is deleted first — only when its labels say doctor made it.
 */
import type { CheckOutcome, Finding } from '../checks/report.js';
import { kubectl } from '../tasks/common/cluster.js';
import { sh } from '../transport/command.js';
import { lookups, run } from '../transport/lookups.js';
import type { Transport } from '../transport/types.js';
import { parsePods, type ApiPod } from './api.js';
import { isProbeNamespace, PROBE_MARKER, PROBE_NAMESPACE, PROBE_NODE_LABEL, PROBE_PORT, probeName, probeObjects } from './probe-objects.js';

export interface ProbeOptions {
  image: string;
  /** How long the test pods may take to run (image pull included). */
  startTimeoutMs: number;
  /** busybox wget -T: seconds one probe waits for an answer. */
  probeTimeoutSeconds: number;
}

export interface ProbeTarget {
  node: string;
  pod: string;
  podIP: string;
  serviceIP: string;
}

export interface ProbeResult {
  from: string;
  to: string;
  kind: 'pod' | 'service';
  url: string;
  ok: boolean;
  /** wget's or kubectl's last line when it failed. */
  detail: string;
}

export const POD_CHECK = 'net.pod-to-pod';
export const SERVICE_CHECK = 'net.pod-to-service';
const POD_TITLE = "Pod network: a test pod on each node reaches every other node's test pod";
const SERVICE_TITLE = "Services: a test pod on each node reaches every other node's test Service (ClusterIP)";

/** The probe's own last line (wget's error), else kubectl's ("command terminated with exit code 1", an API error). */
function lastLine(text: string): string {
  const lines = text.trim().split('\n').filter(Boolean);
  return lines.filter((l) => !/^command terminated with exit code \d+$/.test(l)).at(-1) ?? lines.at(-1) ?? '';
}

/** Delete doctor's namespace (waiting until it is gone); refuse one doctor did not make. */
export async function removeProbeNamespace(t: Transport): Promise<void> {
  const got = await t.exec(kubectl('get', 'namespace', PROBE_NAMESPACE, '-o', 'json', '--ignore-not-found'), { timeoutMs: 60_000 });
  if (!got.stdout.trim()) return;
  const labels = (JSON.parse(got.stdout) as { metadata?: { labels?: Record<string, string> } }).metadata?.labels;
  if (!isProbeNamespace(labels))
    throw new Error(`namespace ${PROBE_NAMESPACE} exists but was not made by kubesmith doctor (its labels differ): left alone`);
  await t.exec(kubectl('delete', 'namespace', PROBE_NAMESPACE, '--wait=true', '--timeout=120s', '--ignore-not-found'), {
    timeoutMs: 150_000,
  });
}

interface ServiceJson {
  metadata?: { name?: string };
  spec?: { clusterIP?: string };
}

/** Poll until every test pod runs with an IP and every Service has its ClusterIP; throw naming what is not there. */
async function waitForProbes(t: Transport, nodes: readonly string[], o: ProbeOptions): Promise<ProbeTarget[]> {
  const deadline = Date.now() + o.startTimeoutMs;
  for (;;) {
    const [pods, svcs] = await lookups(
      t,
      [
        run(kubectl('-n', PROBE_NAMESPACE, 'get', 'pods', '-o', 'json')),
        run(kubectl('-n', PROBE_NAMESPACE, 'get', 'services', '-o', 'json')),
      ],
      { timeoutMs: 60_000 },
    );
    const podList = pods.code === 0 ? parsePods(pods.stdout) : [];
    const ips = new Map(
      (svcs.code === 0 ? ((JSON.parse(svcs.stdout) as { items?: ServiceJson[] }).items ?? []) : []).map((s) => [
        s.metadata?.name ?? '',
        s.spec?.clusterIP ?? '',
      ]),
    );
    const targets = nodes.map((node, i) => {
      const p = podList.find((x) => x.name === probeName(i));
      return { node, pod: probeName(i), podIP: p?.podIP ?? '', serviceIP: ips.get(probeName(i)) ?? '', state: p };
    });
    const waiting = targets.filter((x) => !(x.state?.phase === 'Running' && x.state.ready && x.podIP && x.serviceIP));
    if (!waiting.length) return targets.map(({ state: _s, ...x }) => x);
    if (Date.now() >= deadline)
      throw new Error(`test pods not running after ${o.startTimeoutMs / 1000}s: ${waiting.map(describe).join('; ')}`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

const describe = (x: { node: string; state?: ApiPod | undefined }) =>
  `${x.node}: ${x.state ? `${x.state.phase}${x.state.waiting ? ` (${x.state.waiting})` : ''}` : 'no pod'}`;

/** Every ordered pair of distinct nodes, pod IP and Service IP, in one round trip to the control plane. */
async function probeAll(t: Transport, targets: ProbeTarget[], o: ProbeOptions): Promise<ProbeResult[]> {
  const plan = targets.flatMap((from) =>
    targets
      .filter((to) => to.node !== from.node)
      .flatMap((to) => [
        { from: from.node, pod: from.pod, to: to.node, kind: 'pod' as const, url: `http://${to.podIP}:${PROBE_PORT}/` },
        { from: from.node, pod: from.pod, to: to.node, kind: 'service' as const, url: `http://${to.serviceIP}:80/` },
      ]),
  );
  const wget = (pod: string, url: string) =>
    sh`${kubectl('-n', PROBE_NAMESPACE, 'exec', pod, '--', 'wget', '-q', '-T', String(o.probeTimeoutSeconds), '-O', '-', url)} 2>&1`;
  const results = await lookups(
    t,
    plan.map((p) => run(wget(p.pod, p.url))),
    { timeoutMs: 60_000 + plan.length * (o.probeTimeoutSeconds + 5) * 1000 },
  );
  return plan.map((p, i) => {
    const r = results[i]!;
    const ok = r.code === 0 && r.stdout.includes(PROBE_MARKER);
    return { from: p.from, to: p.to, kind: p.kind, url: p.url, ok, detail: ok ? '' : lastLine(r.stdout) || `exit ${r.code}` };
  });
}

/** Create, probe, always clean up. Returns the probe results, or throws why the probes could not run. */
export async function runProbes(t: Transport, nodes: readonly string[], o: ProbeOptions): Promise<ProbeResult[]> {
  await removeProbeNamespace(t);
  try {
    await t.exec(kubectl('apply', '-f', '-'), { stdin: JSON.stringify(probeObjects(nodes, o.image)), timeoutMs: 60_000 });
    return await probeAll(t, await waitForProbes(t, nodes, o), o);
  } finally {
    await removeProbeNamespace(t);
  }
}

const FIX_POD =
  "the overlay between the two nodes: see the flannel checks above (a node's public-ip on the wrong interface); on each node `ip route get` the other's pod subnet must go via flannel.1, the nodes' addresses must reach each other (UDP 8472 for vxlan), no blackhole or firewall drop between them";
const FIX_SERVICE =
  'kube-proxy on the sending node (its pod logs; iptables-save | grep KUBE-SVC), br_netfilter and bridge-nf-call-iptables (host.sysctl above); the pod-to-pod check above shows whether the pod behind the Service is reachable at all';

/** The two checks from the probe results: one finding per node pair (from → to) that failed. */
export function reachabilityOutcomes(results: readonly ProbeResult[]): CheckOutcome[] {
  return (['pod', 'service'] as const).map((kind) => {
    const id = kind === 'pod' ? POD_CHECK : SERVICE_CHECK;
    const mine = results.filter((r) => r.kind === kind);
    const findings: Finding[] = mine
      .filter((r) => !r.ok)
      .map((r) => ({
        check: id,
        severity: 'critical',
        node: r.from,
        message:
          kind === 'pod'
            ? `the test pod on ${r.from} cannot reach the test pod on ${r.to} (${r.url})`
            : `the test pod on ${r.from} cannot reach ${r.to}'s test pod through its Service (${r.url})`,
        evidence: [`kubectl exec … wget ${r.url}: ${r.detail}`],
        fix: kind === 'pod' ? FIX_POD : FIX_SERVICE,
      }));
    return {
      id,
      title: kind === 'pod' ? POD_TITLE : SERVICE_TITLE,
      info: `${mine.length - findings.length}/${mine.length} node pairs`,
      findings,
    };
  });
}

/** Both checks as skipped, or as UNKNOWN with the reason the probes could not run. */
export function reachabilityNotRun(how: { skipped: string } | { unknown: string }): CheckOutcome[] {
  return [
    [POD_CHECK, POD_TITLE],
    [SERVICE_CHECK, SERVICE_TITLE],
  ].map(([id, title]) =>
    'skipped' in how
      ? { id: id!, title: title!, skipped: how.skipped, findings: [] }
      : {
          id: id!,
          title: title!,
          findings: [
            {
              check: id!,
              severity: 'unknown' as const,
              message: `could not check: ${how.unknown}`,
              evidence: [],
              fix: `the test pods need their image on every node (--probe-image to pin another; offline: list it in spec.offline.extraImages); labels ${PROBE_NODE_LABEL} name each pod's node`,
            },
          ],
        },
  );
}
