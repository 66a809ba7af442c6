/**
 * A command's view of the cluster it works on, made once per command by the CLI (`ctx.cluster()`): the inventory
 * loaded once (its warnings printed once), the hosts, where the admin machine keeps this cluster's files, and the
 * one way to open connections. Commands that run several playbooks or checks share it.
 */
import { resolve } from 'node:path';
import type { CommandContext, ConnectionsFactory, HostConnections } from '../cli/context.js';
import type { Inventory, LoadedInventory } from '../inventory/index.js';
import { Host, Hosts } from '../model/host.js';
import type { CommandRecord } from '../transport/ssh.js';
import { ConnectionPool } from '../transport/index.js';
import { loadInventoryFor } from './run-playbook.js';

export interface Cluster {
  loaded: LoadedInventory;
  inventory: LoadedInventory['inventory'];
  hosts: Hosts;
  /** The admin machine's directory for this cluster: <cwd>/.kubesmith/<cluster name>/ (admin.conf, backups, snapshots). */
  adminDir: string;
  /** Connections to the hosts (SSH, or the recording transports tests inject); every command record goes to onCommand. */
  connect(onCommand?: (rec: CommandRecord) => void): HostConnections;
}

/** How a command opens connections: the transports tests inject, else SSH. */
export function connectionsFactory(ctx: Pick<CommandContext, 'connections'>): ConnectionsFactory {
  return ctx.connections ?? ((inventory, opts) => new ConnectionPool(inventory, { ...opts, env: opts.env as NodeJS.ProcessEnv }));
}

/** Every host of an inventory. */
export const hostsOf = (inventory: Inventory): Hosts => new Hosts(inventory.spec.hosts.map((h) => new Host(h)));

/** Load -i FILE once for the command (InventoryError propagates: the CLI prints every issue and exits 2). */
export async function openCluster(ctx: Omit<CommandContext, 'cluster'>): Promise<Cluster> {
  // The SSH pool reads the key files: a wrong keyPath fails here, at its line, before any connection.
  const loaded = await loadInventoryFor(ctx, { keys: !ctx.connections });
  const factory = connectionsFactory(ctx);
  return {
    loaded,
    inventory: loaded.inventory,
    hosts: hostsOf(loaded.inventory),
    adminDir: resolve(ctx.cwd, '.kubesmith', loaded.inventory.metadata.name),
    connect: (onCommand = () => {}) => factory(loaded.inventory, { inventoryDir: loaded.dir, onCommand, env: ctx.env }),
  };
}
