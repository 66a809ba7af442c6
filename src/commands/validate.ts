import { defineCommand } from '../cli/context.js';
import { loadInventoryFor } from './run-playbook.js';

export const validateCommand = defineCommand({
  name: 'validate',
  summary: 'Check an inventory file without connecting to any host',
  usage: 'validate -i FILE',
  description: 'Checks shape, defaults and cross-field rules. Every problem is printed as FILE:LINE:COL field.path: message.',
  examples: ['kubesmith validate -i inventory/example.yaml', 'kubesmith validate -i prod.yaml --output json'],
  async run(ctx) {
    // validate also checks the files the inventory names on this machine (SSH keys, the offline bundle).
    const loaded = await loadInventoryFor(ctx, { keys: true, bundle: true });
    const spec = loaded.inventory.spec;
    const cps = spec.hosts.filter((h) => h.roles.includes('control-plane')).length;
    const workers = spec.hosts.filter((h) => h.roles.includes('worker')).length;
    if (ctx.flags.output === 'json') {
      ctx.out.stdout.write(
        JSON.stringify({
          type: 'validate',
          ok: true,
          file: loaded.file,
          hosts: spec.hosts.length,
          controlPlanes: cps,
          workers,
          warnings: loaded.warnings,
        }) + '\n',
      );
    } else {
      ctx.out.stdout.write(
        `${loaded.file}: valid — ${spec.hosts.length} host${spec.hosts.length === 1 ? '' : 's'} (${cps} control plane${cps === 1 ? '' : 's'}, ${workers} worker${workers === 1 ? '' : 's'}), ` +
          `Kubernetes ${spec.kubernetes.version}, ${spec.containerRuntime.type}, network ${spec.network.plugin}` +
          (loaded.warnings.length ? `, ${loaded.warnings.length} warning${loaded.warnings.length === 1 ? '' : 's'}` : '') +
          '\n',
      );
    }
    return 0;
  },
});
