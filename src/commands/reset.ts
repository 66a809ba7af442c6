import { defineCommand } from '../cli/context.js';
import { backupOptions, runDestructive } from './destructive.js';

export const resetCommand = defineCommand({
  name: 'reset',
  summary: 'Back up, then kubeadm reset and clean every node (playbooks/reset.yaml); needs --yes',
  usage: 'reset -i FILE [--limit HOSTS] [--without-fresh-snapshot] --yes',
  description:
    'First backs up /etc/kubernetes (PKI, kubeconfigs, kubeadm config) and an etcd snapshot to /var/backups/kubesmith on the node and ' +
    '.kubesmith/<cluster>/ on this machine, then drains and deletes each node through the API, runs `kubeadm reset -f` and removes what ' +
    'kubeadm leaves: /etc/cni/net.d, /var/lib/cni, /run/flannel, CNI interfaces, IPVS tables, the Kubernetes iptables chains (KUBE-*, ' +
    'FLANNEL*, CILIUM*; built-in chains and policies are never touched) and ~/.kube/config. Workers first, control planes last. ' +
    'etcd data is never deleted: /var/lib/etcd/member is kept in /var/lib/etcd-kept/<host>-<stamp>/ (hard links) before kubeadm reset. With no ' +
    'healthy etcd member no fresh snapshot can be taken, and reset stops before changing anything unless --without-fresh-snapshot. ' +
    '--limit prints the hosts it selected. Without --yes it prints the plan, changes nothing and exits 2.',
  examples: ['kubesmith reset -i cluster.yaml', 'kubesmith reset -i cluster.yaml --limit worker3 --yes'],
  flags: {
    'without-fresh-snapshot': {
      type: 'boolean',
      description:
        'reset even when no etcd member is healthy (no fresh snapshot): you accept restoring from an older snapshot or from the kept etcd data',
    },
  },
  runsPlaybook: true,
  async run(ctx) {
    return runDestructive(ctx, 'reset', 'reset', {
      ...(await backupOptions(ctx)),
      withoutFreshSnapshot: ctx.values['without-fresh-snapshot'] === true,
    });
  },
});
