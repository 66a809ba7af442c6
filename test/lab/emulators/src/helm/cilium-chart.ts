// The cilium chart, rendered to the few objects the lab's cluster state cares about: the cilium-config ConfigMap
// (the values kubesmith sets), the `cilium` DaemonSet (its images decide node readiness) and the operator Deployment.
import { createHash } from 'node:crypto';
import type { KubeObject } from '../kube/cluster-state.js';

type Values = Record<string, any>;

/** repository:tag[@digest] the way the chart's "cilium.image" helper builds it. */
function image(v: Values | undefined, repository: string, tag: string, suffix = ''): string {
  const repo = `${v?.repository ?? repository}${suffix}`;
  const ref = `${repo}:${v?.tag ?? tag}`;
  const useDigest = v?.useDigest ?? true;
  if (!useDigest) return ref;
  // the real chart pins each image's digest; the lab's stand-in is derived from the reference (runtimes compare names)
  const digest = v?.digest ?? `sha256:${createHash('sha256').update(ref).digest('hex')}`;
  return `${ref}@${digest}`;
}

export function ciliumImages(values: Values, appVersion: string): { agent: string; operator: string } {
  const tag = `v${appVersion}`;
  return {
    agent: image(values.image, 'quay.io/cilium/cilium', tag),
    operator: image(values.operator?.image, 'quay.io/cilium/operator', tag, values.operator?.image?.suffix ?? '-generic'),
  };
}

export function renderCilium(release: string, ns: string, chartVersion: string, appVersion: string, values: Values): KubeObject[] {
  const { agent, operator } = ciliumImages(values, appVersion);
  const meta = (name: string, labels: Record<string, string> = {}) => ({
    name,
    namespace: ns,
    labels: {
      'app.kubernetes.io/managed-by': 'Helm',
      'app.kubernetes.io/part-of': 'cilium',
      'helm.sh/chart': `cilium-${chartVersion}`,
      ...labels,
    },
    annotations: { 'meta.helm.sh/release-name': release, 'meta.helm.sh/release-namespace': ns },
  });
  const kpr = values.kubeProxyReplacement;
  const config: Record<string, string> = {
    ipam: String(values.ipam?.mode ?? 'cluster-pool'),
    'kube-proxy-replacement': kpr === true || kpr === 'true' ? 'true' : 'false',
    'cluster-name': String(values.cluster?.name ?? 'default'),
    // the chart's ipv4.enabled (default true) / ipv6.enabled (default false) become the agent's enable-ipv4/enable-ipv6
    'enable-ipv4': String(values.ipv4?.enabled ?? true),
    'enable-ipv6': String(values.ipv6?.enabled ?? false),
  };
  if (values.k8sServiceHost) config['k8s-service-host'] = String(values.k8sServiceHost);
  if (values.k8sServicePort) config['k8s-service-port'] = String(values.k8sServicePort);
  const agentLabels = { 'k8s-app': 'cilium', 'app.kubernetes.io/name': 'cilium-agent' };
  const operatorLabels = { 'io.cilium/app': 'operator', name: 'cilium-operator', 'app.kubernetes.io/name': 'cilium-operator' };
  return [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('cilium-config'), data: config },
    {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: meta('cilium', agentLabels),
      spec: {
        selector: { matchLabels: { 'k8s-app': 'cilium' } },
        template: {
          metadata: { labels: agentLabels },
          spec: {
            hostNetwork: true,
            priorityClassName: 'system-node-critical',
            serviceAccountName: 'cilium',
            initContainers: [
              { name: 'config', image: agent },
              { name: 'mount-cgroup', image: agent },
              { name: 'install-cni-binaries', image: agent },
            ],
            containers: [{ name: 'cilium-agent', image: agent }],
            tolerations: [{ operator: 'Exists' }],
          },
        },
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta('cilium-operator', operatorLabels),
      spec: {
        replicas: Number(values.operator?.replicas ?? 2),
        selector: { matchLabels: { 'io.cilium/app': 'operator', name: 'cilium-operator' } },
        template: {
          metadata: { labels: operatorLabels },
          spec: {
            hostNetwork: true,
            priorityClassName: 'system-cluster-critical',
            serviceAccountName: 'cilium-operator',
            containers: [{ name: 'cilium-operator', image: operator }],
            tolerations: [{ operator: 'Exists' }],
          },
        },
      },
    },
  ];
}
