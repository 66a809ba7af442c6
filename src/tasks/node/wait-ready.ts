import { setTimeout as sleep } from 'node:timers/promises';
import { defineTask, action } from '../common/define.js';
import { clusterNodes } from '../common/cluster.js';
import { notReady } from '../cluster/wait-ready.js';

/** Wait for this one node to be Ready (the API is reached on the first control plane; no other host is touched). */
export const nodeWaitReady = defineTask({
  id: 'node.wait-ready',
  title: 'Node | Wait until the node is Ready',
  async plan(ctx) {
    const nodes = await clusterNodes(ctx);
    if (!nodes) {
      if (ctx.dryRun) return { unknown: 'the node joins first' };
      throw new Error('cannot list nodes on the first control plane');
    }
    if (notReady([ctx.host.name], nodes).length === 0) return [];
    return [
      action(`wait up to 600s for ${ctx.host.name} to be Ready`, async () => {
        const deadline = Date.now() + 600_000;
        let left: string[] = [];
        while (Date.now() < deadline && !ctx.signal.aborted) {
          await sleep(3000);
          const now = await clusterNodes(ctx);
          left = now ? notReady([ctx.host.name], now) : ['(API not reachable)'];
          if (!left.length) return;
        }
        throw new Error(`not Ready after 600s: ${left.join('; ')}`);
      }),
    ];
  },
});
