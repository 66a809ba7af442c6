import { defineTask } from '../common/define.js';
import { runBundle } from './bundle.js';
import { onlyOffline } from '../common/gates.js';

/**
 * First step of an offline apply, before any host is contacted: the bundle must be complete (every file's size and
 * sha256 as its manifest says) and serve this inventory (versions, every image). Reads local files only.
 */
export const offlineVerify = defineTask({
  id: 'offline.verify',
  title: 'Offline | Verify the bundle against its manifest and the inventory',
  skip: onlyOffline,
  async plan(ctx) {
    if (ctx.inventory.spec.network.plugin === 'cilium') {
      // cni.cilium fetches helm and the chart from the internet; the bundle carries neither yet
      throw new Error(
        'offline installs support network.plugin flannel or none; cilium needs helm and its chart, which the bundle does not carry yet',
      );
    }
    const b = await runBundle(ctx);
    ctx.log(
      `bundle ${b.dir}: ${b.manifest.files.length} files, ${b.manifest.images.length} images, Kubernetes ${b.manifest.kubernetes.version}: verified`,
    );
    return [];
  },
});
