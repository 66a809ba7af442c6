/**
 * doctor's API-level checks as pure functions: nodes and their conditions, control-plane static pods, CoreDNS,
 * kube-proxy, the CNI's pods on every node. Inventory hosts in, API objects in, outcomes out.
 */
import type { ApiNode } from '../audit/api.js';
import { oneFinding, type CheckOutcome, type Finding } from '../checks/report.js';
import type { ApiPod } from './api.js';

export interface Expected {
  name: string;
  controlPlane: boolean;
  address: string;
}

const PRESSURES = ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'NetworkUnavailable'];

export function nodeConditions(hosts: Expected[], nodes: ApiNode[]): CheckOutcome {
  const id = 'nodes';
  const findings: Finding[] = [];
  const f = (severity: Finding['severity'], node: string, message: string, evidence: string[], fix: string) =>
    findings.push({ check: id, severity, node, message, evidence, fix });
  for (const h of hosts) {
    const n = nodes.find((x) => x.name === h.name);
    if (!n) {
      f(
        'critical',
        h.name,
        'no Node object: the host never joined, or joined under another name',
        [`kubectl get nodes: ${nodes.map((x) => x.name).join(', ') || 'none'}`],
        '`kubesmith apply` joins it',
      );
      continue;
    }
    const ready = n.conditions.find((c) => c.type === 'Ready');
    if (ready?.status !== 'True')
      f(
        'critical',
        h.name,
        `not Ready (${ready?.reason || 'no Ready condition'})`,
        [`Ready=${ready?.status ?? '?'}: ${ready?.message ?? ''}`],
        'see `journalctl -u kubelet` on the node; a CNI or runtime problem shows in the checks below',
      );
    for (const c of n.conditions.filter((x) => PRESSURES.includes(x.type) && x.status === 'True'))
      f('warning', h.name, `${c.type} is True (${c.reason})`, [c.message], 'free the resource; the kubelet evicts pods under pressure');
  }
  return { id, title: 'Nodes: every host registered, Ready, no pressure', info: `${nodes.length} node(s)`, findings };
}

const podLine = (p: ApiPod) =>
  `${p.namespace}/${p.name} on ${p.node || '(unscheduled)'}: ${p.phase}${p.ready ? ', ready' : ', not ready'}${p.waiting ? ` (${p.waiting})` : ''}${p.restarts ? `, ${p.restarts} restarts` : ''}`;

export function controlPlanePods(hosts: Expected[], pods: ApiPod[]): CheckOutcome {
  const id = 'control-plane';
  const findings: Finding[] = [];
  for (const h of hosts.filter((x) => x.controlPlane)) {
    for (const comp of ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler']) {
      const p = pods.find((x) => x.namespace === 'kube-system' && x.name === `${comp}-${h.name}`);
      if (p?.phase === 'Running' && p.ready) continue;
      findings.push({
        check: id,
        severity: 'critical',
        node: h.name,
        message: p
          ? `${comp} is not running and ready`
          : `no ${comp} mirror pod (the kubelet does not run /etc/kubernetes/manifests/${comp}.yaml)`,
        evidence: p ? [podLine(p)] : [],
        fix: `look at its container on the node: crictl ps -a --name ${comp}; crictl logs <id>`,
      });
    }
  }
  return { id, title: 'Control plane: etcd, API server, controller-manager, scheduler running on every control plane', findings };
}

/** Pods of a DaemonSet-like component on every node: missing or not ready is CRITICAL. */
function perNode(id: string, title: string, hosts: Expected[], pods: ApiPod[], what: string, fix: string): CheckOutcome {
  const findings: Finding[] = [];
  for (const h of hosts) {
    const mine = pods.filter((p) => p.node === h.name);
    if (mine.some((p) => p.phase === 'Running' && p.ready)) continue;
    findings.push({
      check: id,
      severity: 'critical',
      node: h.name,
      message: mine.length ? `the ${what} pod is not running and ready` : `no ${what} pod on this node`,
      evidence: mine.map(podLine),
      fix,
    });
  }
  return { id, title, findings };
}

export function coreDns(pods: ApiPod[]): CheckOutcome {
  const id = 'coredns';
  const dns = pods.filter((p) => p.namespace === 'kube-system' && p.labels['k8s-app'] === 'kube-dns');
  const ready = dns.filter((p) => p.phase === 'Running' && p.ready);
  const title = 'CoreDNS: replicas running and ready';
  if (!dns.length)
    return oneFinding(id, title, {
      severity: 'critical',
      message: 'no CoreDNS pods (k8s-app=kube-dns): Service names do not resolve',
      evidence: [],
      fix: '`kubesmith apply` (kubeadm installs CoreDNS at init)',
    });
  const findings: Finding[] =
    ready.length === dns.length
      ? []
      : [
          {
            check: id,
            severity: ready.length ? 'warning' : 'critical',
            message: `${ready.length} of ${dns.length} CoreDNS pods ready`,
            evidence: dns.filter((p) => !ready.includes(p)).map(podLine),
            fix: 'kubectl -n kube-system logs deploy/coredns; a pod that cannot reach the API is usually a CNI or kube-proxy problem (checks below)',
          },
        ];
  return { id, title, info: `${ready.length}/${dns.length} ready`, findings };
}

export function kubeProxy(hosts: Expected[], pods: ApiPod[], mode: string | null): CheckOutcome {
  const title = 'kube-proxy: running on every node';
  if (mode === null && !pods.some((p) => p.labels['k8s-app'] === 'kube-proxy'))
    return { id: 'kube-proxy', title, skipped: 'no kube-proxy (the CNI replaces it)', findings: [] };
  const out = perNode(
    'kube-proxy',
    title,
    hosts,
    pods.filter((p) => p.namespace === 'kube-system' && p.labels['k8s-app'] === 'kube-proxy'),
    'kube-proxy',
    'kubectl -n kube-system logs <pod>; Services do not work on this node meanwhile',
  );
  return { ...out, info: `mode ${mode || 'iptables (default)'}` };
}

/** The CNI's agent pods: flannel (kube-flannel namespace or app=flannel) or cilium (k8s-app=cilium). */
export function cniPods(hosts: Expected[], pods: ApiPod[]): CheckOutcome {
  const flannel = pods.filter((p) => p.labels.app === 'flannel' || p.namespace === 'kube-flannel');
  const cilium = pods.filter((p) => p.labels['k8s-app'] === 'cilium');
  const [name, agents] = flannel.length ? ['flannel', flannel] : cilium.length ? ['cilium', cilium] : ['CNI', []];
  return perNode(
    'cni',
    `CNI: the ${name} agent running on every node`,
    hosts,
    agents,
    name,
    `kubectl logs the ${name} pod of that node; until it runs, pods there get no network`,
  );
}
