import { defineCommand } from '../cli/context.js';
import { executePlaybook } from './run-playbook.js';
import { planUpgrade, upgradeFlags } from './upgrade.js';
import { planRotateCa } from './certs-rotate.js';

export const planCommand = defineCommand({
  name: 'plan',
  summary: 'Connect, gather facts, run every check and show what would change — writing nothing',
  usage: 'plan -i FILE [PLAYBOOK]',
  description:
    'Runs the read-only check of every step of PLAYBOOK (default: apply) and prints, per host, the changes with file diffs. ' +
    'No task is applied: nothing is written on any host. Steps that depend on earlier ones show as "unknown until … runs".',
  examples: [
    'kubesmith plan -i cluster.yaml',
    'kubesmith plan -i cluster.yaml --limit worker3',
    'kubesmith plan -i cluster.yaml reset --output json > plan.jsonl',
    "kubesmith plan -i cluster.yaml upgrade   # the upgrade route, each node's steps and every blocker (exit 2 when blocked)",
    "kubesmith plan -i cluster.yaml certs-rotate-ca   # each node's stage in the CA rotation and every step left",
  ],
  runsPlaybook: true,
  takesPlaybook: true,
  positionals: [0, 1],
  async run(ctx) {
    // `plan upgrade`: the upgrade's route, each node's steps and every blocker (the same as `upgrade --plan`)
    if (ctx.positionals[0] === 'upgrade') return (await planUpgrade(ctx, await upgradeFlags(ctx))).code ?? 0;
    // `plan certs-rotate-ca`: each node's stage in the CA rotation and every step left (the same as `certs rotate-ca --plan`)
    if (ctx.positionals[0] === 'certs-rotate-ca') return planRotateCa(ctx);
    const playbook = ctx.positionals[0] ?? 'apply';
    const { code } = await executePlaybook(ctx, { playbook, dryRun: true, converge: playbook === 'apply' });
    return code;
  },
});
