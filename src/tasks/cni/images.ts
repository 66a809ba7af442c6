import { defineTask, action } from '../common/define.js';
import { flannelView } from '../../render/views.js';
import { ciliumEnvoyTag } from '../../data/versions.js';
import type { Inventory } from '../../inventory/schema.js';
import { lookups, run } from '../../transport/lookups.js';

/**
 * Images the CNI runs on every node. Cilium's chart pins each image's digest, and the digest belongs to the release tag
 * pulled here, so the kubelet finds it already present (the agent, the operator, which may land on any node, and envoy).
 */
export function cniImages(inv: Inventory): string[] {
  const net = inv.spec.network;
  if (net.plugin === 'cilium') {
    const v = net.cilium.version;
    const envoy = ciliumEnvoyTag[v];
    return [`quay.io/cilium/cilium:v${v}`, `quay.io/cilium/operator-generic:v${v}`, ...(envoy ? [`quay.io/cilium/cilium-envoy:${envoy}`] : [])];
  }
  if (net.plugin !== 'flannel') return [];
  const { images } = flannelView(inv);
  return [images.cniPlugin, images.flannel];
}

/**
 * Pull the CNI images on every node once the packages (crictl comes with cri-tools) are in, before any join
 * (kubespray's "download" habit): a node that cannot reach the registry fails here, named, before it joins,
 * instead of sitting NotReady until the wait times out.
 */
export const cniImagesTask = defineTask({
  id: 'cni.images',
  title: 'CNI | Pull the CNI images on every node',
  async plan(ctx) {
    const images = cniImages(ctx.inventory);
    if (images.length === 0) return { skip: `no images to pre-pull for network.plugin ${ctx.inventory.spec.network.plugin}` };
    const t = ctx.transport;
    // crictl inspecti takes several images and fails on the first one missing: one call when all are present
    // (every re-run), then one per image to name the missing ones.
    const all = await t.exec(['crictl', 'inspecti', '-q', ...images], { allowFailure: true });
    if (all.code === 0) return [];
    const found = await lookups(t, images.map((image) => run(['crictl', 'inspecti', '-q', image])));
    const missing = images.filter((_, i) => found[i]!.code !== 0);
    if (missing.length === 0) return [];
    return [
      action(`pull ${missing.join(' ')}`, async () => {
        for (const image of missing) await t.exec(['crictl', 'pull', image], { timeoutMs: 900_000 });
      }),
    ];
  },
});
