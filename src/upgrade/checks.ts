/**
 * Upgrade pre-checks as pure functions: what the survey read (src/upgrade/survey.ts) in, blockers out. A blocker
 * names the node (when it has one) and says what to do; `plan upgrade` lists them all and `upgrade` refuses to start
 * while there is one. Nothing here talks to a host.
 */
import { parseKubeVersion } from '../data/versions.js';
import type { NodeStatus } from '../tasks/common/cluster.js';

export interface Blocker {
  check: string;
  node?: string;
  message: string;
}

/** kube-apiserver's `Server Version: v1.33.8` line of plain `kubectl version` (test/fixtures/real/kubectl/version-1.33.8.txt). */
export function parseServerVersion(text: string): string | undefined {
  const m = /^Server Version:\s*v?(\d+\.\d+\.\d+)/m.exec(text);
  return m?.[1];
}

/** Every inventory host is a node of the cluster and Ready. */
export function nodesReady(hostNames: readonly string[], nodes: readonly NodeStatus[]): Blocker[] {
  const out: Blocker[] = [];
  for (const name of hostNames) {
    const n = nodes.find((x) => x.name === name);
    if (!n)
      out.push({
        check: 'nodes',
        node: name,
        message: `${name} is not a node of the cluster (kubectl get nodes): join it with apply first`,
      });
    else if (!n.ready) out.push({ check: 'nodes', node: name, message: `${name} is not Ready (${n.detail})` });
  }
  return out;
}

/**
 * Version skew (kubernetes.io/releases/version-skew-policy): a kubelet is never newer than kube-apiserver and at most
 * three minors older. Checked now, and for the state `--control-plane-only` leaves behind (workers at their version,
 * the API server at the target).
 */
export function versionSkew(
  server: string,
  target: string,
  nodes: readonly NodeStatus[],
  workers: readonly string[],
  controlPlaneOnly: boolean,
): Blocker[] {
  const api = parseKubeVersion(server);
  const to = parseKubeVersion(target);
  const out: Blocker[] = [];
  for (const n of nodes) {
    if (!n.version) continue;
    const v = parseKubeVersion(n.version);
    if (v.minor > api.minor || (v.minor === api.minor && v.patch > api.patch)) {
      out.push({ check: 'skew', node: n.name, message: `kubelet ${v.text} on ${n.name} is newer than kube-apiserver ${api.text}` });
    } else if (controlPlaneOnly && workers.includes(n.name) && to.minor - v.minor > 3) {
      out.push({
        check: 'skew',
        node: n.name,
        message: `--control-plane-only would leave kubelet ${v.text} on ${n.name} more than three minors behind kube-apiserver ${to.text}`,
      });
    }
  }
  return out;
}

export interface DeprecatedApi {
  group: string;
  version: string;
  resource: string;
  subresource: string;
  removedRelease: string;
}

/**
 * `apiserver_requested_deprecated_apis` series with value 1 from `kubectl get --raw /metrics` (Prometheus text;
 * test/fixtures/real/kubectl/get-raw-metrics-deprecated-apis.txt). The gauge is set when a client requested that API
 * since the API server started.
 */
export function parseDeprecatedApis(metrics: string): DeprecatedApi[] {
  const out: DeprecatedApi[] = [];
  for (const line of metrics.split('\n')) {
    const m = /^apiserver_requested_deprecated_apis\{([^}]*)\}\s+(\S+)/.exec(line.trim());
    if (!m || Number(m[2]) === 0) continue;
    const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]));
    out.push({
      group: labels.group ?? '',
      version: labels.version ?? '',
      resource: labels.resource ?? '',
      subresource: labels.subresource ?? '',
      removedRelease: labels.removed_release ?? '',
    });
  }
  return out;
}

/** Requested APIs that the target (or a step before it) no longer serves. */
export function removedApisInUse(apis: readonly DeprecatedApi[], from: string, target: string): Blocker[] {
  const lo = parseKubeVersion(from).minor;
  const hi = parseKubeVersion(target).minor;
  return apis
    .filter((a) => {
      const removed = /^1\.(\d+)$/.exec(a.removedRelease);
      return removed && Number(removed[1]) > lo && Number(removed[1]) <= hi;
    })
    .map((a) => {
      const gv = a.group ? `${a.group}/${a.version}` : a.version;
      const what = `${gv} ${a.resource}${a.subresource ? `/${a.subresource}` : ''}`;
      return {
        check: 'removed APIs',
        message: `${what} is still requested and is removed in ${a.removedRelease}: move its clients to a served version first`,
      };
    });
}

/** Free space where the new images go, in KiB (`df -Pk` of the runtime's root). */
export const MIN_IMAGE_SPACE_KIB = 2 * 1024 * 1024;

/** `df -Pk PATH` → available KiB (4th column of the second line), or undefined. */
export function parseDfAvailable(text: string): number | undefined {
  const line = text.trim().split('\n')[1];
  const avail = line?.trim().split(/\s+/)[3];
  return avail && /^\d+$/.test(avail) ? Number(avail) : undefined;
}
