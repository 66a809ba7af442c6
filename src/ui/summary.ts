/**
 * The summary printed at the end of `apply` (runbook step 8): the nodes as the API sees them (roles, kubelet
 * version, Ready), the versions the cluster runs, where the admin kubeconfig is on this machine, time per phase.
 * Text for people; with --output json, one `summary` event line.
 */
import type { Inventory } from '../inventory/schema.js';
import type { Recap } from '../engine/types.js';
import { criDockerdRelease } from '../data/runtime-repos.js';
import { duration, painter } from './output.js';
import { derived } from '../inventory/derived.js';

export interface SummaryNode {
  name: string;
  /** node-role.kubernetes.io/* labels: ["control-plane"], or [] for a worker. */
  roles: string[];
  kubeletVersion: string;
  ready: boolean;
}

export interface Summary {
  type: 'summary';
  cluster: string;
  /** null when the API could not be read (the run failed before init, or the API is down). */
  nodes: SummaryNode[] | null;
  versions: { kubernetes: string; runtime: string; cni: string };
  kubeconfig: string;
  phases: Recap['phases'];
}

interface NodeJson {
  metadata: { name: string; labels?: Record<string, string> };
  status?: { conditions?: { type: string; status: string }[]; nodeInfo?: { kubeletVersion?: string; containerRuntimeVersion?: string } };
}

const ROLE_LABEL = 'node-role.kubernetes.io/';

/** `kubectl get nodes -o json` → nodes, and the runtime the first one reports ("docker://27.3.1"). */
export function parseNodeList(json: string): { nodes: SummaryNode[]; runtimeVersion?: string } {
  const items = (JSON.parse(json) as { items?: NodeJson[] }).items ?? [];
  const nodes = items
    .map((n) => ({
      name: n.metadata.name,
      roles: Object.keys(n.metadata.labels ?? {})
        .filter((l) => l.startsWith(ROLE_LABEL))
        .map((l) => l.slice(ROLE_LABEL.length))
        .sort(),
      kubeletVersion: n.status?.nodeInfo?.kubeletVersion ?? '',
      ready: n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True',
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
  const runtimeVersion = items[0]?.status?.nodeInfo?.containerRuntimeVersion;
  return runtimeVersion ? { nodes, runtimeVersion } : { nodes };
}

/** "docker://27.3.1" → "docker 27.3.1 + cri-dockerd 0.3.24"; without the API, the configured runtime's name. */
function runtimeText(inv: Inventory, reported?: string): string {
  const type = inv.spec.containerRuntime.type;
  const base = reported ? reported.replace('://', ' ') : type;
  return type === 'docker' ? `${base} + cri-dockerd ${criDockerdRelease.version}` : base;
}

function cniText(inv: Inventory): string {
  const net = inv.spec.network;
  if (net.plugin === 'flannel') return `flannel ${net.flannel.version} (${net.flannel.backend})`;
  if (net.plugin === 'cilium') return `cilium ${net.cilium.version}`;
  return 'none';
}

export function buildSummary(inv: Inventory, input: { nodesJson?: string; kubeconfig: string; recap: Recap }): Summary {
  let parsed: ReturnType<typeof parseNodeList> | undefined;
  try {
    parsed = input.nodesJson ? parseNodeList(input.nodesJson) : undefined;
  } catch {
    parsed = undefined;
  }
  return {
    type: 'summary',
    cluster: inv.metadata.name,
    nodes: parsed?.nodes ?? null,
    versions: { kubernetes: derived(inv).kubernetes.version.text, runtime: runtimeText(inv, parsed?.runtimeVersion), cni: cniText(inv) },
    kubeconfig: input.kubeconfig,
    phases: input.recap.phases,
  };
}

export function formatSummary(s: Summary, opts: { color: boolean }): string {
  const paint = painter(opts.color);
  const lines = [paint('bold', `CLUSTER ${s.cluster}`)];
  if (s.nodes) {
    const rows = s.nodes.map((n) => [
      n.name,
      n.roles.length ? n.roles.join(',') : 'worker',
      n.ready ? 'Ready' : 'NotReady',
      n.kubeletVersion,
    ]);
    const widths = [0, 1, 2].map((i) => Math.max(...[['NAME', 'ROLES', 'STATUS'][i]!, ...rows.map((r) => r[i]!)].map((c) => c.length)));
    const row = (r: string[]) =>
      `  ${r
        .slice(0, 3)
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')}  ${r[3]}`.trimEnd();
    lines.push(paint('dim', row(['NAME', 'ROLES', 'STATUS', 'VERSION'])));
    for (const r of rows) lines.push(r[2] === 'Ready' ? row(r) : paint('red', row(r)));
  } else {
    lines.push(paint('yellow', '  nodes: the cluster API could not be read'));
  }
  lines.push(`  kubernetes ${s.versions.kubernetes} · runtime ${s.versions.runtime} · CNI ${s.versions.cni}`);
  lines.push(`  kubeconfig: ${s.kubeconfig}`);
  if (s.phases.length) lines.push(`  time: ${s.phases.map((p) => `${p.phase} ${duration(p.durationMs)}`).join(' · ')}`);
  return lines.join('\n') + '\n';
}
