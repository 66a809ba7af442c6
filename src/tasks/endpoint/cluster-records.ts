/**
 * Endpoint | Point the cluster's own records at the new endpoint, each written and read back: kubeadm-config's
 * ClusterConfiguration.controlPlaneEndpoint (and the inventory's certSANs) so later joins and upgrades use it; the
 * cluster-info kubeconfig's server, which joining nodes' kubelets take; kube-proxy's kubeconfig.conf server, then
 * its DaemonSet restarted so every kube-proxy reconnects through it. Each record already moved is left alone.
 */
import type { TaskContext } from '../../engine/types.js';
import { action, defineTask, type Action } from '../common/define.js';
import { controlPlaneTransport, kubectl, requireCluster } from '../common/cluster.js';
import {
  CLUSTER_INFO,
  KUBE_PROXY,
  KUBEADM_CONFIG,
  clusterConfiguration,
  clusterConfigurationText,
  configMapData,
  movedClusterConfiguration,
  writeConfigMapData,
} from './cluster-config.js';
import { endpointOptions, serversOf, targetServer, withServer } from './options.js';

async function kubeadmConfigAction(ctx: TaskContext): Promise<Action | undefined> {
  const o = endpointOptions(ctx);
  const cc = await clusterConfiguration(ctx);
  const moved = movedClusterConfiguration(cc, o.target, ctx.inventory.spec.kubernetes.certSANs);
  if (clusterConfigurationText(moved) === clusterConfigurationText(cc)) return undefined;
  return action(`kube-system/kubeadm-config: controlPlaneEndpoint ${cc.controlPlaneEndpoint || '(none)'} → ${o.target}`, async () => {
    const data = (await configMapData(ctx, KUBEADM_CONFIG)) ?? {};
    await writeConfigMapData(ctx, KUBEADM_CONFIG, { ...data, ClusterConfiguration: clusterConfigurationText(moved) });
  });
}

/** A ConfigMap key holding a kubeconfig whose server must become the target. */
async function kubeconfigKeyAction(ctx: TaskContext, cm: typeof CLUSTER_INFO, key: string, after?: () => Promise<void>) {
  const server = targetServer(endpointOptions(ctx));
  const data = await configMapData(ctx, cm);
  const text = data?.[key];
  if (!data || !text || serversOf(text).every((s) => s === server)) return undefined;
  return action(`${cm.namespace}/${cm.name} ${key}: server ${serversOf(text).join(', ')} → ${server}`, async () => {
    await writeConfigMapData(ctx, cm, { ...data, [key]: withServer(text, server) });
    await after?.();
  });
}

const restartKubeProxy = (ctx: TaskContext) => async () => {
  await controlPlaneTransport(ctx).exec(kubectl('-n', 'kube-system', 'rollout', 'restart', 'daemonset/kube-proxy'), { timeoutMs: 60_000 });
};

export const endpointClusterRecords = defineTask({
  id: 'endpoint.cluster-records',
  title: "Endpoint | Point kubeadm-config, cluster-info and kube-proxy's kubeconfig at the new endpoint",
  async plan(ctx) {
    const missing = await requireCluster(ctx);
    if (missing) return missing;
    const actions = [
      await kubeadmConfigAction(ctx),
      await kubeconfigKeyAction(ctx, CLUSTER_INFO, 'kubeconfig'),
      await kubeconfigKeyAction(ctx, KUBE_PROXY, 'kubeconfig.conf', restartKubeProxy(ctx)),
    ];
    return actions.filter((a): a is Action => !!a);
  },
});
