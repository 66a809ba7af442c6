/**
 * Parsing etcdctl's JSON output (`-w json`). Member and cluster ids are uint64 numbers in that JSON, beyond
 * JavaScript's exact integers: they are read as strings before JSON.parse and kept as hex, as etcdctl prints them.
 */

export interface EtcdMember {
  /** Hex id, as in `member list` tables and `member remove`. */
  id: string;
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  /** A member added but not started yet has no name and no client URLs. */
  started: boolean;
  isLearner: boolean;
}

export interface EndpointStatus {
  endpoint: string;
  memberId: string;
  leaderId: string;
  isLeader: boolean;
  version: string;
  dbSize: number;
  dbSizeInUse?: number;
  revision: number;
  raftTerm: number;
}

export interface EndpointHealth {
  endpoint: string;
  health: boolean;
  took?: string;
  error?: string;
}

export interface SnapshotStatus {
  hash: number;
  revision: number;
  totalKey: number;
  totalSize: number;
}

/** Quote the big integer fields so JSON.parse keeps every digit. */
function parseBig(text: string): unknown {
  const quoted = text.replace(/"(ID|cluster_id|member_id|leader)"\s*:\s*(\d+)/g, '"$1":"$2"');
  return JSON.parse(quoted);
}

export function toHex(decimal: string | number | undefined): string {
  if (decimal === undefined || decimal === '') return '';
  return BigInt(decimal).toString(16);
}

function jsonPart(text: string, open: '{' | '['): string {
  const i = text.indexOf(open);
  if (i < 0) throw new Error(`not etcdctl JSON output: ${text.trim().slice(0, 200)}`);
  return text.slice(i);
}

interface RawMember {
  ID?: string;
  name?: string;
  peerURLs?: string[];
  clientURLs?: string[];
  isLearner?: boolean;
}

export function parseMemberList(text: string): EtcdMember[] {
  const data = parseBig(jsonPart(text, '{')) as { members?: RawMember[] };
  return (data.members ?? []).map((m) => ({
    id: toHex(m.ID),
    name: m.name ?? '',
    peerURLs: m.peerURLs ?? [],
    clientURLs: m.clientURLs ?? [],
    started: !!m.name && (m.clientURLs ?? []).length > 0,
    isLearner: m.isLearner === true,
  }));
}

interface RawStatus {
  Endpoint: string;
  Status: {
    header?: { member_id?: string; revision?: number; raft_term?: number };
    version?: string;
    dbSize?: number;
    dbSizeInUse?: number;
    leader?: string;
    raftTerm?: number;
  };
}

export function parseEndpointStatus(text: string): EndpointStatus[] {
  const rows = parseBig(jsonPart(text, '[')) as RawStatus[];
  return rows.map((r) => {
    const memberId = toHex(r.Status.header?.member_id);
    const leaderId = toHex(r.Status.leader);
    const s: EndpointStatus = {
      endpoint: r.Endpoint,
      memberId,
      leaderId,
      isLeader: memberId !== '' && memberId === leaderId,
      version: r.Status.version ?? '',
      dbSize: r.Status.dbSize ?? 0,
      revision: r.Status.header?.revision ?? 0,
      raftTerm: r.Status.raftTerm ?? r.Status.header?.raft_term ?? 0,
    };
    if (r.Status.dbSizeInUse !== undefined) s.dbSizeInUse = r.Status.dbSizeInUse;
    return s;
  });
}

/** `endpoint health -w json`: etcdctl prints the JSON even when an endpoint is unhealthy (and exits 1). */
export function parseEndpointHealth(text: string): EndpointHealth[] {
  const rows = JSON.parse(jsonPart(text, '[')) as EndpointHealth[];
  return rows.map((r) => ({
    endpoint: r.endpoint,
    health: r.health === true,
    ...(r.took ? { took: r.took } : {}),
    ...(r.error ? { error: r.error } : {}),
  }));
}

export function parseSnapshotStatus(text: string): SnapshotStatus {
  const lines = text.split('\n').filter((l) => l.trim().startsWith('{') && l.includes('totalKey'));
  if (!lines.length) throw new Error(`no snapshot status in output: ${text.trim().slice(0, 200)}`);
  const s = JSON.parse(lines[lines.length - 1]!) as Partial<SnapshotStatus>;
  if (typeof s.revision !== 'number' || typeof s.totalKey !== 'number' || typeof s.totalSize !== 'number') {
    throw new Error(`incomplete snapshot status: ${lines[lines.length - 1]}`);
  }
  return { hash: s.hash ?? 0, revision: s.revision, totalKey: s.totalKey, totalSize: s.totalSize };
}

/** `member add` prints ETCD_INITIAL_CLUSTER="a=https://…,b=https://…": the value, or undefined. */
export function initialClusterFromMemberAdd(text: string): string | undefined {
  return /ETCD_INITIAL_CLUSTER="([^"]*)"/.exec(text)?.[1];
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
