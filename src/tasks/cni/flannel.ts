import { defineTask, action, type Action } from '../common/define.js';
import { fileAction } from '../common/files.js';
import { KUBESMITH_DIR, kubectl, requireCluster } from '../common/cluster.js';
import { renderFlannel } from '../../render/index.js';

export const FLANNEL_MANIFEST = `${KUBESMITH_DIR}/kube-flannel.yaml`;

export const cniFlannel = defineTask({
  id: 'cni.flannel',
  title: 'CNI | Apply the flannel manifest (net-conf from the inventory)',
  skip: (ctx) => ctx.inventory.spec.network.plugin !== 'flannel' && 'network.plugin is not flannel',
  async plan(ctx) {
    const t = ctx.transport;
    const missing = await requireCluster(ctx);
    if (missing) return missing;
    const actions: Action[] = [];
    const manifest = await fileAction(t, FLANNEL_MANIFEST, renderFlannel(ctx.inventory));
    if (manifest) actions.push(manifest);
    const ds = await t.exec(kubectl('-n', 'kube-flannel', 'get', 'daemonset', 'kube-flannel-ds', '-o', 'name'), {
      allowFailure: true,
      timeoutMs: 60_000,
    });
    if (manifest || ds.code !== 0) {
      actions.push(
        action(`kubectl apply -f ${FLANNEL_MANIFEST}`, async () => {
          await t.exec(kubectl('apply', '-f', FLANNEL_MANIFEST), { timeoutMs: 180_000 });
        }),
      );
    }
    return actions;
  },
});
