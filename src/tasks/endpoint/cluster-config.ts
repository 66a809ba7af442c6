/**
 * The cluster's own record of its endpoint: kube-system/kubeadm-config's ClusterConfiguration (what kubeadm join and
 * upgrade read back), kube-public/cluster-info's kubeconfig (where token discovery sends joining kubelets) and
 * kube-system/kube-proxy's kubeconfig.conf (kube-proxy's API address). Read and written with kubectl on the first
 * control plane; each write sends only the object's identity and data (kubectl apply -f -), then is read back.
 */
import { parse, stringify } from 'yaml';
import type { TaskContext } from '../../engine/types.js';
import { controlPlaneTransport, kubectl } from '../common/cluster.js';

export interface ConfigMapRef {
  namespace: string;
  name: string;
}

/** kubeadm's ClusterConfiguration document: the keys this command reads or writes, the rest kept as they are. */
export interface ClusterConfiguration {
  apiVersion?: string;
  controlPlaneEndpoint?: string;
  apiServer?: { certSANs?: string[]; [key: string]: unknown };
  [key: string]: unknown;
}

export const KUBEADM_CONFIG: ConfigMapRef = { namespace: 'kube-system', name: 'kubeadm-config' };
export const CLUSTER_INFO: ConfigMapRef = { namespace: 'kube-public', name: 'cluster-info' };
export const KUBE_PROXY: ConfigMapRef = { namespace: 'kube-system', name: 'kube-proxy' };

/** The ConfigMap's data, or null when it does not exist (kube-proxy disabled, a cluster without cluster-info). */
export async function configMapData(ctx: TaskContext, cm: ConfigMapRef): Promise<Record<string, string> | null> {
  const r = await controlPlaneTransport(ctx).exec(kubectl('-n', cm.namespace, 'get', 'configmap', cm.name, '-o', 'json'), {
    allowFailure: true,
    timeoutMs: 60_000,
  });
  if (r.code !== 0) {
    if (/NotFound/.test(r.stderr)) return null;
    throw new Error(`kubectl get configmap ${cm.namespace}/${cm.name} failed (exit ${r.code}): ${r.stderr.trim().split('\n').pop() ?? ''}`);
  }
  return ((JSON.parse(r.stdout) as { data?: Record<string, string> }).data ?? {}) as Record<string, string>;
}

/** Write the ConfigMap's data and check it reads back as written. */
export async function writeConfigMapData(ctx: TaskContext, cm: ConfigMapRef, data: Record<string, string>): Promise<void> {
  const doc = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: cm.name, namespace: cm.namespace }, data };
  await controlPlaneTransport(ctx).exec(kubectl('apply', '-f', '-'), { stdin: JSON.stringify(doc), timeoutMs: 60_000 });
  const back = await configMapData(ctx, cm);
  for (const [k, v] of Object.entries(data)) {
    if (back?.[k] !== v) throw new Error(`configmap ${cm.namespace}/${cm.name} key ${k} does not read back as written`);
  }
}

/** kubeadm-config's ClusterConfiguration as an object (the document kubeadm stores). */
export async function clusterConfiguration(ctx: TaskContext): Promise<ClusterConfiguration> {
  const data = await configMapData(ctx, KUBEADM_CONFIG);
  if (!data?.ClusterConfiguration)
    throw new Error('configmap kube-system/kubeadm-config has no ClusterConfiguration: not a kubeadm cluster?');
  return (parse(data.ClusterConfiguration) ?? {}) as ClusterConfiguration;
}

/** ClusterConfiguration moved to `target`, with every SAN the inventory asks for kept or added. */
export function movedClusterConfiguration(cc: ClusterConfiguration, target: string, certSANs: readonly string[]): ClusterConfiguration {
  const sans = [...new Set([...(cc.apiServer?.certSANs ?? []), ...certSANs])];
  return { ...cc, controlPlaneEndpoint: target, apiServer: { ...(cc.apiServer ?? {}), ...(sans.length ? { certSANs: sans } : {}) } };
}

export const clusterConfigurationText = (cc: ClusterConfiguration): string => stringify(cc, { lineWidth: 0 });
