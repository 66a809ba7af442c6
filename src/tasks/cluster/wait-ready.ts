import { setTimeout as sleep } from 'node:timers/promises';
import { defineTask, action } from '../common/define.js';
import { clusterNodes, requireCluster, type NodeStatus } from '../common/cluster.js';

const API_DOWN = 'the API: not reachable through admin.conf yet';
import type { TaskContext } from '../../engine/types.js';

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

export const clusterWaitReady = defineTask({
  id: 'cluster.wait-ready',
  title: 'Cluster | Wait until every node is Ready',
  async plan(ctx) {
    const missing = await requireCluster(ctx);
    if (missing) return missing;
    // The API may be briefly unreachable right after init/joins: that is one more thing to wait for.
    const nodes = await clusterNodes(ctx);
    const expected = ctx.hosts.all.map((h) => h.name);
    const waiting = nodes ? notReady(expected, nodes) : [API_DOWN];
    if (waiting.length === 0) return [];
    const timeoutS = option(ctx, 'readyTimeoutSeconds', 600);
    const pollMs = option(ctx, 'readyPollMs', 5000);
    return [
      action(`wait up to ${timeoutS}s for ${waiting.map((w) => w.split(':')[0]).join(', ')} to be Ready`, async () => {
        const deadline = Date.now() + timeoutS * 1000;
        let left = waiting;
        while (Date.now() < deadline && !ctx.signal.aborted) {
          await sleep(pollMs);
          const now = await clusterNodes(ctx);
          left = now ? notReady(expected, now) : [API_DOWN];
          if (left.length === 0) return;
        }
        throw new Error(`nodes not Ready after ${timeoutS}s:\n  ${left.join('\n  ')}`);
      }),
    ];
  },
});
