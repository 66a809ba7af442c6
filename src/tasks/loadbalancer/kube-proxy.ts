/**
 * loadBalancer local: kube-proxy's kubeconfig (kube-system/kube-proxy kubeconfig.conf, one for every node) names
 * https://localhost:6443: a worker's proxy, or a control plane's own API server (it listens on every address), so no
 * kube-proxy depends on one control plane (kubespray points it at its localhost load balancer the same way). Its
 * DaemonSet is restarted so every kube-proxy reconnects. `kubeadm upgrade apply` writes kubeadm's server back; the
 * next apply moves it again.
 */
import { action, defineTask } from '../common/define.js';
import { controlPlaneTransport, kubectl, requireCluster } from '../common/cluster.js';
import { KUBE_PROXY, configMapData, writeConfigMapData } from '../endpoint/cluster-config.js';
import { serversOf, withServer } from '../endpoint/options.js';
import { LOCAL_PROXY } from '../../inventory/derived.js';
import { skipUnlessLocal } from './proxy.js';

const KEY = 'kubeconfig.conf';

export const loadbalancerKubeProxy = defineTask({
  id: 'loadbalancer.kube-proxy',
  title: "Load balancer | Point kube-proxy's kubeconfig at https://localhost:6443",
  skip: skipUnlessLocal,
  async plan(ctx) {
    const missing = await requireCluster(ctx);
    if (missing) return missing;
    const data = await configMapData(ctx, KUBE_PROXY);
    const text = data?.[KEY];
    // no kube-proxy (cilium's kube-proxy replacement), or already there
    if (!data || !text || serversOf(text).every((s) => s === LOCAL_PROXY.server)) return [];
    return [
      action(
        `kube-system/kube-proxy ${KEY}: server ${serversOf(text).join(', ')} → ${LOCAL_PROXY.server}; restart kube-proxy`,
        async () => {
          await writeConfigMapData(ctx, KUBE_PROXY, { ...data, [KEY]: withServer(text, LOCAL_PROXY.server) });
          await controlPlaneTransport(ctx).exec(kubectl('-n', 'kube-system', 'rollout', 'restart', 'daemonset/kube-proxy'), {
            timeoutMs: 60_000,
          });
        },
      ),
    ];
  },
});
