import { join, resolve } from 'node:path';
import { defineCommand } from '../cli/context.js';
import { executePlaybook, type RunSession } from './run-playbook.js';
import { localKubeconfigPath } from '../tasks/controlplane/kubeconfig.js';
import { kubectl } from '../tasks/common/cluster.js';
import { buildSummary, formatSummary, type Summary } from '../ui/summary.js';

/** Read-only, after a successful run: the nodes from kubectl on the first control plane, over the run's own SSH connection. */
export async function readSummary(s: RunSession, options: Record<string, unknown>): Promise<Summary> {
  let nodesJson: string | undefined;
  try {
    const t = await s.connect(s.hosts.firstControlPlane);
    const res = await t.exec(kubectl('get', 'nodes', '-o', 'json'), { allowFailure: true, timeoutMs: 30_000 });
    if (res.code === 0) nodesJson = res.stdout;
  } catch {
    nodesJson = undefined; // the summary says the API could not be read
  }
  const kubeconfig = localKubeconfigPath({ options, inventory: s.inventory });
  return buildSummary(s.inventory, { ...(nodesJson ? { nodesJson } : {}), kubeconfig, recap: s.result.recap });
}

export const applyCommand = defineCommand({
  name: 'apply',
  summary: 'Build or converge the cluster described by the inventory (playbooks/apply.yaml)',
  usage: 'apply -i FILE',
  description:
    'Runs check → apply → verify for every step on every host. Running it twice changes nothing the second time. Ends with a summary: nodes, roles, versions, kubeconfig path, time per phase.',
  examples: [
    'kubesmith apply -i cluster.yaml',
    'kubesmith apply -i cluster.yaml --limit worker4 --concurrency 5',
    'kubesmith apply -i cluster.yaml --output json',
    'kubesmith apply -i cluster.yaml --kubeconfig-out ~/.kube/prod.conf',
  ],
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
    // the admin machine's copy goes where `certs check` and `certs renew` look for it (relative to the command's cwd)
    const { adminDir } = await ctx.cluster();
    const options = { kubeconfigOut: typeof out === 'string' ? resolve(ctx.cwd, out) : join(adminDir, 'admin.conf') };
    let summary: Summary | undefined;
    const beforeClose = async (s: RunSession) => {
      if (s.result.ok) summary = await readSummary(s, options);
    };
    const { code } = await executePlaybook(ctx, { playbook: 'apply', dryRun: false, options, beforeClose, converge: true });
    if (summary)
      ctx.out.stdout.write(
        ctx.flags.output === 'text' ? '\n' + formatSummary(summary, { color: ctx.out.color }) : JSON.stringify(summary) + '\n',
      );
    return code;
  },
});
