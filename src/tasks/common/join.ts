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
      const [kubelet, leftover, running] = await lookups(ctx.transport, [
        run(['test', '-e', KUBELET_CONF]),
        run(['test', '-e', KUBEADM_JOIN_CONFIG]),
        run(['systemctl', 'is-active', '--quiet', 'kubelet']),
      ]);
      if (kubelet.code === 0) {
        // A run killed during the join can leave its config, which holds the bootstrap token, and a kubelet.conf
        // without the kubelet that kubeadm's kubelet-start phase would have started (it registers the Node).
        return [
          ...(leftover.code === 0
            ? [
                action(
                  `remove the leftover ${KUBEADM_JOIN_CONFIG} (it holds a bootstrap token)`,
                  async () => void (await ctx.transport.exec(['rm', '-f', KUBEADM_JOIN_CONFIG])),
                ),
              ]
            : []),
          ...(running.code !== 0
            ? [
                action(
                  `start the kubelet: ${KUBELET_CONF} is there but the kubelet is not running (a join stopped before it started it)`,
                  async () => void (await ctx.transport.exec(['systemctl', 'start', 'kubelet'])),
                ),
              ]
            : []),
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
