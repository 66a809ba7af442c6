import { defineTask, action } from '../common/define.js';
import { ADMIN_CONF, fileExists, kubectl } from '../common/cluster.js';
import type { TaskContext } from '../../engine/types.js';
import type { Host } from '../../model/host.js';

/** The control plane whose admin.conf serves API calls: the first one, unless it is the host being removed. */
export function apiHost(ctx: TaskContext, exclude?: string): Host {
  const cps = ctx.hosts.controlPlanes.filter((h) => h.name !== exclude);
  const first = cps[0];
  if (!first) throw new Error('no other control plane to reach the API through');
  return first;
}

/** Cordon, drain and delete this host's Node through the API (on the first control plane) while the API is there. */
export const resetDrain = defineTask({
  id: 'reset.drain',
  title: 'Reset | Cordon, drain and delete the node through the API',
  async plan(ctx) {
    const name = ctx.host.name;
    const api = ctx.transportFor(apiHost(ctx, ctx.hosts.controlPlanes.length > 1 ? name : undefined));
    if (!(await fileExists(api, ADMIN_CONF))) return { skip: 'no admin.conf on the API host: the API is gone' };
    const node = await api.exec(kubectl('get', 'node', name, '-o', 'name'), { allowFailure: true, timeoutMs: 60_000 });
    if (node.code !== 0) {
      if (/NotFound|not found/.test(node.stderr)) return [];
      return { skip: `API not reachable (${node.stderr.trim().split('\n').pop() ?? ''}): node ${name} not drained` };
    }
    return [
      action(`cordon, drain and delete node ${name} (kubectl on ${api.host})`, async () => {
        await api.exec(kubectl('cordon', name), { timeoutMs: 60_000 });
        await api.exec(kubectl('drain', name, '--ignore-daemonsets', '--delete-emptydir-data', '--force', '--timeout=120s'), {
          timeoutMs: 180_000,
        });
        await api.exec(kubectl('delete', 'node', name, '--ignore-not-found'), { timeoutMs: 60_000 });
      }),
    ];
  },
});
