/**
 * Kubelet facts kubesmith relies on (STYLE: data beats branches).
 */

/**
 * Labels the kubelet may set on its own Node with --node-labels. Any other key in the kubernetes.io / k8s.io
 * namespaces makes the kubelet exit ("unknown 'kubernetes.io' or 'k8s.io' labels specified with --node-labels"),
 * and the NodeRestriction admission plugin refuses them from the kubelet anyway; kubesmith sets those with kubectl.
 * Source: kubernetes/kubernetes cmd/kubelet/app/options/options.go (ValidateKubeletFlags) and
 * staging/src/k8s.io/kubelet/pkg/apis/well_known_labels.go (KubeletLabels, KubeletLabelNamespaces), v1.34.
 */
export const KUBELET_LABELS: readonly string[] = [
  'beta.kubernetes.io/arch',
  'beta.kubernetes.io/instance-type',
  'beta.kubernetes.io/os',
  'failure-domain.beta.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone',
  'kubernetes.io/arch',
  'kubernetes.io/hostname',
  'kubernetes.io/os',
  'node.kubernetes.io/instance-type',
  'topology.kubernetes.io/region',
  'topology.kubernetes.io/zone',
];
export const KUBELET_LABEL_NAMESPACES: readonly string[] = ['kubelet.kubernetes.io', 'node.kubernetes.io'];

const inNamespace = (namespace: string, ns: string): boolean => namespace === ns || namespace.endsWith(`.${ns}`);

/** May the kubelet register its Node with this label (--node-labels)? */
export function kubeletMaySetLabel(key: string): boolean {
  const slash = key.indexOf('/');
  const namespace = slash < 0 ? '' : key.slice(0, slash);
  if (!inNamespace(namespace, 'kubernetes.io') && !inNamespace(namespace, 'k8s.io')) return true;
  return KUBELET_LABELS.includes(key) || KUBELET_LABEL_NAMESPACES.some((ns) => inNamespace(namespace, ns));
}

/**
 * The kubelet's hard eviction defaults on Linux. Setting any evictionHard signal drops the defaults of the others
 * (they become zero), so kubesmith writes these for every signal the inventory leaves out.
 * Source: https://kubernetes.io/docs/concepts/scheduling-eviction/node-pressure-eviction/#hard-eviction-thresholds
 */
export const EVICTION_HARD_DEFAULTS: Readonly<Record<string, string>> = {
  'memory.available': '100Mi',
  'nodefs.available': '10%',
  'nodefs.inodesFree': '5%',
  'imagefs.available': '15%',
  'imagefs.inodesFree': '5%',
};

/** The taint kubeadm puts on control-plane nodes (kubeadm constants.ControlPlaneTaint). */
export const CONTROL_PLANE_TAINT = { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' } as const;
