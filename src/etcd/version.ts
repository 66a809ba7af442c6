/** etcd versions and which tool does what: etcdutl from 3.5 on; etcd 3.6 removed `etcdctl snapshot restore|status`. */

export interface EtcdVersion {
  major: number;
  minor: number;
  patch: number;
}

/** "3.4.23", "etcdctl version: 3.4.23", "etcdutl version: 3.6.5", "registry.k8s.io/etcd:3.5.16-0" → the version. */
export function parseEtcdVersion(text: string): EtcdVersion | undefined {
  const m = /(\d+)\.(\d+)\.(\d+)/.exec(text);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

export function atLeast(v: EtcdVersion, major: number, minor: number): boolean {
  return v.major > major || (v.major === major && v.minor >= minor);
}

export function formatVersion(v: EtcdVersion): string {
  return `${v.major}.${v.minor}.${v.patch}`;
}

/** What a node offers for offline snapshot work (status, restore). */
export interface SnapshotTools {
  /** `etcdctl version` output, when etcdctl exists. */
  etcdctl?: EtcdVersion;
  /** `etcdutl version` output, when etcdutl exists. */
  etcdutl?: EtcdVersion;
  /** Whether `etcdutl snapshot restore --help` lists --bump-revision (and --mark-compacted). */
  etcdutlBumpRevision?: boolean;
}

export type OfflineTool = { tool: 'etcdutl'; bumpRevision: boolean } | { tool: 'etcdctl' };

/**
 * The tool for `snapshot status` and `snapshot restore`: etcdutl whenever present (3.5+); else etcdctl,
 * but only below 3.6 (where those subcommands were removed). Undefined: no usable tool.
 */
export function offlineTool(t: SnapshotTools): OfflineTool | undefined {
  if (t.etcdutl) return { tool: 'etcdutl', bumpRevision: t.etcdutlBumpRevision === true };
  if (t.etcdctl && !atLeast(t.etcdctl, 3, 6)) return { tool: 'etcdctl' };
  return undefined;
}

/** Why offlineTool found nothing, in operator words. */
export function missingToolReason(t: SnapshotTools): string {
  if (t.etcdctl && atLeast(t.etcdctl, 3, 6)) {
    return `the etcd image's etcdctl ${formatVersion(t.etcdctl)} has no snapshot status/restore (removed in 3.6) and the image holds no etcdutl`;
  }
  return 'neither etcdutl nor etcdctl could be run from the etcd image on the node (is the image still there? `crictl images` lists it)';
}
