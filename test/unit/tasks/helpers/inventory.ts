/** Test inventories: parsed by the real schema, so defaults are the ones users get. */
import { inventorySchema, type Inventory } from '../../../../src/inventory/schema.js';
import { Host, Hosts } from '../../../../src/model/host.js';

export type SpecOverrides = Record<string, unknown>;

export function makeInventory(spec: SpecOverrides = {}, hosts?: unknown[]): Inventory {
  return inventorySchema.parse({
    apiVersion: 'kubesmith.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name: 'demo' },
    spec: {
      hosts: hosts ?? [
        { name: 'cp1', address: '10.199.0.10', roles: ['control-plane'] },
        { name: 'w1', address: '10.199.0.11', roles: ['worker'] },
        { name: 'w2', address: '10.199.0.12', roles: ['worker'] },
      ],
      ...spec,
    },
  });
}

export function haHosts(): unknown[] {
  return [
    { name: 'cp1', address: '192.168.1.15', internalAddress: '10.0.0.11', roles: ['control-plane'] },
    { name: 'cp2', address: '192.168.1.16', internalAddress: '10.0.0.12', roles: ['control-plane'] },
    { name: 'cp3', address: '192.168.1.17', internalAddress: '10.0.0.13', roles: ['control-plane'] },
    { name: 'w1', address: '192.168.1.21', roles: ['worker'] },
  ];
}

export function hostsOf(inv: Inventory): Hosts {
  return new Hosts(inv.spec.hosts.map((h) => new Host(h)));
}
