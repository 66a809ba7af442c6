/**
 * What `kubesmith import` reads from one control plane: the cluster's objects through kubectl with admin.conf, and
 * the control plane's own runtime files. Two round trips of read-only look-ups; nothing is written.
 */
import { ADMIN_CONF, kubectl } from '../tasks/common/cluster.js';
import { lookups, read, run } from '../transport/lookups.js';
import type { Transport } from '../transport/types.js';

export const CONTAINERD_CONFIG = '/etc/containerd/config.toml';
export const CERTS_D = '/etc/containerd/certs.d';
export const DOCKER_DAEMON = '/etc/docker/daemon.json';
export const ROOT_KUBECONFIG = '/root/.kube/config';

/** Text as read: null when the object or file does not exist (or kubectl failed). */
export interface RawCluster {
  nodes: string | null;
  kubeadmConfig: string | null;
  kubeletConfig: string | null;
  kubeProxy: string | null;
  daemonSets: string | null;
  flannelConfig: string | null;
  ciliumConfig: string | null;
  containerdConfig: string | null;
  dockerDaemon: string | null;
  /** certs.d/<registry>/hosts.toml → its text. */
  registryHosts: Record<string, string>;
  /** `sha256sum` of admin.conf and root's ~/.kube/config (their keys never leave the host). */
  adminHashes: string | null;
  /** The IPVS tools kube-proxy's ipvs mode needs that this control plane lacks (one name a line). */
  missingIpvsTools: string;
  /** Files of kubesmith-managed paths on this control plane (path → text or null), to predict the first plan. */
  managedFiles: Record<string, string | null>;
}

const getJson = (...args: string[]) => run(kubectl('get', ...args, '-o', 'json'));
const ok = (r: { code: number; stdout: string }) => (r.code === 0 ? r.stdout : null);

export async function gatherCluster(t: Transport, managedPaths: readonly string[]): Promise<RawCluster> {
  const [
    nodes,
    kubeadmConfig,
    kubeletConfig,
    kubeProxy,
    daemonSets,
    flannelNew,
    flannelOld,
    cilium,
    containerd,
    docker,
    hostsList,
    hashes,
    ipvs,
  ] = await lookups(t, [
    getJson('nodes'),
    getJson('-n', 'kube-system', 'configmap', 'kubeadm-config'),
    getJson('-n', 'kube-system', 'configmap', 'kubelet-config'),
    getJson('-n', 'kube-system', 'configmap', 'kube-proxy'),
    getJson('daemonsets', '--all-namespaces'),
    getJson('-n', 'kube-flannel', 'configmap', 'kube-flannel-cfg'),
    getJson('-n', 'kube-system', 'configmap', 'kube-flannel-cfg'),
    getJson('-n', 'kube-system', 'configmap', 'cilium-config'),
    read(CONTAINERD_CONFIG),
    read(DOCKER_DAEMON),
    run(['find', CERTS_D, '-mindepth', '2', '-maxdepth', '2', '-name', 'hosts.toml']),
    run(['sha256sum', ADMIN_CONF, ROOT_KUBECONFIG]),
    run(['sh', '-c', 'for c in ipset ipvsadm; do command -v "$c" >/dev/null || echo "$c"; done']),
  ]);
  const hostsFiles = ok(hostsList)?.split('\n').filter(Boolean).sort() ?? [];
  const second = await lookups(t, [...hostsFiles.map((f) => read(f)), ...managedPaths.map((p) => read(p))]);
  const registryHosts: Record<string, string> = {};
  hostsFiles.forEach((f, i) => {
    const text = second[i] as string | null;
    if (text !== null) registryHosts[f.slice(CERTS_D.length + 1, -'/hosts.toml'.length)] = text;
  });
  const managedFiles: Record<string, string | null> = {};
  managedPaths.forEach((p, i) => (managedFiles[p] = second[hostsFiles.length + i] as string | null));
  return {
    nodes: ok(nodes),
    kubeadmConfig: ok(kubeadmConfig),
    kubeletConfig: ok(kubeletConfig),
    kubeProxy: ok(kubeProxy),
    daemonSets: ok(daemonSets),
    flannelConfig: ok(flannelNew) ?? ok(flannelOld),
    ciliumConfig: ok(cilium),
    containerdConfig: containerd,
    dockerDaemon: docker,
    registryHosts,
    adminHashes: hashes.stdout || null,
    missingIpvsTools: ipvs.stdout,
    managedFiles,
  };
}
