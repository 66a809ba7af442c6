/**
 * loadBalancer local: kubeadm join writes the worker's kubelet.conf with the cluster's registered endpoint (the first
 * control plane, from cluster-info); the kubelet is pointed at its own proxy instead, https://localhost:6443, and
 * restarted (kubespray's "Update server field in kubelet kubeconfig"). Control planes keep their own API server.
 */
import { defineTask, type Action } from '../common/define.js';
import { fileAction, readText } from '../common/files.js';
import { KUBELET_CONF } from '../common/cluster.js';
import { RESTART_OWED_REASON, owingRestart, restartClearingOwed, restartOwedPath } from '../common/services.js';
import { LOCAL_PROXY } from '../../inventory/derived.js';
import { serversOf, withServer } from '../endpoint/options.js';
import { skipUnlessLocal } from './proxy.js';

export const loadbalancerKubelet = defineTask({
  id: 'loadbalancer.kubelet',
  title: "Load balancer | Point this worker's kubelet at its API server proxy (https://localhost:6443)",
  skip: skipUnlessLocal,
  async plan(ctx) {
    const t = ctx.transport;
    const text = await readText(t, KUBELET_CONF);
    if (text === null) return { unknown: `${KUBELET_CONF} does not exist yet: worker.join writes it` };
    const owed = (await t.exec(['test', '-e', restartOwedPath('kubelet')], { allowFailure: true })).code === 0;
    const edit = await fileAction(t, KUBELET_CONF, withServer(text, LOCAL_PROXY.server), { mode: '0600', sensitive: true }, text);
    if (edit)
      return [
        owingRestart(t, 'kubelet', edit),
        restartClearingOwed(t, 'kubelet', `kubelet.conf server ${serversOf(text).join(', ')} → ${LOCAL_PROXY.server}`),
      ];
    return owed ? [restartClearingOwed(t, 'kubelet', RESTART_OWED_REASON)] : ([] as Action[]);
  },
});
