/** `kubesmith doctor -i FILE`: a read-only diagnosis of a running cluster, with exit codes like `certs check`. */
import { defineCommand } from '../cli/context.js';
import { doctorCluster } from '../doctor/run.js';
import { runChecks } from './check-command.js';

export const doctorCommand = defineCommand({
  name: 'doctor',
  summary: 'Diagnose a running cluster: nodes, etcd, control plane, DNS, kube-proxy, CNI, host networking; read-only',
  usage: 'doctor -i FILE [--output json]',
  description: `Reads the API through a control plane (kubectl with admin.conf), etcd through a healthy member and every host
over SSH; changes nothing. Checks:
  nodes registered, Ready, without pressure; etcd members healthy with a leader; the control-plane static pods;
  CoreDNS; kube-proxy on every node (and its mode); the CNI agent on every node;
  flannel's chosen address (node annotation flannel.alpha.coreos.com/public-ip) against the inventory address
  (multi-NIC hosts: the seed runbook's --iface note); flannel.1's MTU against the NIC under it;
  br_netfilter, net.bridge.bridge-nf-call-iptables and net.ipv4.ip_forward; flannel's hairpinMode.
Not yet: pod-to-pod and pod-to-Service reachability with a test pod per node.
Exit codes follow the monitoring-plugin convention, as certs check:
  0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (a host or the API could not be read). CRITICAL wins over UNKNOWN.`,
  examples: ['kubesmith doctor -i cluster.yaml', 'kubesmith doctor -i cluster.yaml --output json'],
  positionals: [0, 0],
  async run(ctx) {
    return runChecks(ctx, 'doctor', (cluster, pool) => doctorCluster(cluster, pool));
  },
});
