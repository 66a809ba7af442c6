import { defineTask, action } from './define.js';
import { lookups, run } from '../../transport/lookups.js';
import { KUBELET_CONF, KUBESMITH_DIR, fileExists, joinMaterial } from './cluster.js';
import { renderKubeadmJoin } from '../../render/index.js';
import type { Task, TaskContext } from '../../engine/types.js';

export const KUBEADM_JOIN_CONFIG = `${KUBESMITH_DIR}/kubeadm-join.yaml`;

/** Join this host with a fresh token (and certificate key for control planes) made on the first control plane. */
async function join(ctx: TaskContext, controlPlane: boolean): Promise<void> {
  const t = ctx.transport;
  const m = await joinMaterial(ctx, controlPlane);
  const config = renderKubeadmJoin(ctx.inventory, ctx.host, ctx.hosts, {
    token: m.token.reveal(),
    caCertHash: m.caCertHash,
    ...(m.certificateKey ? { certificateKey: m.certificateKey.reveal() } : {}),
  });
  const secrets = [m.token.reveal(), ...(m.certificateKey ? [m.certificateKey.reveal()] : [])];
  await t.writeFile(KUBEADM_JOIN_CONFIG, config, { mode: '0600' });
  try {
    await t.exec(['kubeadm', 'join', '--config', KUBEADM_JOIN_CONFIG], { timeoutMs: 900_000, secrets });
  } finally {
    await t.exec(['rm', '-f', KUBEADM_JOIN_CONFIG], { allowFailure: true });
  }
}

export function joinTask(id: string, title: string, controlPlane: boolean): Task {
  return defineTask({
    id,
    title,
    async plan(ctx) {
      const [kubelet, leftover] = await lookups(ctx.transport, [
        run(['test', '-e', KUBELET_CONF]),
        run(['test', '-e', KUBEADM_JOIN_CONFIG]),
      ]);
      if (kubelet.code === 0) {
        // A run killed during the join can leave its config, which holds the bootstrap token.
        if (leftover.code !== 0) return [];
        return [
          action(
            `remove the leftover ${KUBEADM_JOIN_CONFIG} (it holds a bootstrap token)`,
            async () => void (await ctx.transport.exec(['rm', '-f', KUBEADM_JOIN_CONFIG])),
          ),
        ];
      }
      const as = controlPlane ? 'a control plane' : 'a worker';
      return [action(`join the cluster as ${as} (kubeadm join with a fresh token)`, () => join(ctx, controlPlane))];
    },
    async verify(ctx) {
      if (!(await fileExists(ctx.transport, KUBELET_CONF))) throw new Error(`kubeadm join finished but ${KUBELET_CONF} is missing`);
    },
  });
}
