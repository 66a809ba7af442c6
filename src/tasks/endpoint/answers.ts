/**
 * Endpoint | The new endpoint answers as this cluster's API with a certificate naming it, checked from the first
 * control plane (kubectl with admin.conf's CA and credentials, --server the endpoint): the gate before any kubeconfig
 * moves to it. Waits up to the health timeout (a kube-vip VIP needs its leader elected first).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { TaskContext } from '../../engine/types.js';
import { action, defineTask } from '../common/define.js';
import { kubectl, requireCluster } from '../common/cluster.js';
import { endpointOptions, targetServer } from './options.js';

async function probe(ctx: TaskContext): Promise<string | undefined> {
  const server = targetServer(endpointOptions(ctx));
  const r = await ctx.transport.exec(kubectl('--server', server, '--request-timeout', '10s', 'get', '--raw', '/readyz'), {
    allowFailure: true,
    timeoutMs: 30_000,
  });
  return r.code === 0 ? undefined : r.stderr.trim().split('\n').pop() || `exit ${r.code}`;
}

export const endpointAnswers = defineTask({
  id: 'endpoint.answers',
  title: 'Endpoint | Check that the new endpoint answers as this cluster with a certificate naming it',
  async plan(ctx) {
    const missing = await requireCluster(ctx);
    if (missing) return missing;
    const o = endpointOptions(ctx);
    const why = await probe(ctx);
    if (!why) return [];
    return [
      action(`wait ≤${o.healthTimeoutSeconds}s until ${targetServer(o)}/readyz answers (now: ${why})`, async () => {
        const deadline = Date.now() + o.healthTimeoutSeconds * 1000;
        for (;;) {
          const still = await probe(ctx);
          if (!still) return;
          if (Date.now() >= deadline) throw new Error(`${targetServer(o)} does not answer after ${o.healthTimeoutSeconds}s: ${still}`);
          await sleep(2000, undefined, ctx.signal ? { signal: ctx.signal } : {});
        }
      }),
    ];
  },
});
