import { isDeepStrictEqual } from 'node:util';
import { parse, stringify } from 'yaml';
import { defineTask, action, type Action } from '../common/define.js';
import { fileAction, readText } from '../common/files.js';
import { derived } from '../../inventory/derived.js';

export const KUBELET_CONFIG = '/var/lib/kubelet/config.yaml';
/** The KubeletConfiguration fields spec.kubelet owns: set when the inventory has them, removed when it has not. */
export const MANAGED_KUBELET_FIELDS = ['maxPods', 'systemReserved', 'kubeReserved', 'evictionHard', 'serverTLSBootstrap'] as const;

/**
 * The node's kubelet config with the inventory's settings, or undefined when it already has them. kubeadm writes this
 * file at join from the cluster's kubelet-config ConfigMap (made at init); nodes that joined before a change get it here.
 */
export function withKubeletSettings(current: string, wanted: Record<string, unknown>): string | undefined {
  const config = (parse(current) ?? {}) as Record<string, unknown>;
  const same = MANAGED_KUBELET_FIELDS.every((f) => isDeepStrictEqual(config[f], wanted[f]));
  if (same) return undefined;
  for (const f of MANAGED_KUBELET_FIELDS) {
    if (wanted[f] === undefined) delete config[f];
    else config[f] = wanted[f];
  }
  return stringify(config);
}

export const nodeKubeletConfig = defineTask({
  id: 'node.kubelet-config',
  title: "Kubelet | Apply the inventory's kubelet settings to nodes that joined before they changed",
  async plan(ctx) {
    const t = ctx.transport;
    const current = await readText(t, KUBELET_CONFIG);
    if (current === null) {
      if (ctx.dryRun) return { unknown: `${KUBELET_CONFIG} is written by the join` };
      throw new Error(`${KUBELET_CONFIG} is missing: the node has not joined`);
    }
    const desired = withKubeletSettings(current, derived(ctx.inventory).kubeletConfiguration);
    if (desired === undefined) return [];
    const write = await fileAction(t, KUBELET_CONFIG, desired, { mode: '0644' }, current);
    const restart = action(
      'restart kubelet (it reads its config at start)',
      async () => void (await t.exec(['systemctl', 'restart', 'kubelet'])),
    );
    return [...(write ? [write] : []), restart] as Action[];
  },
});
