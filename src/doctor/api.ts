/** What `doctor` reads from the API in one kubectl batch on a control plane (shapes: test/fixtures/real/kubectl). */
import { parse } from 'yaml';
import { itemsOf, parseApiNodes, type ApiNode } from '../audit/api.js';
import { kubectl } from '../tasks/common/cluster.js';
import { lookups, run } from '../transport/lookups.js';
import type { Transport } from '../transport/types.js';

export interface ApiPod {
  namespace: string;
  name: string;
  node: string;
  labels: Record<string, string>;
  phase: string;
  ready: boolean;
  /** The first container's waiting reason (CrashLoopBackOff, ImagePullBackOff …), '' when running. */
  waiting: string;
  restarts: number;
  podIP: string;
  hostNetwork: boolean;
}

export interface DoctorApi {
  nodes: ApiNode[];
  pods: ApiPod[];
  /** kube-proxy's configured mode ('' = the default, iptables on Linux); null when there is no kube-proxy ConfigMap. */
  proxyMode: string | null;
}

interface PodJson {
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  spec?: { nodeName?: string; hostNetwork?: boolean };
  status?: {
    phase?: string;
    podIP?: string;
    conditions?: { type?: string; status?: string }[];
    containerStatuses?: { restartCount?: number; state?: { waiting?: { reason?: string } } }[];
  };
}

export function parsePods(json: string): ApiPod[] {
  return itemsOf<PodJson>(json).map((p) => {
    const cs = (p.status?.containerStatuses ?? [])[0];
    return {
      namespace: String(p.metadata?.namespace ?? ''),
      name: String(p.metadata?.name ?? ''),
      node: String(p.spec?.nodeName ?? ''),
      labels: p.metadata?.labels ?? {},
      phase: String(p.status?.phase ?? ''),
      ready: (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
      waiting: String(cs?.state?.waiting?.reason ?? ''),
      restarts: Number(cs?.restartCount ?? 0),
      podIP: String(p.status?.podIP ?? ''),
      hostNetwork: p.spec?.hostNetwork === true,
    };
  });
}

/** kube-proxy's `mode` from its ConfigMap (`-o json`, key config.conf). */
export function parseProxyMode(json: string): string {
  const cm = JSON.parse(json) as { data?: Record<string, string> };
  const conf = (parse(cm.data?.['config.conf'] ?? '') ?? {}) as { mode?: string };
  return String(conf.mode ?? '');
}

export async function readDoctorApi(t: Transport): Promise<DoctorApi> {
  const [nodes, pods, proxy] = await lookups(
    t,
    [
      run(kubectl('get', 'nodes', '-o', 'json')),
      run(kubectl('get', 'pods', '-A', '-o', 'json')),
      run(kubectl('-n', 'kube-system', 'get', 'configmap', 'kube-proxy', '-o', 'json', '--ignore-not-found')),
    ],
    { timeoutMs: 90_000 },
  );
  if (nodes.code !== 0 || pods.code !== 0)
    throw new Error(`kubectl on ${t.host} exited ${nodes.code || pods.code}: the API does not answer`);
  return {
    nodes: parseApiNodes(nodes.stdout),
    pods: parsePods(pods.stdout),
    proxyMode: proxy.code === 0 && proxy.stdout.trim() ? parseProxyMode(proxy.stdout) : null,
  };
}
