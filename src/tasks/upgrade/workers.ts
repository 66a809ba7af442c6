/**
 * Workers in batches of --max-unavailable, driven from the first control plane (where kubectl reaches the API): the
 * whole batch is cordoned first, then each node is upgraded (kubeadm, `kubeadm upgrade node`, drain honouring
 * PodDisruptionBudgets, kubelet, uncordon, health gate). A drain that times out follows --on-drain-timeout: stop (the
 * default: the run ends after this batch), skip (this node stays at its version, the others go on) or
 * disable-eviction (delete the remaining pods, bypassing the budgets). A node whose drain or upgrade failed is
 * uncordoned and named in the error, so the recap lists it.
 */
import type { TaskContext } from '../../engine/types.js';
import type { Host } from '../../model/host.js';
import { batches, upgradeRun } from '../../upgrade/options.js';
import { kubectl } from '../common/cluster.js';
import { action, defineTask, type Action } from '../common/define.js';
import { drains, nodeActions } from './control-plane.js';
import { healthGate } from './health.js';
import { apiTransport, isDrainTimeout, uncordon } from './node-steps.js';

/** The task context of a worker, for steps run from this task (its own transport; run state and log shared). */
function on(ctx: TaskContext, host: Host): TaskContext {
  return { ...ctx, host, transport: ctx.transportFor(host) };
}

interface Outcome {
  node: string;
  error?: string;
  /** The drain timed out and the policy is skip: the node stays at its version. */
  skipped?: boolean;
}

async function upgradeWorker(ctx: TaskContext, host: Host, actions: Action[]): Promise<Outcome> {
  const u = upgradeRun(ctx.options);
  const w = on(ctx, host);
  try {
    for (const a of actions) await a.run();
    await healthGate(w, host, u.target);
    return { node: host.name };
  } catch (err) {
    const message = (err as Error).message;
    await uncordon(ctx, host).catch(() => undefined);
    return { node: host.name, error: message, skipped: u.onDrainTimeout === 'skip' && isDrainTimeout(message) };
  }
}

async function runBatch(ctx: TaskContext, batch: { host: Host; actions: Action[] }[]): Promise<Outcome[]> {
  const api = apiTransport(ctx);
  // the whole batch is cordoned first: no pod evicted from one of its nodes lands on another of them
  for (const { host, actions } of batch) if (drains(actions)) await api.exec(kubectl('cordon', host.name), { timeoutMs: 60_000 });
  return Promise.all(batch.map(({ host, actions }) => upgradeWorker(ctx, host, actions)));
}

export const upgradeWorkers = defineTask({
  id: 'upgrade.workers',
  title: 'Upgrade | Upgrade the workers in batches of --max-unavailable: cordon, drain, kubeadm upgrade node, kubelet, uncordon',
  skip: (ctx) =>
    (ctx.options.upgrade as { controlPlaneOnly?: boolean } | undefined)?.controlPlaneOnly === true &&
    '--control-plane-only: the workers follow in a later run',
  async plan(ctx) {
    const u = upgradeRun(ctx.options);
    const pending: { host: Host; actions: Action[] }[] = [];
    for (const host of ctx.hosts.workers.filter((h) => !h.isControlPlane)) {
      const actions = await nodeActions(on(ctx, host), false, u.onDrainTimeout === 'disable-eviction');
      if (actions.length) pending.push({ host, actions });
    }
    return batches(pending, u.maxUnavailable).map((batch, i, all) =>
      action(
        `batch ${i + 1}/${all.length} (${batch.map((b) => b.host.name).join(', ')}): cordon, then per node: ${batch[0]!.actions.map((a) => a.change.summary).join('; ')}`,
        async () => {
          const outcomes = await runBatch(ctx, batch);
          const failed = outcomes.filter((o) => o.error);
          for (const o of failed) ctx.log(`${o.node}: ${o.skipped ? 'skipped' : 'failed'}: ${o.error}`);
          const stopping = failed.filter((o) => !o.skipped);
          if (stopping.length) {
            throw new Error(
              `upgrade stopped: ${stopping.map((o) => `${o.node} (${o.error})`).join('; ')}; these nodes were uncordoned and stay at their version`,
            );
          }
          const skipped = failed.filter((o) => o.skipped).map((o) => o.node);
          if (skipped.length) ctx.run.set('upgrade.skipped', [...(ctx.run.get<string[]>('upgrade.skipped') ?? []), ...skipped]);
        },
      ),
    );
  },
  async verify(ctx) {
    const skipped = ctx.run.get<string[]>('upgrade.skipped') ?? [];
    if (skipped.length)
      throw new Error(
        `drain timed out on ${skipped.join(', ')} (--on-drain-timeout skip): uncordoned, left at their version; re-run upgrade once their pods can move`,
      );
  },
});
