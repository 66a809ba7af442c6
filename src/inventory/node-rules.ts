/** Layer 3, nodes: labels, taints and kubelet flags must be what the API server and the kubelet accept. */
import type { PathSegment } from './issues.js';
import type { Rule } from './rules.js';
import { LABEL_VALUE, QUALIFIED_NAME } from './schema.js';

const error = (path: PathSegment[], message: string) => ({ severity: 'error' as const, path, message });

export const nodeLabels: Rule = {
  name: 'node-labels',
  check(spec) {
    return spec.hosts.flatMap((host, i) =>
      Object.entries(host.labels ?? {}).flatMap(([key, value]) => {
        const path = ['spec', 'hosts', i, 'labels', key];
        if (!QUALIFIED_NAME.test(key) || key.split('/').pop()!.length > 63) {
          return [
            error(
              path,
              `label key "${key}" is not a Kubernetes label key: [prefix/]name, name at most 63 letters, digits, . _ - starting and ending alphanumeric`,
            ),
          ];
        }
        if (!LABEL_VALUE.test(value))
          return [
            error(path, `label value "${value}" must be at most 63 letters, digits, . _ - starting and ending alphanumeric (or empty)`),
          ];
        return [];
      }),
    );
  },
};

export const uniqueTaints: Rule = {
  name: 'unique-taints',
  check(spec) {
    return spec.hosts.flatMap((host, i) => {
      const seen = new Set<string>();
      return (host.taints ?? []).flatMap((t, j) => {
        const id = `${t.key}:${t.effect}`;
        if (!seen.has(id)) return seen.add(id) && [];
        return [
          error(['spec', 'hosts', i, 'taints', j], `taint ${id} appears twice on ${host.name}; a node holds one taint per key and effect`),
        ];
      });
    });
  },
};

/** Kubelet flags kubesmith sets itself, or that have a typed field: extraArgs must not fight them. */
const MANAGED_KUBELET_FLAGS: Readonly<Record<string, string>> = {
  'node-ip': "it is the host's internalAddress",
  'node-labels': 'use spec.hosts[].labels',
  'register-with-taints': 'use spec.hosts[].taints',
  'max-pods': 'use spec.kubelet.maxPods',
  'system-reserved': 'use spec.kubelet.systemReserved',
  'kube-reserved': 'use spec.kubelet.kubeReserved',
  'eviction-hard': 'use spec.kubelet.evictionHard',
  'container-runtime-endpoint': 'it follows spec.containerRuntime.type',
  config: 'kubeadm writes /var/lib/kubelet/config.yaml',
  kubeconfig: 'kubeadm writes /etc/kubernetes/kubelet.conf',
  'bootstrap-kubeconfig': 'kubeadm writes /etc/kubernetes/bootstrap-kubelet.conf',
};

export const kubeletExtraArgs: Rule = {
  name: 'kubelet-extra-args',
  check(spec) {
    return Object.keys(spec.kubelet.extraArgs ?? {})
      .filter((flag) => flag in MANAGED_KUBELET_FLAGS)
      .map((flag) =>
        error(['spec', 'kubelet', 'extraArgs', flag], `kubelet flag --${flag} is managed by kubesmith: ${MANAGED_KUBELET_FLAGS[flag]}`),
      );
  },
};

export const NODE_RULES: readonly Rule[] = [nodeLabels, uniqueTaints, kubeletExtraArgs];
