import { defineTask, action } from '../common/define.js';
import { flannelView } from '../../render/views.js';
import type { Inventory } from '../../inventory/schema.js';

/** Images the CNI DaemonSet runs on every node (cilium's chart pins digests: its images are left to the kubelet). */
export function cniImages(inv: Inventory): string[] {
  if (inv.spec.network.plugin !== 'flannel') return [];
  const { images } = flannelView(inv);
  return [images.cniPlugin, images.flannel];
}

/**
 * Pull the CNI images on every node before the DaemonSet lands (kubespray's "download" habit): a node that
 * cannot reach the registry fails here, named, instead of sitting NotReady until the wait times out.
 */
export const cniImagesTask = defineTask({
  id: 'cni.images',
  title: 'CNI | Pull the CNI images on every node',
  async plan(ctx) {
    const images = cniImages(ctx.inventory);
    if (images.length === 0) return { skip: `no images to pre-pull for network.plugin ${ctx.inventory.spec.network.plugin}` };
    const t = ctx.transport;
    const missing: string[] = [];
    for (const image of images) {
      if ((await t.exec(['crictl', 'inspecti', '-q', image], { allowFailure: true })).code !== 0) missing.push(image);
    }
    if (missing.length === 0) return [];
    return [
      action(`pull ${missing.join(' ')}`, async () => {
        for (const image of missing) await t.exec(['crictl', 'pull', image], { timeoutMs: 900_000 });
      }),
    ];
  },
});
