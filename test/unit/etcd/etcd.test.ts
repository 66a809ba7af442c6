import { describe, expect, it } from 'vitest';
import {
  etcdManifestFlags,
  initialClusterFromMemberAdd,
  missingToolReason,
  offlineTool,
  parseEndpointHealth,
  parseEndpointStatus,
  parseEtcdVersion,
  parseMemberList,
  parseSnapshotStatus,
  snapshotRestoreArgv,
  snapshotSaveArgv,
  snapshotStatusArgv,
  memberRemoveArgv,
  toHex,
} from '../../../src/etcd/index.js';

// Real output of Debian's etcdctl 3.4.23 (`-w json`), captured against a loopback etcd.
const MEMBERS =
  '{"header":{"cluster_id":15118495548433857066,"member_id":13668033151171901709,"raft_term":2},"members":[{"ID":13668033151171901709,"name":"a","peerURLs":["http://127.0.0.1:23801"],"clientURLs":["http://127.0.0.1:23791"]},{"ID":1,"peerURLs":["https://10.0.0.3:2380"]}]}';
const STATUS =
  '[{"Endpoint":"http://127.0.0.1:23791","Status":{"header":{"cluster_id":15118495548433857066,"member_id":13668033151171901709,"revision":1,"raft_term":2},"version":"3.4.23","dbSize":20480,"leader":13668033151171901709,"raftIndex":4,"raftTerm":2,"raftAppliedIndex":4,"dbSizeInUse":16384}}]';
const HEALTH =
  '[{"endpoint":"http://127.0.0.1:23791","health":true,"took":"1.122765ms"},{"endpoint":"https://10.0.0.3:2379","health":false,"took":"5s","error":"context deadline exceeded"}]';
const SNAP_STATUS = '{"hash":3253945214,"revision":2,"totalKey":5,"totalSize":20480}';

describe('etcd versions and tools', () => {
  it('parses versions from tool output and image tags', () => {
    expect(parseEtcdVersion('etcdctl version: 3.4.23\nAPI version: 3.4')).toEqual({ major: 3, minor: 4, patch: 23 });
    expect(parseEtcdVersion('registry.k8s.io/etcd:3.6.5-0')).toEqual({ major: 3, minor: 6, patch: 5 });
    expect(parseEtcdVersion('')).toBeUndefined();
  });
  it('restores with etcdutl when present, etcdctl only below 3.6, nothing otherwise', () => {
    const v = (s: string) => parseEtcdVersion(s)!;
    expect(offlineTool({ etcdctl: v('3.4.23') })).toEqual({ tool: 'etcdctl' });
    expect(offlineTool({ etcdctl: v('3.5.16'), etcdutl: v('3.5.16'), etcdutlBumpRevision: true })).toEqual({
      tool: 'etcdutl',
      bumpRevision: true,
    });
    expect(offlineTool({ etcdctl: v('3.6.5') })).toBeUndefined();
    expect(missingToolReason({ etcdctl: v('3.6.5') })).toMatch(/removed in 3\.6/);
    expect(offlineTool({})).toBeUndefined();
  });
});

