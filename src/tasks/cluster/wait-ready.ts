import { setTimeout as sleep } from 'node:timers/promises';
import { defineTask, action } from '../common/define.js';
import { KUBELET_CONF, clusterNodes, fileExists, requireCluster, type NodeStatus } from '../common/cluster.js';
import type { TaskContext } from '../../engine/types.js';
import type { Host } from '../../model/host.js';

const API_DOWN = 'the API: not reachable through admin.conf yet';

/** Inventory hosts that are not Ready, with the reason, e.g. "w1: not registered". */
export function notReady(expected: readonly string[], nodes: readonly NodeStatus[]): string[] {
  return expected.flatMap((name) => {
    const node = nodes.find((n) => n.name === name);
    if (!node) return [`${name}: not registered`];
    return node.ready ? [] : [`${name}: ${node.detail}`];
  });
}

function option(ctx: TaskContext, name: string, fallback: number): number {
  const v = ctx.options[name];
  return typeof v === 'number' && v > 0 ? v : fallback;
}

/** Hosts that ran kubeadm init/join (kubelet.conf exists); a host we cannot reach counts as not joined. */
async function joinedHosts(ctx: TaskContext): Promise<{ joined: Host[]; notJoined: Host[] }> {
  const flags = await Promise.all(ctx.hosts.all.map((h) => fileExists(ctx.transportFor(h), KUBELET_CONF).catch(() => false)));
  return { joined: ctx.hosts.all.filter((_, i) => flags[i]), notJoined: ctx.hosts.all.filter((_, i) => !flags[i]) };
}

/**
 * Waits (bounded) until every joined node is Ready. Hosts that never joined (their join failed or was skipped)
 * are not waited for: the step fails at the end naming them, so a broken worker costs no timeout.
 */
export const clusterWaitReady = defineTask({
  id: 'cluster.wait-ready',
  title: 'Cluster | Wait until every node is Ready',
  async plan(ctx) {
    const missing = await requireCluster(ctx);
    if (missing) return missing;
    const { joined, notJoined } = await joinedHosts(ctx);
    const expected = joined.map((h) => h.name);
    // The API may be briefly unreachable right after init/joins: that is one more thing to wait for.
    const nodes = await clusterNodes(ctx);
    const waiting = nodes ? notReady(expected, nodes) : [API_DOWN];
    const unjoined = notJoined.map((h) => `${h.name}: not joined (no ${KUBELET_CONF})`);
    if (waiting.length === 0 && unjoined.length === 0) return [];
    const timeoutS = option(ctx, 'readyTimeoutSeconds', 600);
    const pollMs = option(ctx, 'readyPollMs', 5000);
    const who = [...waiting, ...unjoined].map((w) => w.split(':')[0]).join(', ');
    return [
      action(`wait up to ${timeoutS}s for ${who} to be Ready`, async () => {
        const deadline = Date.now() + timeoutS * 1000;
        let left = waiting;
        while (left.length && Date.now() < deadline && !ctx.signal.aborted) {
          await sleep(pollMs);
          const now = await clusterNodes(ctx);
          left = now ? notReady(expected, now) : [API_DOWN];
        }
        if (left.length || unjoined.length) {
          const lines = [...left, ...unjoined];
          throw new Error(`nodes not Ready${left.length ? ` after ${timeoutS}s` : ''}:\n  ${lines.join('\n  ')}`);
        }
      }),
    ];
  },
});
