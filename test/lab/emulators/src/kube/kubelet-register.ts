// The kubelet registers its own Node when it starts with a working client identity (kubelet.go registerWithAPIServer,
// run from its node status loop until registration completes once per kubelet process): kubeadm join only starts the
// kubelet and waits. So a join killed after the kubelet started still leaves a registered Node, as on a real host.
// The kubelet registers with its --node-labels and no role: kubeadm's mark-control-plane phase adds those later.
import type { Cluster } from './cluster-state.js';
import { updateState } from './cluster-state.js';
import { hostIP, hostName, readText } from './lab.js';
import { parseKubeconfig } from './kubeadm-pki.js';
import { certInfo } from './pki.js';
import { newNode } from './kubeadm-init.js';
import { DEFAULT_CRI_SOCKET } from './host-probe.js';
import { binaryVersion } from './kube-versions.js';

/** --flag=value pairs of /var/lib/kubelet/kubeadm-flags.env (what kubeadm wrote for this kubelet). */
export function kubeadmFlags(text: string): Record<string, string> {
  const args = /KUBELET_KUBEADM_ARGS="([^"]*)"/.exec(text)?.[1] ?? '';
  return Object.fromEntries(
    args
      .split(/\s+/)
      .filter((a) => a.startsWith('--'))
      .map((a) => {
        const i = a.indexOf('=');
        return i === -1 ? [a.slice(2), 'true'] : [a.slice(2, i), a.slice(i + 1)];
      }),
  );
}

/** The node name of the kubelet's client certificate (system:node:NAME), else the host name. */
function clientNodeName(): string {
  try {
    const cert = parseKubeconfig(readText('/etc/kubernetes/kubelet.conf') ?? '').cert;
    const cn = cert ? certInfo(cert).cn : '';
    if (cn.startsWith('system:node:')) return cn.slice('system:node:'.length);
  } catch {
    /* fall back to the host name, the kubelet's default */
  }
  return hostName();
}

/** Registers this host's Node in cluster c unless one exists (a start of the kubelet with a valid client identity). */
export function registerThisNode(c: Cluster): void {
  if (Object.values(c.nodes).some((n) => n.host === hostName())) return;
  const flags = kubeadmFlags(readText('/var/lib/kubelet/kubeadm-flags.env') ?? '');
  const { 'container-runtime-endpoint': criSocket, ...extra } = flags;
  const id = {
    name: clientNodeName(),
    address: flags['node-ip'] ?? hostIP(),
    bindPort: 6443,
    criSocket: criSocket ?? DEFAULT_CRI_SOCKET,
    kubeletExtraArgs: extra,
  };
  updateState((s) => {
    const cl = s.clusters[c.id];
    if (!cl || Object.values(cl.nodes).some((n) => n.host === hostName()) || cl.nodes[id.name]) return;
    cl.nodes[id.name] = newNode(cl, id, [], binaryVersion('kubelet'));
  });
}