describe('etcd command lines', () => {
  const target = { name: 'cp1', peerUrl: 'https://10.0.0.1:2380', dataDir: '/var/lib/etcd.restore-x' };
  it('etcdctl 3.4: plain restore with member name, peer URL and data dir, no revision bump', () => {
    const argv = snapshotRestoreArgv({ tool: 'etcdctl' }, '/s.db', target);
    expect(argv.slice(0, 4)).toEqual(['etcdctl', 'snapshot', 'restore', '/s.db']);
    expect(argv).toContain('--data-dir=/var/lib/etcd.restore-x');
    expect(argv).toContain('--name=cp1');
    expect(argv).toContain('--initial-cluster=cp1=https://10.0.0.1:2380');
    expect(argv).toContain('--initial-advertise-peer-urls=https://10.0.0.1:2380');
    expect(argv.some((a) => a.startsWith('--bump-revision') || a === '--mark-compacted')).toBe(false);
  });
  it('etcdutl with support bumps the revision and marks it compacted; without support it does not', () => {
    const yes = snapshotRestoreArgv({ tool: 'etcdutl', bumpRevision: true }, '/s.db', target);
    expect(yes[0]).toBe('etcdutl');
    expect(yes).toContain('--bump-revision=1000000000');
    expect(yes).toContain('--mark-compacted');
    const no = snapshotRestoreArgv({ tool: 'etcdutl', bumpRevision: false }, '/s.db', target);
    expect(no).not.toContain('--mark-compacted');
  });
  it('save/status/remove use kubeadm cert paths and the right tool', () => {
    const save = snapshotSaveArgv('/b/x.db');
    expect(save[0]).toBe('etcdctl');
    expect(save).toContain('--cacert=/etc/kubernetes/pki/etcd/ca.crt');
    expect(save).toContain('--cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt');
    expect(save).toContain('--endpoints=https://127.0.0.1:2379');
    expect(save.slice(-3)).toEqual(['snapshot', 'save', '/b/x.db']);
    expect(snapshotStatusArgv({ tool: 'etcdutl', bumpRevision: false }, '/b/x.db')).toEqual([
      'etcdutl',
      'snapshot',
      'status',
      '/b/x.db',
      '-w',
      'json',
    ]);
    expect(memberRemoveArgv('bdae9bbc11dd390d').slice(-3)).toEqual(['member', 'remove', 'bdae9bbc11dd390d']);
  });
});

describe('etcd output parsing', () => {
  it('member list keeps uint64 ids exact (hex as etcdctl prints) and spots unstarted members', () => {
    const m = parseMemberList(MEMBERS);
    expect(m[0]).toMatchObject({ id: 'bdae9bbc11dd390d', name: 'a', started: true, clientURLs: ['http://127.0.0.1:23791'] });
    expect(m[1]).toMatchObject({ id: '1', name: '', started: false });
    expect(toHex('13668033151171901709')).toBe('bdae9bbc11dd390d');
  });
  it('endpoint status: leader, DB size, version', () => {
    const [s] = parseEndpointStatus(STATUS);
    expect(s).toMatchObject({ isLeader: true, dbSize: 20480, version: '3.4.23', memberId: 'bdae9bbc11dd390d', revision: 1 });
    const follower = STATUS.replace('"leader":13668033151171901709', '"leader":1');
    expect(parseEndpointStatus(follower)[0]!.isLeader).toBe(false);
  });
  it('endpoint health with an unhealthy endpoint, snapshot status, member add output', () => {
    const h = parseEndpointHealth(HEALTH);
    expect(h.map((x) => x.health)).toEqual([true, false]);
    expect(h[1]!.error).toBe('context deadline exceeded');
    expect(parseSnapshotStatus(`{"level":"info"}\n${SNAP_STATUS}\n`)).toEqual({
      hash: 3253945214,
      revision: 2,
      totalKey: 5,
      totalSize: 20480,
    });
    expect(() => parseSnapshotStatus('Error: bad')).toThrow(/no snapshot status/);
    expect(
      initialClusterFromMemberAdd('Member 1 added\n\nETCD_NAME="cp2"\nETCD_INITIAL_CLUSTER="cp1=https://a:2380,cp2=https://b:2380"\n'),
    ).toBe('cp1=https://a:2380,cp2=https://b:2380');
  });
  it('reads the etcd static pod flags', () => {
    const manifest =
      'apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: etcd\n    command:\n    - etcd\n    - --name=cp1\n    - --data-dir=/var/lib/etcd\n    - --initial-advertise-peer-urls=https://10.0.0.1:2380\n';
    expect(etcdManifestFlags(manifest)).toEqual({
      name: 'cp1',
      'data-dir': '/var/lib/etcd',
      'initial-advertise-peer-urls': 'https://10.0.0.1:2380',
    });
  });
});
