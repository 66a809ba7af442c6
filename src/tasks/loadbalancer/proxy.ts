/**
 * loadBalancer local: every worker runs haproxy as a static pod on 127.0.0.1:6443, in front of every control plane's
 * API server (kubespray's localhost load balancer, kubeasz's kube-lb). Written before the worker joins — with client
 * certificate rotation on (kubeadm's default) the kubelet starts static pods before its TLS bootstrap completes
 * (kubernetes/kubernetes#71174) — and rewritten on every apply, so control planes added or removed reach it.
 */
import { defineTask, commandAction, type Action } from '../common/define.js';
import { fileAction } from '../common/files.js';
import { renderApiserverProxy } from '../../render/index.js';
import { APISERVER_PROXY_DIR, APISERVER_PROXY_MANIFEST } from '../../render/views.js';
import { derived } from '../../inventory/derived.js';
import { canonicalRef, heldTags } from '../cni/images.js';

export const skipUnlessLocal = (ctx: { inventory: { spec: { kubernetes: { loadBalancer?: { type: string } | undefined } } } }) =>
  ctx.inventory.spec.kubernetes.loadBalancer?.type !== 'local' && 'kubernetes.loadBalancer.type is not local';

export const loadbalancerProxy = defineTask({
  id: 'loadbalancer.proxy',
  title: 'Load balancer | Run the API server proxy (haproxy) on this worker at 127.0.0.1:6443',
  skip: skipUnlessLocal,
  async plan(ctx) {
    const t = ctx.transport;
    const image = derived(ctx.inventory).images.localProxy!;
    const { config, manifest } = renderApiserverProxy(ctx.inventory);
    const actions: Action[] = [];
    // the image first, so the kubelet starts the pod at once (offline installs imported it from the bundle)
    const held = heldTags((await t.exec(['crictl', 'images', '-o', 'json'], { allowFailure: true })).stdout);
    if (!held?.has(canonicalRef(image)) && !ctx.inventory.spec.offline?.bundle)
      actions.push(commandAction(t, `pull ${image}`, [['crictl', 'pull', image]], { timeoutMs: 900_000 }));
    // the configuration before the manifest that names its hash: the restarted pod reads the new one
    const cfg = await fileAction(t, `${APISERVER_PROXY_DIR}/haproxy.cfg`, config, { mode: '0644' });
    const pod = await fileAction(t, APISERVER_PROXY_MANIFEST, manifest, { mode: '0600' });
    return [...actions, ...[cfg, pod].filter((a): a is Action => !!a)];
  },
});
