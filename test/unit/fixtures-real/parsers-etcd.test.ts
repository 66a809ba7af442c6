/** Kubesmith's parsers on the real outputs of test/fixtures/real: etcdctl/etcdutl 3.4 (recorded) and 3.6 (from the source kubeadm 1.34 runs). */
import { describe, expect, it } from 'vitest';
import {
  initialClusterFromMemberAdd,
  offlineTool,
  parseEndpointHealth,
  parseEndpointStatus,
  parseEtcdVersion,
  parseMemberList,
  parseSnapshotStatus,
} from '../../../src/etcd/index.js';
import { lines, real, realResult } from './real.js';

describe('etcdctl 3.4.23 (recorded)', () => {
  // The table output prints the same ids in hex: the parsed JSON ids must match it digit for digit.
  const tableIds = lines(real('etcdctl', 'member-list.table.txt')).map((l) => l.split(', ')[0]);

  it('member list -w json: the uint64 id keeps every digit (as the table prints it)', () => {
    const members = parseMemberList(real('etcdctl', 'member-list.json'));
    expect(members).toEqual([
      {
        id: 'bdae9bbc11dd390d',
        name: 'fx1',
        peerURLs: ['http://127.0.0.1:23801'],
        clientURLs: ['http://127.0.0.1:23791'],
        started: true,
        isLearner: false,
      },
    ]);
    expect(tableIds).toContain(members[0]!.id);
  });

  it('member list -w json with an unstarted learner: no name, no client URLs, isLearner', () => {
    const members = parseMemberList(real('etcdctl', 'member-list-unstarted-learner.json'));
    expect(members.map((m) => [m.id, m.started, m.isLearner])).toEqual([
      ['179938d1dcbb64ef', false, true],
      ['bdae9bbc11dd390d', true, false],
    ]);
    expect(members.map((m) => m.id).sort()).toEqual([...tableIds].sort());
    expect(real('etcdctl', 'member-remove.txt')).toContain(members[0]!.id);
  });

  it('endpoint status -w json: member, leader, version, sizes, revision', () => {
    expect(parseEndpointStatus(real('etcdctl', 'endpoint-status.json'))).toEqual([
      {
        endpoint: 'http://127.0.0.1:23791',
        memberId: 'bdae9bbc11dd390d',
        leaderId: 'bdae9bbc11dd390d',
        isLeader: true,
        version: '3.4.23',
        dbSize: 20480,
        dbSizeInUse: 16384,
        revision: 4,
        raftTerm: 2,
      },
    ]);
  });

  it('endpoint health -w json: healthy, and one endpoint down (exit 1, JSON still printed)', () => {
    expect(parseEndpointHealth(real('etcdctl', 'endpoint-health.json'))).toEqual([
      { endpoint: 'http://127.0.0.1:23791', health: true, took: expect.stringMatching(/ms$/) },
    ]);
    const down = realResult('etcdctl', 'endpoint-health-one-down.json');
    expect(down.code).toBe(1);
    expect(parseEndpointHealth(down.stdout).map((h) => [h.endpoint, h.health, h.error ?? ''])).toEqual([
      ['http://127.0.0.1:23791', true, ''],
      ['http://127.0.0.1:23799', false, 'context deadline exceeded'],
    ]);
  });

  it('snapshot status -w json: hash, revision, keys, size', () => {
    expect(parseSnapshotStatus(real('etcdctl', 'snapshot-status.json'))).toEqual({
      hash: 2808713399,
      revision: 4,
      totalKey: 8,
      totalSize: 20480,
    });
  });

  it('snapshot save prints log lines but no status: parseSnapshotStatus refuses it', () => {
    expect(() => parseSnapshotStatus(real('etcdctl', 'snapshot-save.txt'))).toThrow(/no snapshot status/);
  });

  it('member add: the initial cluster line', () => {
    expect(initialClusterFromMemberAdd(real('etcdctl', 'member-add-learner.txt'))).toBe(
      'fx2=http://127.0.0.1:23802,fx1=http://127.0.0.1:23801',
    );
  });

  it('etcdctl version / etcd --version', () => {
    expect(parseEtcdVersion(lines(real('etcdctl', 'version.txt'))[0]!)).toEqual({ major: 3, minor: 4, patch: 23 });
    expect(parseEtcdVersion(real('etcdctl', 'etcd-version.txt'))).toEqual({ major: 3, minor: 4, patch: 23 });
  });

  it('get --prefix --keys-only: keys separated by empty lines, counted as keys', () => {
    // snapshot.ts countWorkloads counts the non-empty lines of this output
    expect(lines(real('etcdctl', 'get-prefix-keys-only.txt'))).toEqual([
      '/registry/deployments/default/web',
      '/registry/namespaces/default',
      '/registry/pods/default/web',
    ]);
  });
});

describe('etcd 3.6 (derived from the v3.6 source: what kubeadm 1.34 runs)', () => {
  it('endpoint status -w json with the 3.6 fields (storageVersion, dbSizeQuota, downgradeInfo)', () => {
    expect(parseEndpointStatus(real('etcd-3.6', 'endpoint-status.json'))).toEqual([
      {
        endpoint: 'https://127.0.0.1:2379',
        memberId: '8e9e05c52164694d',
        leaderId: '8e9e05c52164694d',
        isLeader: true,
        version: '3.6.4',
        dbSize: 2170880,
        dbSizeInUse: 1859584,
        revision: 512,
        raftTerm: 2,
      },
    ]);
  });
  it('member list -w json: three members, ids above 2^53 kept exactly, an unstarted learner', () => {
    expect(parseMemberList(real('etcd-3.6', 'member-list.json')).map((m) => [m.id, m.name, m.started, m.isLearner])).toEqual([
      ['8e9e05c52164694d', 'cp1', true, false],
      [BigInt('12695958093183125549').toString(16), 'cp2', true, false],
      [BigInt('4127286537410208215').toString(16), '', false, true],
    ]);
  });
  it('endpoint health -w json', () => {
    expect(parseEndpointHealth(real('etcd-3.6', 'endpoint-health.json'))).toEqual([
      { endpoint: 'https://127.0.0.1:2379', health: true, took: '1.911024ms' },
    ]);
  });
  it('etcdutl snapshot status -w json (with the 3.6 "version" field)', () => {
    expect(parseSnapshotStatus(real('etcd-3.6', 'snapshot-status-etcdutl.json'))).toEqual({
      hash: 3722475617,
      revision: 512,
      totalKey: 1045,
      totalSize: 2170880,
    });
  });
  it('etcdutl / etcdctl version: 3.6 → etcdutl for status and restore, etcdctl alone is not enough', () => {
    const utl = parseEtcdVersion(lines(real('etcd-3.6', 'etcdutl-version.txt'))[0]!)!;
    const ctl = parseEtcdVersion(lines(real('etcd-3.6', 'etcdctl-version.txt'))[0]!)!;
    expect(utl).toEqual({ major: 3, minor: 6, patch: 4 });
    expect(offlineTool({ etcdctl: ctl })).toBeUndefined();
    expect(offlineTool({ etcdctl: ctl, etcdutl: utl, etcdutlBumpRevision: true })).toEqual({ tool: 'etcdutl', bumpRevision: true });
  });
});
