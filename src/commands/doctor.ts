/**
 * `kubesmith doctor -i FILE`: a diagnosis of a running cluster, with exit codes like `certs check`; read-only apart
 * from the short-lived test pods of the reachability checks, which it deletes again.
 */
import { defineCommand } from '../cli/context.js';
import { DEFAULT_PROBE_IMAGE, PROBE_NAMESPACE } from '../doctor/probe-objects.js';
import type { ProbeOptions } from '../doctor/reachability.js';
import { doctorCluster } from '../doctor/run.js';
import { runChecks } from './check-command.js';

function probeOptions(image: string | undefined, noProbe: boolean | undefined): ProbeOptions | undefined {
  if (noProbe) return undefined;
  if (image !== undefined && !/^[\w.-]+(:\d+)?(\/[\w.-]+)*(:[\w.-]+)?(@sha256:[a-f0-9]{64})?$/.test(image))
    throw new Error(`--probe-image: "${image}" is not an image reference`);
  return { image: image ?? DEFAULT_PROBE_IMAGE, startTimeoutMs: 180_000, probeTimeoutSeconds: 2 };
}

export const doctorCommand = defineCommand({
  name: 'doctor',
  summary: 'Diagnose a running cluster: nodes, etcd, control plane, DNS, kube-proxy, CNI, host networking, pod reachability',
  usage: 'doctor -i FILE [--output json] [--probe-image IMAGE | --no-probe]',
  description: `Reads the API through a control plane (kubectl with admin.conf), etcd through a healthy member and every host
over SSH. Read-only, except for the reachability test: one short-lived pod per Ready node (pinned with nodeName,
image ${DEFAULT_PROBE_IMAGE} or --probe-image; it must be pullable or already on the nodes) and a Service in front
of each, all in the namespace ${PROBE_NAMESPACE} labelled app.kubernetes.io/managed-by=kubesmith, which doctor
deletes when it is done (and first, if an earlier run was killed; a namespace of that name without those labels
is left alone). --no-probe creates nothing. Checks:
  nodes registered, Ready, without pressure; etcd members healthy with a leader; the control-plane static pods;
  CoreDNS; kube-proxy on every node (and its mode); the CNI agent on every node;
  flannel's chosen address (node annotation flannel.alpha.coreos.com/public-ip) against the inventory address
  (multi-NIC hosts: the seed runbook's --iface note); flannel.1's MTU against the NIC under it;
  br_netfilter, net.bridge.bridge-nf-call-iptables and net.ipv4.ip_forward; flannel's hairpinMode;
  from each node's test pod, every other node's test pod (pod IP) and its Service (ClusterIP), one finding per
  node pair that fails (the seed runbook's busybox check).
Exit codes follow the monitoring-plugin convention, as certs check:
  0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (a host or the API could not be read). CRITICAL wins over UNKNOWN.`,
  examples: [
    'kubesmith doctor -i cluster.yaml',
    'kubesmith doctor -i cluster.yaml --output json',
    'kubesmith doctor -i cluster.yaml --probe-image registry.example.com/library/busybox:1.36.1',
  ],
  positionals: [0, 0],
  flags: {
    'probe-image': {
      type: 'string',
      valueName: 'IMAGE',
      description: `image of the reachability test pods (default ${DEFAULT_PROBE_IMAGE}; a busybox with httpd and wget)`,
    },
    'no-probe': { type: 'boolean', description: 'skip the reachability test: create no test pods (doctor then changes nothing)' },
  },
  async run(ctx) {
    const probe = probeOptions(ctx.values['probe-image'], ctx.values['no-probe']);
    return runChecks(ctx, 'doctor', (cluster, pool) => doctorCluster(cluster, pool, { probe }));
  },
});
