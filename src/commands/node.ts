import { defineCommand } from '../cli/context.js';
import { UsageError } from '../cli/context.js';
import { backupOptions, refuseLimit, runDestructive } from './destructive.js';

export const nodeCommand = defineCommand({
  name: 'node',
  summary: 'node remove NAME: cordon, drain, delete, drop its etcd member, reset and clean it; needs --yes',
  usage: 'node remove NAME -i FILE --yes',
  description:
    'Touches only the host named NAME (by name, never a role; --limit is refused), plus API and etcd calls through another control plane. Remove the host from the inventory afterwards. ' +
    'Without --yes it prints the plan and exits 2.',
  examples: ['kubesmith node remove worker3 -i cluster.yaml --yes'],
  subcommands: ['remove'],
  positionals: [2, 2],
  runsPlaybook: true,
  async run(ctx) {
    const [verb, name] = ctx.positionals;
    if (verb !== 'remove' || !name) throw new UsageError('usage: kubesmith node remove NAME -i FILE --yes');
    refuseLimit(ctx, `node remove ${name}`);
    const { hosts, inventory } = await ctx.cluster();
    const host = hosts.byName(name);
    if (!host) throw new UsageError(`node remove ${name}: no such host in the inventory`);
    if (hosts.firstControlPlane.name === name) {
      throw new UsageError(
        `${name} is the first control plane, through which kubesmith reaches the API: list another control plane first in the inventory, then retry`,
      );
    }
    if (host.isControlPlane && hosts.controlPlanes.length === 1)
      throw new UsageError(`${name} is the only control plane: use \`kubesmith reset\``);
    const code = await runDestructive(ctx, 'node-remove', `node remove ${name}`, { ...(await backupOptions(ctx)), nodeName: name }, name);
    if (code !== 0) return code;
    ctx.out.stderr.write(`${name} removed; delete it from ${ctx.flags.inventory} so later runs leave it alone.\n`);
    if (host.isControlPlane && inventory.spec.kubernetes.loadBalancer?.type === 'local')
      ctx.out.stderr.write(
        `The workers' API proxies still list ${name} (their health checks keep it out); after deleting it from the inventory, run \`kubesmith apply\` to rewrite them.\n`,
      );
    return code;
  },
});
