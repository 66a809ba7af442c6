import { defineTask, action, type Action } from '../common/define.js';
import { controlPlaneTransport, kubectl } from '../common/cluster.js';
import { derived, type NodeValues } from '../../inventory/derived.js';
import type { Taint } from '../../inventory/schema.js';

/** The parts of a Node (core/v1) this task reads: metadata.labels and spec.taints (key, value, effect). */
export interface NodeMetadata {
  labels: Record<string, string>;
  taints: Taint[];
}

export function parseNodeMetadata(json: string): NodeMetadata {
  const node = JSON.parse(json) as { metadata?: { labels?: Record<string, string> }; spec?: { taints?: Taint[] } };
  return {
    labels: node.metadata?.labels ?? {},
    taints: (node.spec?.taints ?? []).map((t) => ({ key: t.key, effect: t.effect, ...(t.value ? { value: t.value } : {}) })),
  };
}

const taintText = (t: Taint): string => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;
const sameTaint = (a: Taint, b: Taint): boolean => a.key === b.key && a.effect === b.effect;

/**
 * What `kubectl label` / `kubectl taint` must change so the node carries what the inventory says. Labels and taints
 * the inventory does not name are left alone (kubesmith does not know who set them), except the control-plane taint
 * on a schedulable control plane.
 */
export function metadataChanges(node: NodeMetadata, want: NodeValues): { labels: string[]; taints: string[]; untaints: string[] } {
  return {
    labels: Object.entries(want.labels)
      .filter(([k, v]) => node.labels[k] !== v)
      .map(([k, v]) => `${k}=${v}`),
    taints: want.taints.filter((t) => !node.taints.some((n) => sameTaint(n, t) && (n.value ?? '') === (t.value ?? ''))).map(taintText),
    untaints: want.absentTaints.filter((t) => node.taints.some((n) => sameTaint(n, t))).map((t) => `${t.key}:${t.effect}-`),
  };
}

/** Labels and taints on nodes that exist: joins set them at registration, this keeps them when the inventory changes. */
export const nodeMetadata = defineTask({
  id: 'node.metadata',
  title: "Node | Apply the inventory's labels and taints",
  async plan(ctx) {
    const want = derived(ctx.inventory).nodes[ctx.host.name]!;
    const t = controlPlaneTransport(ctx);
    const name = ctx.host.name;
    const res = await t.exec(kubectl('get', 'node', name, '-o', 'json'), { allowFailure: true, timeoutMs: 60_000 });
    if (res.code !== 0) {
      if (ctx.dryRun) return { unknown: `node ${name} is registered by its join` };
      throw new Error(`node ${name} is not registered (kubectl get node exited ${res.code}: ${res.stderr.trim().split('\n').pop() ?? ''})`);
    }
    const change = metadataChanges(parseNodeMetadata(res.stdout), want);
    const actions: Action[] = [];
    if (change.labels.length) {
      const argv = kubectl('label', 'node', name, '--overwrite', ...change.labels);
      actions.push(action(`label node ${name}: ${change.labels.join(', ')}`, async () => void (await t.exec(argv, { timeoutMs: 60_000 }))));
    }
    const taints = [...change.taints, ...change.untaints];
    if (taints.length) {
      const argv = kubectl('taint', 'node', name, '--overwrite', ...taints);
      actions.push(action(`taint node ${name}: ${taints.join(', ')}`, async () => void (await t.exec(argv, { timeoutMs: 60_000 }))));
    }
    return actions;
  },
});
