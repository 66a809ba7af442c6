// Deprecated API versions the lab's API server knows (kubernetes.io/docs/reference/using-api/deprecation-guide/):
// a request to one still served gets the deprecation warning and sets apiserver_requested_deprecated_apis (the
// gauge `kubectl get --raw /metrics` shows, format as test/fixtures/real/kubectl/get-raw-metrics-deprecated.txt);
// one no longer served is not found. The gauge lives as long as the API server: `kubeadm upgrade` resets it.
import type { Cluster } from './cluster-state.js';
import { minorOf } from './kube-versions.js';

interface Deprecation {
  group: string;
  version: string;
  kind: string;
  resource: string;
  deprecated: number; // minor that deprecated it
  removed: number; // minor that no longer serves it
  replacement: string;
}

/** The resource name of a kind (CSIStorageCapacity → csistoragecapacities, VolumeAttributesClass → volumeattributesclasses). */
const plural = (kind: string): string => {
  const k = kind.toLowerCase();
  return k.endsWith('y') ? `${k.slice(0, -1)}ies` : k.endsWith('s') ? `${k}es` : `${k}s`;
};

const D = (group: string, version: string, kind: string, deprecated: number, removed: number, replacement: string): Deprecation => ({
  group,
  version,
  kind,
  resource: plural(kind),
  deprecated,
  removed,
  replacement,
});

const TABLE: Deprecation[] = [
  D('policy', 'v1beta1', 'PodDisruptionBudget', 21, 25, 'v1'),
  D('batch', 'v1beta1', 'CronJob', 21, 25, 'v1'),
  D('autoscaling', 'v2beta2', 'HorizontalPodAutoscaler', 23, 26, 'v2'),
  D('storage.k8s.io', 'v1beta1', 'CSIStorageCapacity', 24, 27, 'v1'),
  D('flowcontrol.apiserver.k8s.io', 'v1beta2', 'FlowSchema', 26, 29, 'v1'),
  D('flowcontrol.apiserver.k8s.io', 'v1beta2', 'PriorityLevelConfiguration', 26, 29, 'v1'),
  D('flowcontrol.apiserver.k8s.io', 'v1beta3', 'FlowSchema', 29, 32, 'v1'),
  D('flowcontrol.apiserver.k8s.io', 'v1beta3', 'PriorityLevelConfiguration', 29, 32, 'v1'),
  D('storage.k8s.io', 'v1beta1', 'VolumeAttributesClass', 34, 37, 'v1'),
];

export type DeprecationAnswer = { removed: string } | { warning: string; labels: Record<string, string> } | undefined;

/** What the API server of `serverVersion` answers to a request for kind in apiVersion. */
export function deprecationOf(apiVersion: string, kind: string, serverVersion: string): DeprecationAnswer {
  const [group = '', version = ''] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const d = TABLE.find((x) => x.group === group && x.version === version && x.kind === kind);
  const minor = minorOf(serverVersion);
  if (!d || minor < d.deprecated) return undefined;
  if (minor >= d.removed) return { removed: `no matches for kind "${kind}" in version "${apiVersion}"` };
  return {
    warning: `${apiVersion} ${kind} is deprecated in v1.${d.deprecated}+, unavailable in v1.${d.removed}+; use ${group}/${d.replacement} ${kind}`,
    labels: { group, removed_release: `1.${d.removed}`, resource: d.resource, subresource: '', version },
  };
}

/** Record a request to a deprecated API (the gauge is set to 1 per group/version/resource/subresource). */
export function recordDeprecated(c: Cluster, labels: Record<string, string>): void {
  c.deprecatedRequested ??= {};
  c.deprecatedRequested[`${labels.group}/${labels.version}/${labels.resource}`] = labels;
}

/** The API server's /metrics, reduced to what the lab tracks. */
export function metricsText(c: Cluster): string {
  const lines: string[] = [];
  const series = Object.values(c.deprecatedRequested ?? {});
  if (series.length) {
    lines.push(
      '# HELP apiserver_requested_deprecated_apis [STABLE] Gauge of deprecated APIs that have been requested, broken out by API group, version, resource, subresource, and removed_release.',
      '# TYPE apiserver_requested_deprecated_apis gauge',
    );
    for (const l of series.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))))
      lines.push(
        `apiserver_requested_deprecated_apis{group="${l.group}",removed_release="${l.removed_release}",resource="${l.resource}",subresource="${l.subresource}",version="${l.version}"} 1`,
      );
  }
  lines.push(
    '# HELP apiserver_storage_objects [STABLE] Number of stored objects at the time of last check split by kind. In case of a fetching error, the value will be -1.',
    '# TYPE apiserver_storage_objects gauge',
  );
  const kinds = new Map<string, number>();
  for (const o of Object.values(c.objects)) kinds.set(String(o.kind), (kinds.get(String(o.kind)) ?? 0) + 1);
  for (const [kind, n] of [...kinds].sort()) lines.push(`apiserver_storage_objects{resource="${kind.toLowerCase()}s"} ${n}`);
  lines.push(
    '# HELP process_start_time_seconds [ALPHA] Start time of the process since unix epoch in seconds.',
    '# TYPE process_start_time_seconds gauge',
    `process_start_time_seconds ${(c.created / 1000).toExponential(9).replace(/e\+?/, 'e+')}`,
  );
  return `${lines.join('\n')}\n`;
}
