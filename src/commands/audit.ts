/** `kubesmith audit -i FILE`: the known hazards of a hand-built cluster, read-only, with the fix for each. */
import { defineCommand } from '../cli/context.js';
import { auditCluster } from '../audit/run.js';
import { runChecks, warnDays } from './check-command.js';

export const auditCommand = defineCommand({
  name: 'audit',
  summary: 'Find the hazards of a hand-built cluster (anonymous admin, copied certificates, dead repos …); read-only',
  usage: 'audit -i FILE [--warn-days N] [--output json]',
  description: `Reads every host over SSH and the API through a control plane (kubectl with admin.conf); changes nothing.
Each finding has a severity, what was seen and the fix kubesmith offers:
  cluster-admin (or any role) bound to system:anonymous / system:unauthenticated;
  apiserver, etcd server and etcd peer certificates whose SANs do not name the node they are on (copied);
  no controlPlaneEndpoint in kubeadm-config; the service subnet overlapping the pod subnet;
  dockershim-era Docker (kubelet flags, dockershim socket) on Kubernetes >= 1.24 (or an upgrade to it);
  Google's removed package repositories and the old Aliyun tree in apt sources / yum repos;
  containerd past its end of life; certificates and CAs expired or expiring within --warn-days; swap on.
Exit codes follow the monitoring-plugin convention, as certs check:
  0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (a host or the API could not be read). CRITICAL wins over UNKNOWN.`,
  examples: ['kubesmith audit -i cluster.yaml', 'kubesmith audit -i cluster.yaml --output json'],
  flags: {
    'warn-days': { type: 'string', valueName: 'N', description: 'WARNING when a certificate expires within N days (default 30)' },
  },
  positionals: [0, 0],
  async run(ctx) {
    return runChecks(ctx, 'audit', (cluster, pool) => auditCluster(cluster, pool, { now: ctx.now(), warnDays: warnDays(ctx) }));
  },
});
