import { defineTask, type Action } from '../common/define.js';
import { fileAction } from '../common/files.js';
import { ADMIN_CONF, fileExists } from '../common/cluster.js';
import { renderKubeVip } from '../../render/index.js';

export const KUBE_VIP_MANIFEST = '/etc/kubernetes/manifests/kube-vip.yaml';

/**
 * The kube-vip static pod. Runs twice in the playbook: before init (on the first control plane of a ≥1.29 cluster
 * it mounts super-admin.conf, since admin.conf has no rights until RBAC is bootstrapped) and after the joins
 * (then admin.conf exists and the manifest switches to it).
 */
export const kubevipManifest = defineTask({
  id: 'kubevip.manifest',
  title: 'Control plane | Run kube-vip for the control-plane VIP',
  skip: (ctx) => ctx.inventory.spec.kubernetes.loadBalancer?.type !== 'kube-vip' && 'kubernetes.loadBalancer.type is not kube-vip',
  async plan(ctx) {
    const t = ctx.transport;
    const initialized = await fileExists(t, ADMIN_CONF);
    const edit = await fileAction(t, KUBE_VIP_MANIFEST, renderKubeVip(ctx.inventory, ctx.host, ctx.hosts, initialized), { mode: '0600' });
    return edit ? [edit] : ([] as Action[]);
  },
});
