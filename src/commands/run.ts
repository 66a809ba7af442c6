import { defineCommand } from '../cli/context.js';
import { executePlaybook } from './run-playbook.js';

export const runCommand = defineCommand({
  name: 'run',
  summary: 'Run one playbook (a name under playbooks/ or a path to a .yaml file)',
  usage: 'run -i FILE PLAYBOOK',
  description: 'PLAYBOOK is a name under playbooks/ (apply, reset, ...) or a path to a playbook file.',
  examples: ['kubesmith run -i cluster.yaml apply', 'kubesmith run -i cluster.yaml ./my-playbook.yaml --limit cp1'],
  runsPlaybook: true,
  takesPlaybook: true,
  positionals: [1, 1],
  async run(ctx) {
    const { code } = await executePlaybook(ctx, { playbook: ctx.positionals[0]!, dryRun: false });
    return code;
  },
});
