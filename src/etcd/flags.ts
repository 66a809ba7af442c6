/**
 * Command lines for etcdctl/etcdutl against kubeadm's stacked etcd (pure: argv arrays, no I/O).
 * TLS material is kubeadm's: /etc/kubernetes/pki/etcd/{ca.crt,healthcheck-client.crt,healthcheck-client.key}.
 */
import type { OfflineTool } from './version.js';

export const ETCD_PKI = '/etc/kubernetes/pki/etcd';
export const ETCD_MANIFEST = '/etc/kubernetes/manifests/etcd.yaml';
export const ETCD_DATA_DIR = '/var/lib/etcd';

export interface EtcdTls {
  cacert: string;
  cert: string;
  key: string;
}

/** The client identity kubeadm makes for probes on every stacked-etcd control plane. */
export const KUBEADM_ETCD_TLS: EtcdTls = {
  cacert: `${ETCD_PKI}/ca.crt`,
  cert: `${ETCD_PKI}/healthcheck-client.crt`,
  key: `${ETCD_PKI}/healthcheck-client.key`,
};

export const LOCAL_ENDPOINT = 'https://127.0.0.1:2379';

export function peerUrl(ip: string): string {
  return `https://${ip}:2380`;
}

/** `etcdctl --endpoints=… --cacert … --cert … --key … <args>` (ETCDCTL_API=3 is the default since 3.4). */
export function etcdctl(
  args: readonly string[],
  endpoints: readonly string[] = [LOCAL_ENDPOINT],
  tls: EtcdTls = KUBEADM_ETCD_TLS,
): string[] {
  return [
    'etcdctl',
    `--endpoints=${endpoints.join(',')}`,
    `--cacert=${tls.cacert}`,
    `--cert=${tls.cert}`,
    `--key=${tls.key}`,
    '--dial-timeout=5s',
    '--command-timeout=30s',
    ...args,
  ];
}

export const memberListArgv = (endpoints?: readonly string[]) => etcdctl(['member', 'list', '-w', 'json'], endpoints);
export const endpointStatusArgv = (endpoints: readonly string[]) => etcdctl(['endpoint', 'status', '-w', 'json'], endpoints);
export const endpointHealthArgv = (endpoints: readonly string[]) => etcdctl(['endpoint', 'health', '-w', 'json'], endpoints);
export const snapshotSaveArgv = (file: string, endpoint = LOCAL_ENDPOINT) => etcdctl(['snapshot', 'save', file], [endpoint]);
/** The hex id etcdctl prints in tables is what `member remove` takes. */
export const memberRemoveArgv = (hexId: string, endpoints?: readonly string[]) => etcdctl(['member', 'remove', hexId], endpoints);

/** `snapshot status FILE -w json` with the offline tool of this node. */
export function snapshotStatusArgv(tool: OfflineTool, file: string): string[] {
  return [tool.tool, 'snapshot', 'status', file, '-w', 'json'];
}

export interface RestoreTarget {
  /** The member name = --name of the etcd manifest (the node name). */
  name: string;
  /** This member's peer URL (--initial-advertise-peer-urls of the manifest). */
  peerUrl: string;
  dataDir: string;
  /** Whole initial cluster; default: just this member. */
  initialCluster?: string;
  /** Revision bump for etcdutl (pushes past anything watchers cached); default 1e9. */
  bumpRevision?: number;
}

/**
 * The restore command for the node's tool: etcdutl with --bump-revision/--mark-compacted when it supports them,
 * else a plain restore (etcdctl on 3.4/3.5, or an etcdutl without those flags).
 */
export function snapshotRestoreArgv(tool: OfflineTool, file: string, t: RestoreTarget): string[] {
  const argv = [
    tool.tool,
    'snapshot',
    'restore',
    file,
    `--data-dir=${t.dataDir}`,
    `--name=${t.name}`,
    `--initial-cluster=${t.initialCluster ?? `${t.name}=${t.peerUrl}`}`,
    `--initial-advertise-peer-urls=${t.peerUrl}`,
  ];
  if (tool.tool === 'etcdutl' && tool.bumpRevision) argv.push(`--bump-revision=${t.bumpRevision ?? 1_000_000_000}`, '--mark-compacted');
  return argv;
}
