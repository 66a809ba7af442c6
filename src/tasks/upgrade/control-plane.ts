import type { TaskContext } from '../../engine/types.js';
import { upgradeRun } from '../../upgrade/options.js';
import { action, defineTask, type Action } from '../common/define.js';
import { healthGate } from './health.js';
import {
  drain,
  drainFailure,
  isDrainTimeout,
  kubeadmUpgradeStep,
  kubeletStep,
  packageSteps,
  readNodeState,
  uncordon,
  type NodeState,
} from './node-steps.js';
import { markDone } from './record.js';

export const DRAIN_SUMMARY = 'cordon and drain';

/** Does this node's remaining work drain it (and so uncordon it at the end)? */
export const drains = (actions: readonly Action[]) => actions.some((a) => a.change.summary.startsWith(DRAIN_SUMMARY));

/** Drain this node; on failure it is uncordoned again and the run stops here (named in the recap). */
export function drainStep(ctx: TaskContext, state: NodeState, allowDisableEviction: boolean): Action {
  const u = upgradeRun(ctx.options);
  return action(`${DRAIN_SUMMARY} ${ctx.host.name} (PodDisruptionBudgets honoured, timeout ${u.drainTimeoutSeconds}s)`, async () => {
    let r = await drain(ctx, ctx.host, u.drainTimeoutSeconds);
    if (r.code !== 0 && isDrainTimeout(r.stderr) && allowDisableEviction && u.onDrainTimeout === 'disable-eviction') {
      ctx.log(`${ctx.host.name}: drain timed out; --on-drain-timeout disable-eviction: deleting the remaining pods instead`);
      r = await drain(ctx, ctx.host, u.drainTimeoutSeconds, true);
    }
    if (r.code !== 0) {
      await uncordon(ctx, ctx.host);
      throw new Error(`drain of ${ctx.host.name} failed, so it was uncordoned and not upgraded: ${drainFailure(r.stderr)}`);
    }
    await markDone(ctx.transport, state.record, 'drain');
  });
}

export function uncordonStep(ctx: TaskContext, state: NodeState): Action {
  return action(`uncordon ${ctx.host.name}`, async () => {
    await uncordon(ctx, ctx.host);
    await markDone(ctx.transport, state.record, 'uncordon');
  });
}

/** The node's remaining steps toward the target (drain and uncordon only around work on the kubelet). */
export async function nodeActions(ctx: TaskContext, first: boolean, allowDisableEviction: boolean): Promise<Action[]> {
  const u = upgradeRun(ctx.options);
  const state = await readNodeState(ctx, u.target);
  const actions = await packageSteps(ctx, state, u.target);
  const upgrade = kubeadmUpgradeStep(ctx, state, u, first);
  if (upgrade) actions.push(upgrade);
  const kubelet = kubeletStep(ctx, state, u.target);
  const drained = state.record.done.includes('drain');
  if (kubelet && !drained) actions.push(drainStep(ctx, state, allowDisableEviction));
  if (kubelet) actions.push(kubelet);
  if ((kubelet || drained) && !state.record.done.includes('uncordon')) actions.push(uncordonStep(ctx, state));
  return actions;
}

/**
 * One control plane at a time: the first runs `kubeadm upgrade apply`, the others `kubeadm upgrade node`; then the
 * kubelet; the health gate must hold before the next control plane starts (the step is serial and critical).
 */
export const upgradeControlPlane = defineTask({
  id: 'upgrade.control-plane',
  title: 'Upgrade | Upgrade this control plane (kubeadm upgrade apply on the first, node on the others), then its kubelet',
  async plan(ctx) {
    const first = ctx.host.name === ctx.hosts.firstControlPlane.name;
    return nodeActions(ctx, first, true);
  },
  async verify(ctx) {
    await healthGate(ctx, ctx.host, upgradeRun(ctx.options).target);
  },
});
