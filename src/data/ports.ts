/** Ports Kubernetes and the CNI need open (kubernetes.io ports-and-protocols; flannel and cilium docs). */
import type { Inventory } from '../inventory/schema.js';

export interface PortRule {
  /** "6443" or "30000-32767". */
  port: string;
  proto: 'tcp' | 'udp';
}

const tcp = (port: string): PortRule => ({ port, proto: 'tcp' });
const udp = (port: string): PortRule => ({ port, proto: 'udp' });

export const controlPlanePorts: PortRule[] = [tcp('6443'), tcp('2379-2380'), tcp('10250'), tcp('10257'), tcp('10259')];
export const workerPorts: PortRule[] = [tcp('10250'), tcp('10256'), tcp('30000-32767'), udp('30000-32767')];

export function cniPorts(inv: Inventory): PortRule[] {
  const net = inv.spec.network;
  if (net.plugin === 'flannel') {
    if (net.flannel.backend === 'vxlan') return [udp('8472')];
    if (net.flannel.backend === 'wireguard') return [udp('51820'), udp('51821')];
    return [];
  }
  if (net.plugin === 'cilium') return [udp('8472'), tcp('4240')];
  return [];
}

/** Every port a host with these roles needs, without duplicates, in a stable order. */
export function requiredPorts(inv: Inventory, roles: { controlPlane: boolean; worker: boolean }): PortRule[] {
  const all = [...(roles.controlPlane ? controlPlanePorts : []), ...(roles.worker ? workerPorts : []), ...cniPorts(inv)];
  const seen = new Set<string>();
  return all.filter((r) => {
    const key = `${r.port}/${r.proto}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** TCP ports a control plane must find free before init/join. */
export const controlPlaneListenPorts = [6443, 2379, 2380, 10250, 10257, 10259];
export const workerListenPorts = [10250];
