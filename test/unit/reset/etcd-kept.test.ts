/**
 * etcd data is never deleted (issue 13, finding 2): reset moves /var/lib/etcd/member to /var/lib/etcd-kept/<host>-<stamp>/
 * before kubeadm reset; reset stops before any change when no etcd member is healthy (no fresh snapshot) unless
 * --without-fresh-snapshot; recover names the snapshot it picks (age, revision) and refuses one older than
 * --max-snapshot-age.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { harness } from '../tasks/helpers/context.js';
import { haHosts, makeInventory } from '../tasks/helpers/inventory.js';
import { resetActions } from '../../../src/tasks/reset/node.js';
import { resetBackup } from '../../../src/tasks/reset/backup.js';
import { keepScript } from '../../../src/tasks/reset/keep-etcd.js';
import { recoverPrepare } from '../../../src/tasks/recover/prepare.js';
import { formatAge, parseAge } from '../../../src/tasks/recover/snapshot-age.js';
import type { RecordingTransport } from '../../../src/transport/recording.js';

const STAMP = '20260102T030405Z';

/** The probe resetActions runs, answered with these lines; the home lookup of the SSH user. */
function probe(t: RecordingTransport, lines: string): RecordingTransport {
  return t
    .allow(/^getent passwd/, { stdout: 'root:x:0:0::/root:/bin/bash\n' })
    .allow(/^for f in \/etc\/kubernetes\/kubelet\.conf/, { stdout: lines });
}

describe('reset.node keeps the etcd data', () => {
  it('keeps /var/lib/etcd/member (hard links) before kubeadm reset; no rm of etcd data', async () => {
    const h = harness(makeInventory({}, haHosts()), { options: { stamp: STAMP } });
    const t = probe(h.t('cp1'), 'kubeadm /etc/kubernetes/manifests/etcd.yaml\nkubeadm /var/lib/etcd\netcd /var/lib/etcd/member\n');
    const actions = await resetActions(h.ctx('cp1'));
    expect(actions.map((a) => a.change.summary)).toEqual([
      `keep the etcd data: /var/lib/etcd/member as /var/lib/etcd-kept/cp1-${STAMP}/member (hard links; never deleted)`,
      'kubeadm reset -f (found /etc/kubernetes/manifests/etcd.yaml, /var/lib/etcd)',
    ]);
    t.expect(/^set -e\n\[ -e \/var\/lib\/etcd\/member \]/, { stdout: `/var/lib/etcd-kept/cp1-${STAMP}\n` }).expect('kubeadm reset -f');
    for (const a of actions) await a.run();
    t.assertDone();
    expect(t.commands.indexOf('kubeadm reset -f')).toBeGreaterThan(
      t.commands.findIndex((c) => c.includes('cp -al -- /var/lib/etcd/member')),
    );
    expect(t.commands.filter((c) => /\brm\b/.test(c))).toEqual([]);
  });

  it("the keep script (run on a temp tree, never this machine's /var): link keeps the live dir and shares its files, move renames; -2 for a second keep; a missing path is no error", () => {
    const root = mkdtempSync(join(tmpdir(), 'ks-keep-'));
    const data = join(root, 'etcd');
    const kept = join(root, 'kept');
    const run = (path: string, how: 'link' | 'move') =>
      execFileSync('sh', ['-c', keepScript(path, 'cp1', STAMP, how, kept).text])
        .toString()
        .trim();
    mkdirSync(join(data, 'member', 'snap'), { recursive: true });
    writeFileSync(join(data, 'member', 'snap', 'db'), 'bbolt v1');
    expect(run(join(data, 'member'), 'link')).toBe(join(kept, `cp1-${STAMP}`));
    const db = join(kept, `cp1-${STAMP}`, 'member', 'snap', 'db');
    expect(readFileSync(db, 'utf8')).toBe('bbolt v1');
    expect(statSync(db).ino).toBe(statSync(join(data, 'member', 'snap', 'db')).ino); // the running etcd keeps its files
    appendFileSync(join(data, 'member', 'snap', 'db'), ' + last write');
    rmSync(join(data, 'member'), { recursive: true }); // what kubeadm reset does next
    expect(readFileSync(db, 'utf8')).toBe('bbolt v1 + last write');
    mkdirSync(join(data, 'member', 'snap'), { recursive: true });
    writeFileSync(join(data, 'member', 'snap', 'db'), 'bbolt v2');
    expect(run(join(data, 'member'), 'move')).toBe(join(kept, `cp1-${STAMP}-2`));
    expect(existsSync(join(data, 'member'))).toBe(false);
    expect(readFileSync(join(kept, `cp1-${STAMP}-2`, 'member', 'snap', 'db'), 'utf8')).toBe('bbolt v2');
    expect(readFileSync(db, 'utf8')).toBe('bbolt v1 + last write');
    expect(run(join(data, 'member'), 'link')).toBe('');
  });
});

