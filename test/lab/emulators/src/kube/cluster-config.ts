// What kubeadm reads back from the cluster: the kubeadm-config ConfigMap's ClusterConfiguration and the cluster-info
// ConfigMap's server. Edits made with kubectl (as the docs' "Reconfiguring a kubeadm cluster" says to) are what later
// joins and upgrades see; the state's own copy is only the fallback for clusters made before these objects existed.
import YAML from './yaml-lazy.js';
import { type Cluster, objectKey } from './cluster-state.js';
import { parseKubeconfig } from './kubeadm-pki.js';

/** ClusterConfiguration as stored in kube-system/kubeadm-config (defaults from the state for keys it lacks). */
export function clusterConfigOf(c: Cluster): Record<string, any> {
  const cm = c.objects[objectKey('ConfigMap', 'kube-system', 'kubeadm-config')] as { data?: Record<string, string> } | undefined;
  const text = cm?.data?.ClusterConfiguration;
  if (!text) return c.clusterConfiguration as Record<string, any>;
  const stored = (YAML.parse(text) ?? {}) as Record<string, any>;
  const { apiVersion: _a, kind: _k, ...body } = stored;
  return { ...(c.clusterConfiguration as Record<string, any>), ...body, controlPlaneEndpoint: body.controlPlaneEndpoint ?? '' };
}

/** The server of kube-public/cluster-info's kubeconfig: where token discovery sends joining nodes' kubelets. */
export function clusterInfoServer(c: Cluster): string {
  const cm = c.objects[objectKey('ConfigMap', 'kube-public', 'cluster-info')] as { data?: Record<string, string> } | undefined;
  const text = cm?.data?.kubeconfig;
  if (!text) return `https://${c.endpoint}`;
  try {
    return parseKubeconfig(text).server || `https://${c.endpoint}`;
  } catch {
    return `https://${c.endpoint}`;
  }
}
