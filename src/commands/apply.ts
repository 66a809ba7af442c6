import { resolve } from 'node:path';
import type { CommandSpec } from '../cli/context.js';
import { executePlaybook } from './run-playbook.js';

export const applyCommand: CommandSpec = {
  name: 'apply',
  summary: 'Build or converge the cluster described by the inventory (playbooks/apply.yaml)',
  usage: 'apply -i FILE',
  description: 'Runs check → apply → verify for every step on every host. Running it twice changes nothing the second time.',
  examples: ['kubesmith apply -i cluster.yaml', 'kubesmith apply -i cluster.yaml --limit worker4 --concurrency 5', 'kubesmith apply -i cluster.yaml --output json', 'kubesmith apply -i cluster.yaml --kubeconfig-out ~/.kube/prod.conf'],
  flags: {
    'kubeconfig-out': {
      type: 'string',
      valueName: 'FILE',
      description: 'Where to write the cluster admin kubeconfig on this machine (default .kubesmith/<cluster>/admin.conf, mode 0600)',
    },
  },
  runsPlaybook: true,
  async run(ctx) {
    const out = ctx.values['kubeconfig-out'];
    const options = typeof out === 'string' ? { kubeconfigOut: resolve(ctx.cwd, out) } : {};
    const { code } = await executePlaybook(ctx, { playbook: 'apply', dryRun: false, options });
    return code;
  },
};
