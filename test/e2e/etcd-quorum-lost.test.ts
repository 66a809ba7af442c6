/**
 * Lost etcd quorum on the lab (3 control planes, real etcd): cp2's and cp3's etcd stopped (kubelet stopped), so
 * cp1's member is the freshest copy of the data, including a key written after the last backup. Then:
 * 1. reset: no healthy member, no fresh snapshot → stops before any change (no kubeadm reset anywhere, data intact);
 *    --limit prints what it selected.
 * 2. recover picking the newest local snapshot itself, older than --max-snapshot-age: refused, naming it with its
 *    age and revision; nothing changed.
 * 3. recover --from-snapshot FILE: rebuilds from the snapshot; every member's data dir is kept in
 *    /var/lib/etcd-kept/<host>-<stamp>/member (cp1's holds the key written after the backup), nothing deleted.
 * The lab's kubeadm reset empties /var/lib/etcd as the real one does, so a lost member dir would show here.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labDown } from '../lab/lab.js';
import { kubesmith, labReady } from './helpers.js';
import { applyCluster, etcdctl, etcdctlRetry, memberNames, upEtcdLab, waitEtcd, type EtcdLab } from './etcd-lab.js';

const NAME = 'e2e-quorum';
const CPS = ['cp1', 'cp2', 'cp3'];
const RESET = / kubeadm reset /;

describe.skipIf(!labReady())('lost etcd quorum: reset and recover keep the data', () => {
  let e: EtcdLab;
  let cwd: string;
  let snapshot: string;
  const resets = () => Object.fromEntries(CPS.map((h) => [h, e.lab.journal(h).filter((l) => RESET.test(l)).length]));
  const memberDb = async (h: string) => (await e.lab.exec(h, 'ls /var/lib/etcd/member/snap/db')).code;

  beforeAll(async () => {
    e = await upEtcdLab(NAME, CPS, []);
    cwd = mkdtempSync(join(tmpdir(), 'ks-quorum-'));
    await applyCluster(e, cwd);
    await waitEtcd(e.lab, 'cp1');
    expect((await etcdctlRetry(e.lab, 'cp1', 'put /registry/deployments/default/web web-v1')).code).toBe(0);
    const backup = await kubesmith(['etcd', 'backup', '-i', e.inv], cwd);
    expect(backup.code, backup.stdout.slice(-3000)).toBe(0);
    const dir = join(cwd, '.kubesmith', e.lab.name, 'etcd');
    snapshot = join(
      dir,
      readdirSync(dir)
        .filter((f) => f.endsWith('.db'))
        .sort()
        .pop()!,
    );
    expect((await etcdctlRetry(e.lab, 'cp1', 'put /registry/deployments/default/after-backup late-value-7f3a')).code).toBe(0);
    // Quorum lost: cp2's and cp3's etcd stop with their kubelets (the hosts stay reachable).
    for (const h of ['cp2', 'cp3']) expect((await e.lab.exec(h, 'systemctl stop kubelet')).code).toBe(0);
    expect((await etcdctl(e.lab, 'cp1', 'put /registry/x y')).code).not.toBe(0);
  }, 1_800_000);
  afterAll(async () => {
    if (e) await e.down();
    else await labDown(NAME).catch(() => {});
  }, 120_000);

  it('reset: no healthy member, so no fresh snapshot: stops before any change; --limit prints the hosts it selected', async () => {
    const before = resets();
    const run = await kubesmith(['reset', '-i', e.inv, '--limit', 'control-plane', '--yes'], cwd);
    expect(run.code, run.stdout.slice(-3000)).toBe(1);
    expect(run.stderr).toMatch(/^--limit control-plane selects: cp1, cp2, cp3$/m);
    expect(run.stdout).toMatch(/no fresh snapshot can be taken, so reset stopped before changing anything/);
    expect(run.stdout).toMatch(/--without-fresh-snapshot/);
    expect(resets()).toEqual(before);
    for (const h of CPS) expect(await memberDb(h), h).toBe(0);
  }, 900_000);

  it('recover refuses the newest local snapshot when older than --max-snapshot-age, naming its age and revision', async () => {
    const before = resets();
    const run = await kubesmith(['recover', '-i', e.inv, '--max-snapshot-age', '1s', '--yes'], cwd);
    expect(run.code, run.stdout.slice(-3000)).toBe(1);
    expect(run.stdout).toContain(`the newest snapshot on this machine, ${snapshot} (taken `);
    expect(run.stdout).toMatch(/old, revision \d+\), is older than --max-snapshot-age 1s: recover stopped before changing anything/);
    expect(resets()).toEqual(before);
    for (const h of CPS) expect(await memberDb(h), h).toBe(0);
  }, 900_000);

  it("recover --from-snapshot: rebuilt from the snapshot; every member dir kept, cp1's with the key written after the backup", async () => {
    const run = await kubesmith(['recover', '-i', e.inv, '--from-snapshot', snapshot, '--yes', '--output', 'json'], cwd);
    expect(run.code, run.stdout.slice(-5000)).toBe(0);
    for (const h of CPS) expect(resets()[h], h).toBe(1);
    await waitEtcd(e.lab, 'cp1');
    expect((await etcdctlRetry(e.lab, 'cp1', 'get /registry/deployments/default/web --print-value-only')).stdout.trim()).toBe('web-v1');
    expect((await etcdctl(e.lab, 'cp1', 'get /registry/deployments/default/after-backup --print-value-only')).stdout.trim()).toBe('');
    expect(await memberNames(e.lab, 'cp1')).toEqual(CPS);
    for (const h of CPS) {
      const kept = (await e.lab.exec(h, `ls -d /var/lib/etcd-kept/${h}-*/member/snap/db /var/lib/etcd-kept/${h}-*/member/wal`)).stdout
        .trim()
        .split('\n');
      expect(kept, h).toHaveLength(2);
    }
    // The freshest copy survived: cp1's kept bbolt file holds the value written after the backup.
    const grep = await e.lab.exec(
      'cp1',
      'grep -c -a late-value-7f3a /var/lib/etcd-kept/cp1-*/member/snap/db /var/lib/etcd-kept/cp1-*/member/wal/*.wal | grep -v ":0$"',
    );
    expect(grep.stdout.trim(), grep.stderr).not.toBe('');
  }, 1_800_000);
});
