import { defineTask, action } from '../common/define.js';
import { memberRemoveArgv, peerUrl } from '../../etcd/index.js';
import { etcdNodeOf, healthyControlPlane, memberList, runEtcdctl } from '../etcd/node.js';

/** Remove this control plane's etcd member (by name or peer URL) through a healthy member on another control plane. */
export const nodeEtcdRemove = defineTask({
  id: 'node.etcd-remove',
  title: "Node | Remove the node's etcd member through a healthy control plane",
  skip: (ctx) => !ctx.host.isControlPlane && 'not a control plane: no etcd member',
  async plan(ctx) {
    const via = await healthyControlPlane(ctx, [ctx.host.name]);
    if (!via)
      throw new Error(
        `no other control plane has a healthy etcd member: cannot remove ${ctx.host.name}'s member safely (quorum lost? restore with \`kubesmith recover --from-snapshot\`)`,
      );
    const e = etcdNodeOf(ctx, via);
    const peer = peerUrl(ctx.host.internalAddress);
    const member = (await memberList(e)).find((m) => m.name === ctx.host.name || m.peerURLs.includes(peer));
    if (!member) return [];
    return [
      action(`remove etcd member ${member.id} (${member.name || 'not started'}, ${peer}) via ${via.name}`, async () => {
        await runEtcdctl(e, memberRemoveArgv(member.id), { retries: 4 });
      }),
    ];
  },
});