/** Every control plane's local etcd member unhealthy (no healthcheck client cert: no etcdctl call at all). */
function unhealthyEverywhere(h: ReturnType<typeof harness>, except?: string): void {
  for (const cp of ['cp1', 'cp2', 'cp3']) {
    const t = h.t(cp).allow(/^sh -c 'ls \/etc\/kubernetes\/pki\/ca\.crt/, { stdout: '/etc/kubernetes/pki/ca.crt\n' });
    if (cp !== except) t.allow('test -f /etc/kubernetes/pki/etcd/healthcheck-client.crt', { code: 1 });
  }
}

describe('reset.backup: a verified fresh snapshot, or stop', () => {
  it('no healthy etcd member anywhere: reset stops before anything changes, naming --without-fresh-snapshot and the newest snapshot', async () => {
    const adminDir = mkdtempSync(join(tmpdir(), 'ks-admin-'));
    mkdirSync(join(adminDir, 'etcd'));
    writeFileSync(join(adminDir, 'etcd', '20251230T000000Z-cp1.db'), 'x');
    writeFileSync(
      join(adminDir, 'etcd', '20251230T000000Z-cp1.json'),
      JSON.stringify({ takenAt: '20251230T000000Z', status: { revision: 4711 } }),
    );
    const h = harness(makeInventory({}, haHosts()), { options: { stamp: STAMP, adminDir } });
    unhealthyEverywhere(h);
    await expect(resetBackup.check(h.ctx('cp2'))).rejects.toThrow(
      /etcd is not healthy on cp2 nor on any other control plane: no fresh snapshot can be taken, so reset stopped before changing anything \(the newest snapshot on this machine is \S+20251230T000000Z-cp1\.db \(taken 2025-12-30T00:00:00\.000Z, 3d 3h old, revision 4711\)\)\. .*--without-fresh-snapshot .*\/var\/lib\/etcd-kept\/cp2-20260102T030405Z\/member/,
    );
    expect(h.t('cp2').calls.filter((c) => c.kind !== 'exec' || !/^(test|sh -c 'ls)/.test(c.command))).toEqual([]);
  });

  it('--without-fresh-snapshot: the config backup only (the etcd data is kept by reset.node)', async () => {
    const h = harness(makeInventory({}, haHosts()), {
      options: { stamp: STAMP, adminDir: mkdtempSync(join(tmpdir(), 'ks-admin-')), withoutFreshSnapshot: true },
    });
    unhealthyEverywhere(h);
    const check = await resetBackup.check(h.ctx('cp2'));
    expect(check.status === 'change' && check.changes.map((c) => c.summary)).toEqual([expect.stringMatching(/^back up \/etc\/kubernetes/)]);
  });

  it("this member unhealthy, cp1's healthy: the snapshot is taken through cp1", async () => {
    const h = harness(makeInventory({}, haHosts()), { options: { stamp: STAMP, adminDir: mkdtempSync(join(tmpdir(), 'ks-admin-')) } });
    unhealthyEverywhere(h, 'cp1');
    h.t('cp1')
      .allow('test -f /etc/kubernetes/pki/etcd/healthcheck-client.crt')
      .allow("crictl --runtime-endpoint unix:///var/run/containerd/containerd.sock ps --name '^etcd$' -q", { stdout: 'e7cd\n' })
      .allow(/^crictl --runtime-endpoint \S+ exec e7cd etcdctl .*endpoint health/, {
        stdout: '[{"endpoint":"https://127.0.0.1:2379","health":true}]',
      });
    const check = await resetBackup.check(h.ctx('cp2'));
    expect(check.status === 'change' && check.changes[1]!.summary).toMatch(
      new RegExp(
        `^snapshot the etcd cluster through cp1's healthy member \\(this host's is not healthy\\) to /var/backups/kubesmith/etcd/${STAMP}-cp1\\.db`,
      ),
    );
  });
});

describe('recover.prepare: the snapshot it picks itself is named and must be fresh', () => {
  function withLocal(taken: string, maxSnapshotAgeMs?: number) {
    const adminDir = mkdtempSync(join(tmpdir(), 'ks-admin-'));
    mkdirSync(join(adminDir, 'etcd'));
    writeFileSync(join(adminDir, 'etcd', `${taken}-cp1.db`), 'x');
    writeFileSync(join(adminDir, 'etcd', `${taken}-cp1.json`), JSON.stringify({ takenAt: taken, status: { revision: 812 } }));
    const h = harness(makeInventory({}, haHosts()), {
      options: { stamp: STAMP, adminDir, ...(maxSnapshotAgeMs ? { maxSnapshotAgeMs } : {}) },
    });
    unhealthyEverywhere(h);
    h.t('cp1')
      .allow(/^test -e \/var\/lib\/kubesmith\/recover\//, { code: 1 })
      .allow('test -e /etc/kubernetes/pki/ca.crt');
    return h;
  }

  it('older than 24h (default): refused before anything changes, naming the file, its age and revision and --from-snapshot', async () => {
    const h = withLocal('20260101T020405Z');
    await expect(recoverPrepare.check(h.ctx('cp1'))).rejects.toThrow(
      /newest snapshot on this machine, \S+20260101T020405Z-cp1\.db \(taken 2026-01-01T02:04:05\.000Z, 1d 1h old, revision 812\), is older than --max-snapshot-age 1d: recover stopped before changing anything\..*--from-snapshot \S+20260101T020405Z-cp1\.db/,
    );
    expect(h.t('cp1').calls.filter((c) => c.kind !== 'exec' && c.kind !== 'readFile')).toEqual([]);
  });

  it('within the limit: the plan names it with age and revision; --max-snapshot-age changes the limit', async () => {
    const check = await recoverPrepare.check(withLocal('20260102T010405Z').ctx('cp1'));
    expect(check.status === 'change' && check.changes[0]!.summary).toMatch(
      /etcd data from the newest snapshot on the admin machine, \S+20260102T010405Z-cp1\.db \(taken 2026-01-02T01:04:05\.000Z, 2h old, revision 812\)/,
    );
    await expect(recoverPrepare.check(withLocal('20260102T010405Z', parseAge('1h')).ctx('cp1'))).rejects.toThrow(
      /2h old, revision 812\), is older than --max-snapshot-age 1h/,
    );
  });

  it('ages and durations', () => {
    expect([parseAge('24h'), parseAge('90m'), parseAge('2d'), parseAge('30s'), parseAge('1.5h'), parseAge('h')]).toEqual([
      86_400_000,
      5_400_000,
      172_800_000,
      30_000,
      undefined,
      undefined,
    ]);
    expect([formatAge(90_061_000), formatAge(3_720_000), formatAge(59_000), formatAge(0)]).toEqual(['1d 1h', '1h 2m', '59s', '0s']);
  });
});
