/**
 * The health gate after each node: the node Ready with its kubelet at the target; on a control plane also the API
 * server ready (`/readyz`) and its local etcd member healthy. Polled until it holds or the time runs out.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { TaskContext } from '../../engine/types.js';
import type { Host } from '../../model/host.js';
import { kubectl, parseNodes } from '../common/cluster.js';
import { etcdNodeOf, localEtcdHealthy } from '../etcd/node.js';
import { apiTransport } from './node-steps.js';

export const HEALTH_TIMEOUT_MS = 300_000;

/** What is still wrong with `node` (empty: healthy). */
export async function unhealthy(ctx: TaskContext, node: Host, target: string): Promise<string[]> {
  const api = apiTransport(ctx);
  const r = await api.exec(kubectl('get', 'node', node.name, '-o', 'json'), { allowFailure: true, timeoutMs: 60_000 });
  if (r.code !== 0) return [`kubectl get node ${node.name}: ${r.stderr.trim().split('\n').pop()}`];
  const n = parseNodes(`{"items":[${r.stdout}]}`)[0];
  const problems: string[] = [];
  if (!n?.ready) problems.push(`${node.name} is not Ready (${n?.detail ?? 'no status'})`);
  if (n && n.version.replace(/^v/, '') !== target) problems.push(`${node.name}'s kubelet reports ${n.version}, not v${target}`);
  if (node.isControlPlane) {
    const ready = await api.exec(kubectl('get', '--raw', '/readyz'), { allowFailure: true, timeoutMs: 60_000 });
    if (ready.code !== 0) problems.push(`the API server is not ready: ${ready.stderr.trim().split('\n').pop()}`);
    if (!(await localEtcdHealthy(etcdNodeOf(ctx, node)).catch(() => false))) problems.push(`${node.name}'s etcd member is not healthy`);
  }
  return problems;
}

/** Wait until `node` passes the gate; throws with what was still wrong. */
export async function healthGate(ctx: TaskContext, node: Host, target: string, timeoutMs = HEALTH_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let problems = await unhealthy(ctx, node, target);
  while (problems.length && Date.now() < deadline && !ctx.signal.aborted) {
    await sleep(3000);
    problems = await unhealthy(ctx, node, target);
  }
  if (problems.length) throw new Error(`health gate after upgrading ${node.name} to ${target}: ${problems.join('; ')}`);
  ctx.log(`${node.name}: Ready at v${target}${node.isControlPlane ? ', API server ready, etcd member healthy' : ''}`);
}
