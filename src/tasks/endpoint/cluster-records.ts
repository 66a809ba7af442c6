/**
 * Endpoint | Point the cluster's own records at the new endpoint, each written and read back: kubeadm-config's
 * ClusterConfiguration.controlPlaneEndpoint (and the inventory's certSANs) so later joins and upgrades use it; the
 * cluster-info kubeconfig's server, which joining nodes' kubelets take; kube-proxy's kubeconfig.conf server, then
 * its DaemonSet restarted so every kube-proxy reconnects through it. Each record already moved is left alone.
 * The kube-proxy restart is owed from before its ConfigMap changes until the rollout restart succeeded (a mark on the
 * first control plane, as a unit's restart in services.ts): a run stopped in between restarts it on the next run,
 * though the ConfigMap then already reads as moved.
 */
import { posix } from 'node:path';
import type { TaskContext } from '../../engine/types.js';
import { action, defineTask, type Action } from '../common/define.js';
import { controlPlaneTransport, fileExists, kubectl, requireCluster } from '../common/cluster.js';
import { RESTART_OWED_REASON, restartOwedPath } from '../common/services.js';
import { sh } from '../../transport/command.js';
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
async function kubeconfigKeyAction(
  ctx: TaskContext,
  cm: typeof CLUSTER_INFO,
  key: string,
  around?: { before: () => Promise<void>; after: () => Promise<void> },
) {
  const server = targetServer(endpointOptions(ctx));
  const data = await configMapData(ctx, cm);
  const text = data?.[key];
  if (!data || !text || serversOf(text).every((s) => s === server)) return undefined;
  return action(`${cm.namespace}/${cm.name} ${key}: server ${serversOf(text).join(', ')} → ${server}`, async () => {
    await around?.before();
    await writeConfigMapData(ctx, cm, { ...data, [key]: withServer(text, server) });
    await around?.after();
  });
}

/** The mark (on the first control plane) that kube-proxy's DaemonSet owes a restart. */
export const KUBE_PROXY_OWED = restartOwedPath('kube-proxy-daemonset');

const kubeProxyRestart = (ctx: TaskContext) => ({
  before: async () => {
    await controlPlaneTransport(ctx).exec(sh`mkdir -p ${posix.dirname(KUBE_PROXY_OWED)} && : > ${KUBE_PROXY_OWED}`);
  },
  after: async () => {
    const t = controlPlaneTransport(ctx);
    await t.exec(kubectl('-n', 'kube-system', 'rollout', 'restart', 'daemonset/kube-proxy'), { timeoutMs: 60_000 });
    await t.exec(['rm', '-f', KUBE_PROXY_OWED]);
  },
});

/** kube-proxy's ConfigMap already moved, but a run stopped before its DaemonSet restarted: restart it now. */
async function owedKubeProxyRestart(ctx: TaskContext): Promise<Action | undefined> {
  if (!(await fileExists(controlPlaneTransport(ctx), KUBE_PROXY_OWED))) return undefined;
  return action(`restart daemonset kube-system/kube-proxy (${RESTART_OWED_REASON})`, kubeProxyRestart(ctx).after);
}

export const endpointClusterRecords = defineTask({
  id: 'endpoint.cluster-records',
  title: "Endpoint | Point kubeadm-config, cluster-info and kube-proxy's kubeconfig at the new endpoint",
  async plan(ctx) {
    const missing = await requireCluster(ctx);
    if (missing) return missing;
    const actions = [
      await kubeadmConfigAction(ctx),
      await kubeconfigKeyAction(ctx, CLUSTER_INFO, 'kubeconfig'),
      await kubeconfigKeyAction(ctx, KUBE_PROXY, 'kubeconfig.conf', kubeProxyRestart(ctx)),
    ];
    if (!actions[2]) actions.push(await owedKubeProxyRestart(ctx));
    return actions.filter((a): a is Action => !!a);
  },
});
