/** `kubesmith kubeconfig -i FILE`: print the cluster's admin.conf, read over SSH from the first control plane. */
import { defineCommand } from '../cli/context.js';
import { ADMIN_CONF } from '../render/views.js';

export const kubeconfigCommand = defineCommand({
  name: 'kubeconfig',
  summary: "Print the cluster's admin kubeconfig (read over SSH from the first control plane)",
  usage: 'kubeconfig -i FILE',
  description: `Reads ${ADMIN_CONF} on the first control plane of the inventory and prints it. It grants full admin rights: store it with mode 0600.`,
  examples: [
    'kubesmith kubeconfig -i cluster.yaml > ~/.kube/demo.conf',
    'KUBECONFIG=<(kubesmith kubeconfig -i cluster.yaml) kubectl get nodes',
  ],
  async run(ctx) {
    const cluster = await ctx.cluster();
    const first = cluster.hosts.firstControlPlane;
    const pool = cluster.connect();
    try {
      const t = await pool.get(first);
      const conf = await t.readFile(ADMIN_CONF);
      if (!conf) {
        ctx.out.stderr.write(`${first.name}: ${ADMIN_CONF} does not exist; run \`kubesmith apply -i ${ctx.flags.inventory}\` first\n`);
        return 1;
      }
      ctx.out.stdout.write(conf.toString('utf8'));
      return 0;
    } finally {
      await pool.closeAll();
    }
  },
});
