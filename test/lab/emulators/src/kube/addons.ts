// API objects kubeadm creates at init: CoreDNS, kube-proxy and the configuration ConfigMaps.
import YAML from './yaml-lazy.js';
import type { KubeObject } from './cluster-state.js';

/**
 * The component configurations kubeadm uploads (cmd/kubeadm/app/componentconfigs): the kubelet's as written for the
 * cluster (kubelet-config, key "kubelet"), kube-proxy's defaulted from ClusterConfiguration and the init config's
 * KubeProxyConfiguration document (kube-proxy, key "config.conf"; mode "" means iptables).
 */
export interface ComponentConfigs {
  kubelet?: string | undefined;
  proxy?: Record<string, unknown> | undefined;
  /** The API address the cluster's clients use (controlPlaneEndpoint, else the first control plane) and the CA. */
  api?: { server: string; caCert: string } | undefined;
}

/**
 * kube-proxy's in-cluster kubeconfig (kubeadm's proxy addon, cmd/kubeadm/app/phases/addons/proxy/manifests.go): the
 * API address, the service account's CA and token. Key "kubeconfig.conf" of the kube-proxy ConfigMap.
 */
export function proxyKubeconfig(server: string): string {
  return `apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt
    server: ${server}
  name: default
contexts:
- context:
    cluster: default
    namespace: default
    user: default
  name: default
current-context: default
users:
- name: default
  user:
    tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token
`;
}

/** The kubeconfig of the kube-public/cluster-info ConfigMap (kubeadm's bootstrap-token phase): server and CA only. */
export function clusterInfoKubeconfig(server: string, caCert: string): string {
  return `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: ${Buffer.from(caCert).toString('base64')}
    server: ${server}
  name: ""
contexts: null
current-context: ""
kind: Config
preferences: {}
users: null
`;
}

function proxyConfig(cc: Record<string, any>, proxy: Record<string, unknown> = {}): string {
  const cfg = {
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    bindAddress: '0.0.0.0',
    clientConnection: { kubeconfig: '/var/lib/kube-proxy/kubeconfig.conf' },
    clusterCIDR: cc.networking?.podSubnet ?? '',
    mode: '',
    ...proxy,
    kind: 'KubeProxyConfiguration',
  };
  // kubeadm marshals with sorted keys
  return YAML.stringify(Object.fromEntries(Object.entries(cfg).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}

export function addonObjects(
  cc: Record<string, any>,
  images: Record<string, string>,
  skip: string[],
  components: ComponentConfigs = {},
): KubeObject[] {
  const { apiVersion: _a, kind: _k, ...ccBody } = cc;
  const stored = { apiVersion: 'kubeadm.k8s.io/v1beta4', kind: 'ClusterConfiguration', ...ccBody };
  const objs: KubeObject[] = [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'kubeadm-config', namespace: 'kube-system' },
      data: { ClusterConfiguration: YAML.stringify(stored) },
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'kubelet-config', namespace: 'kube-system' },
      data: { kubelet: components.kubelet ?? 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n' },
    },
  ];
  if (components.api && !skip.includes('bootstrap-token'))
    objs.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cluster-info', namespace: 'kube-public' },
      data: { kubeconfig: clusterInfoKubeconfig(components.api.server, components.api.caCert) },
    });
  const skipAll = skip.includes('addon') || skip.includes('addon/all');
  if (!skipAll && !skip.includes('addon/coredns') && !cc.dns?.disabled) {
    objs.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'coredns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { 'k8s-app': 'kube-dns' } },
        template: {
          metadata: { labels: { 'k8s-app': 'kube-dns' } },
          spec: {
            containers: [{ name: 'coredns', image: images.coredns }],
            priorityClassName: 'system-cluster-critical',
            tolerations: [
              { key: 'CriticalAddonsOnly', operator: 'Exists' },
              { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' },
            ],
          },
        },
      },
    });
  }
  if (!skipAll && !skip.includes('addon/kube-proxy') && !cc.proxy?.disabled) {
    objs.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'kube-proxy', namespace: 'kube-system' },
      data: {
        'config.conf': proxyConfig(cc, components.proxy),
        ...(components.api ? { 'kubeconfig.conf': proxyKubeconfig(components.api.server) } : {}),
      },
    });
    objs.push({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'kube-proxy', namespace: 'kube-system', labels: { 'k8s-app': 'kube-proxy' } },
      spec: {
        selector: { matchLabels: { 'k8s-app': 'kube-proxy' } },
        template: {
          metadata: { labels: { 'k8s-app': 'kube-proxy' } },
          spec: {
            containers: [{ name: 'kube-proxy', image: images['kube-proxy'] }],
            hostNetwork: true,
            priorityClassName: 'system-node-critical',
          },
        },
      },
    });
  }
  return objs;
}
