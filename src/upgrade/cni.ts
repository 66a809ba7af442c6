/**
 * The CNI in an upgrade: the version the cluster runs (its DaemonSet's image tag) against the inventory's
 * (network.flannel.version / network.cilium.version). A newer inventory version is applied once, after the control
 * planes, by the same tasks `apply` uses (cni.images, cni.flannel, cni.cilium); an older one is a blocker: no
 * downgrades.
 */
import type { Inventory } from '../inventory/schema.js';
import type { Transport } from '../transport/types.js';
import { kubectl } from '../tasks/common/cluster.js';
import type { Blocker } from './checks.js';

export interface CniVersions {
  plugin: 'flannel' | 'cilium';
  /** The version the cluster runs; undefined when its DaemonSet could not be read. */
  running?: string;
  wanted: string;
}

/** Where each plugin's agent DaemonSet lives (flannel's kube-flannel.yml; cilium's chart). */
const DAEMONSETS = {
  flannel: ['-n', 'kube-flannel', 'get', 'daemonset', 'kube-flannel-ds'],
  cilium: ['-n', 'kube-system', 'get', 'daemonset', 'cilium'],
} as const;

/** "ghcr.io/flannel-io/flannel:v0.28.9", "quay.io/cilium/cilium:v1.19.4@sha256:…" → "0.28.9", "1.19.4". */
export function imageTagVersion(image: string): string | undefined {
  return /:v?(\d+\.\d+\.\d+)(@sha256:[0-9a-f]+)?\s*$/.exec(image.trim())?.[1];
}

const parts = (v: string) => v.split('.').map(Number);
/** Negative when a < b, 0 when equal, positive when a > b (x.y.z). */
export function compareVersions(a: string, b: string): number {
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

/** The inventory's CNI and the version its DaemonSet runs (read with kubectl on the first control plane). */
export async function readCniVersions(t: Transport, inventory: Inventory): Promise<CniVersions | undefined> {
  const net = inventory.spec.network;
  if (net.plugin !== 'flannel' && net.plugin !== 'cilium') return undefined;
  const wanted = net.plugin === 'flannel' ? net.flannel.version : net.cilium.version;
  const argv = kubectl(...DAEMONSETS[net.plugin], '-o', 'jsonpath={.spec.template.spec.containers[0].image}');
  const r = await t.exec(argv, { allowFailure: true, timeoutMs: 60_000 });
  const running = r.code === 0 ? imageTagVersion(r.stdout) : undefined;
  return { plugin: net.plugin, wanted, ...(running ? { running } : {}) };
}

/** A downgrade of the CNI is refused (the inventory names an older version than the cluster runs). */
export function cniBlockers(c: CniVersions | undefined): Blocker[] {
  if (!c?.running || compareVersions(c.wanted, c.running) >= 0) return [];
  return [
    {
      check: 'CNI',
      message: `network.${c.plugin}.version ${c.wanted} is older than the ${c.plugin} ${c.running} the cluster runs: CNI downgrades are refused (set ${c.running} or newer)`,
    },
  ];
}

/** What `plan upgrade` says of the CNI. */
export function describeCni(c: CniVersions | undefined): string | undefined {
  if (!c) return undefined;
  if (!c.running)
    return `CNI: ${c.plugin} ${c.wanted} (the running version could not be read): its manifest is applied once, after the control planes`;
  const cmp = compareVersions(c.wanted, c.running);
  if (cmp === 0) return `CNI: ${c.plugin} ${c.running}, as the inventory asks: unchanged`;
  if (cmp < 0) return `CNI: ${c.plugin} ${c.running} runs, the inventory asks ${c.wanted}: refused (no downgrades)`;
  return `CNI: ${c.plugin} ${c.running} → ${c.wanted}, applied once, after the control planes (its images pulled on every node first)`;
}
