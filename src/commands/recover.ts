import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineCommand } from '../cli/context.js';
import { UsageError } from '../cli/context.js';
import { backupOptions, refuseLimit, runDestructive } from './destructive.js';
import { parseAge } from '../tasks/recover/snapshot-age.js';

export const recoverCommand = defineCommand({
  name: 'recover',
  summary: 'Rebuild the cluster from the PKI backup and an etcd snapshot, or one lost node (--node); needs --yes',
  usage: 'recover -i FILE [--from-snapshot FILE | --max-snapshot-age AGE | --node NAME] --yes',
  description:
    'Whole cluster: keeps the CA (existing kubeconfigs stay valid), resets every node, restores the etcd snapshot into a fresh data dir ' +
    '(--from-snapshot, else one taken now from a healthy member, else the newest in .kubesmith/<cluster>/etcd/ if no older than ' +
    '--max-snapshot-age; the plan names it with its age and revision), keeps every etcd data dir it replaces in /var/lib/etcd-kept/, runs kubeadm init from ' +
    'the saved config, re-joins control planes and workers, re-applies the CNI and checks nodes Ready and workloads back. Interrupted? ' +
    "Run it again: it continues. --node NAME: removes that node's etcd member and Node, resets it and joins it again; no other host " +
    'is touched beyond API/etcd calls on a healthy control plane. Without --yes it prints the plan and exits 2.',
  examples: [
    'kubesmith recover -i cluster.yaml --from-snapshot .kubesmith/demo/etcd/20260101T000000Z-cp1.db --yes',
    'kubesmith recover -i cluster.yaml --node cp3 --yes',
  ],
  flags: {
    'from-snapshot': { type: 'string', valueName: 'FILE', description: 'etcd snapshot on this machine to restore' },
    'max-snapshot-age': {
      type: 'string',
      valueName: 'AGE',
      description: 'refuse a snapshot recover picks itself when older than this (e.g. 24h, 90m, 2d; default 24h)',
    },
    node: { type: 'string', valueName: 'NAME', description: 'recover only this node (reset and re-join it)' },
  },
  runsPlaybook: true,
  async run(ctx) {
    const from = ctx.values['from-snapshot'];
    const node = ctx.values.node;
    if (typeof from === 'string' && typeof node === 'string') throw new UsageError('--from-snapshot and --node do not go together');
    const options = await backupOptions(ctx);
    const maxAge = ctx.values['max-snapshot-age'];
    if (typeof maxAge === 'string') {
      const ms = parseAge(maxAge);
      if (!ms) throw new UsageError(`--max-snapshot-age expects a duration such as 24h, 90m or 2d, got "${maxAge}"`);
      if (typeof from === 'string' || typeof node === 'string')
        throw new UsageError('--max-snapshot-age applies to the snapshot recover picks itself: not with --from-snapshot or --node');
      options.maxSnapshotAgeMs = ms;
    }
    if (typeof node === 'string') {
      refuseLimit(ctx, `recover --node ${node}`);
      const { hosts } = await ctx.cluster();
      if (!hosts.byName(node)) throw new UsageError(`--node ${node}: no such host in the inventory`);
      if (hosts.firstControlPlane.name === node) {
        throw new UsageError(
          `--node ${node} is the first control plane, through which kubesmith reaches the API: list a healthy control plane first in the inventory, then retry`,
        );
      }
      return runDestructive(ctx, 'recover-node', `recover --node ${node}`, { ...options, nodeName: node }, node);
    }
    if (typeof from === 'string') {
      const path = resolve(ctx.cwd, from);
      if (!existsSync(path)) throw new UsageError(`--from-snapshot ${from}: no such file`);
      options.fromSnapshot = path;
    }
    return runDestructive(ctx, 'recover', 'recover', options);
  },
});
