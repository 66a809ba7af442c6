import { createHash } from 'node:crypto';
import { cpuCount } from './host-probe.js';
import { readText } from './lab.js';
import { parseKubeletConfig } from './node-files.js';

// The labels a kubelet registers its Node with (--node-labels; the labels it may not set make it exit, see
// units/kubelet.service.start) and what it reports as capacity/allocatable:
// allocatable = capacity - kubeReserved - systemReserved - evictionHard (kubernetes.io/docs/tasks/administer-cluster/reserve-compute-resources).
/** "a=b,c=d" → {a: "b", c: "d"}. */
export function parseNodeLabels(flag: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of (flag ?? '').split(',').filter(Boolean)) {
    const i = pair.indexOf('=');
    labels[i < 0 ? pair : pair.slice(0, i)] = i < 0 ? '' : pair.slice(i + 1);
  }
  return labels;
}

const UNITS: Record<string, number> = { '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };

/** A quantity in bytes (memory) or millicores (cpu, with `milli`); undefined for percentages and garbage. */
function quantity(text: unknown, milli = false): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(m|k|Ki|M|Mi|G|Gi|T|Ti)?$/.exec(String(text ?? ''));
  if (!m) return undefined;
  if (m[2] === 'm') return milli ? Number(m[1]) : Number(m[1]) / 1000;
  return Number(m[1]) * UNITS[m[2] ?? '']! * (milli ? 1000 : 1);
}

export type Capacity = Record<'cpu' | 'memory' | 'pods', string>;

/** Node status capacity and allocatable from the host's CPUs/memory and the kubelet's configuration. */
export function capacityAndAllocatable(
  cpus: number,
  memoryKi: number,
  cfg: Record<string, any>,
): { capacity: Capacity; allocatable: Capacity } {
  const pods = String(cfg.maxPods ?? 110);
  const reserved = (res: string, milli: boolean) =>
    (quantity(cfg.systemReserved?.[res], milli) ?? 0) + (quantity(cfg.kubeReserved?.[res], milli) ?? 0);
  const eviction = quantity(cfg.evictionHard?.['memory.available'] ?? '100Mi') ?? 0;
  const cpuMilli = Math.max(0, cpus * 1000 - reserved('cpu', true));
  const memKi = Math.max(0, Math.floor((memoryKi * 1024 - reserved('memory', false) - eviction) / 1024));
  return {
    capacity: { cpu: String(cpus), memory: `${memoryKi}Ki`, pods },
    allocatable: { cpu: cpuMilli % 1000 === 0 ? String(cpuMilli / 1000) : `${cpuMilli}m`, memory: `${memKi}Ki`, pods },
  };
}

/** What the kubelet reports for this host now: capacity/allocatable from its CPUs, memory and current config file. */
export function nodeResources(configText: string): { capacity: Capacity; allocatable: Capacity; kubeletConfigHash: string } {
  const memKi = Number(/^MemTotal:\s+(\d+) kB/m.exec(readText('/proc/meminfo') ?? '')?.[1] ?? 4194304);
  const config = (parseKubeletConfig(configText) ?? {}) as Record<string, any>;
  return { ...capacityAndAllocatable(cpuCount(), memKi, config), kubeletConfigHash: configHash(configText) };
}

export const configHash = (text: string): string => createHash('sha256').update(text).digest('hex');
