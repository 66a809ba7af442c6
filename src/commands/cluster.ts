/**
 * A command's view of the cluster it works on, made once per command by the CLI (`ctx.cluster()`): the inventory
 * loaded once (its warnings printed once), the hosts, where the admin machine keeps this cluster's files, and the
 * one way to open connections. Commands that run several playbooks or checks share it.
 */
import { resolve } from 'node:path';
import { UsageError, type CommandContext, type HostConnections } from '../cli/context.js';
import { formatIssue, loadInventory, type LoadedInventory } from '../inventory/index.js';
import { Host, Hosts } from '../model/host.js';
import type { CommandRecord } from '../transport/ssh.js';
import { ConnectionPool } from '../transport/index.js';

export interface Cluster {
  loaded: LoadedInventory;
  inventory: LoadedInventory['inventory'];
  hosts: Hosts;
  /** The admin machine's directory for this cluster: <cwd>/.kubesmith/<cluster name>/ (admin.conf, backups, snapshots). */
  adminDir: string;
  /** Connections to the hosts (SSH, or the recording transports tests inject); every command record goes to onCommand. */
  connect(onCommand?: (rec: CommandRecord) => void): HostConnections;
}

/** Load -i FILE (InventoryError propagates: the CLI prints every issue and exits 2); warnings go to stderr, once. */
export async function openCluster(ctx: Omit<CommandContext, 'cluster'>): Promise<Cluster> {
  if (!ctx.flags.inventory) throw new UsageError('missing -i/--inventory FILE');
  const loaded = await loadInventory(ctx.flags.inventory);
  for (const w of loaded.warnings) ctx.out.stderr.write(formatIssue(w) + '\n'); // stderr: stdout stays JSON-only
  const factory = ctx.connections ?? ((inventory, opts) => new ConnectionPool(inventory, { ...opts, env: opts.env as NodeJS.ProcessEnv }));
  return {
    loaded,
    inventory: loaded.inventory,
    hosts: new Hosts(loaded.inventory.spec.hosts.map((h) => new Host(h))),
    adminDir: resolve(ctx.cwd, '.kubesmith', loaded.inventory.metadata.name),
    connect: (onCommand = () => {}) => factory(loaded.inventory, { inventoryDir: loaded.dir, onCommand, env: ctx.env }),
  };
}
