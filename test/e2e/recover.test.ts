/**
 * recover on the lab with real etcd (3 control planes + 1 worker):
 * 1. keys standing for workloads, `etcd backup`, a key written after the backup, every host crashed and booted,
 *    `recover --from-snapshot` (interrupted once by an injected kubeadm failure, then re-run): the backed-up keys
 *    are back, the later key is not, the CA and an old admin kubeconfig stay valid, nodes Ready, 3 members.
 * 2. one control plane lost (crash + its etcd data gone): `recover --node cp3` brings it back; the other hosts'
 *    journals show nothing destructive.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labDown } from '../lab/lab.js';
import { hostOutcomes, kubesmith, labReady } from './helpers.js';
import { ADMIN, applyCluster, etcdctl, etcdctlRetry, memberNames, upEtcdLab, waitEtcd, type EtcdLab } from './etcd-lab.js';

const NAME = 'e2e-recover';
const HOSTS = ['cp1', 'cp2', 'cp3', 'w1'];

async function nodesReady(e: EtcdLab): Promise<Record<string, string>> {
  const r = await e.lab.exec('cp1', `kubectl --kubeconfig ${ADMIN} get nodes -o json`);
  const items = (
    JSON.parse(r.stdout) as { items: { metadata: { name: string }; status: { conditions: { type: string; status: string }[] } }[] }
  ).items;
  return Object.fromEntries(items.map((n) => [n.metadata.name, n.status.conditions.find((c) => c.type === 'Ready')?.status ?? '?']));
}

describe.skipIf(!labReady())('recover: etcd snapshot restore after a full crash; one lost control plane', () => {
  let e: EtcdLab;
  let cwd: string;
  beforeAll(async () => {
    e = await upEtcdLab(NAME, ['cp1', 'cp2', 'cp3'], ['w1']);
    cwd = mkdtempSync(join(tmpdir(), 'ks-recover-'));
    await applyCluster(e, cwd);
    await waitEtcd(e.lab, 'cp1');
  }, 1_500_000);
  afterAll(async () => {
    if (e) await e.down();
    else await labDown(NAME).catch(() => {});
  }, 120_000);

  it('crash of every host → recover --from-snapshot (interrupted once, re-run): workloads from the snapshot are back', async () => {
    expect(await memberNames(e.lab, 'cp1')).toEqual(['cp1', 'cp2', 'cp3']);
    expect((await etcdctl(e.lab, 'cp1', 'put /registry/deployments/default/web web-v1')).code).toBe(0);
    expect((await etcdctl(e.lab, 'cp1', 'put /registry/statefulsets/db/postgres pg-v1')).code).toBe(0);
    const backup = await kubesmith(['etcd', 'backup', '-i', e.inv], cwd);
    expect(backup.code, backup.stdout.slice(-3000)).toBe(0);
    const dir = join(cwd, '.kubesmith', e.lab.name, 'etcd');
    const snapshot = join(
      dir,
      readdirSync(dir)
        .filter((f) => f.endsWith('.db'))
        .sort()
        .pop()!,
    );
    expect((await etcdctl(e.lab, 'cp1', 'put /registry/deployments/default/after-backup late')).code).toBe(0);
    const ca = e.lab.readFile('cp1', '/etc/kubernetes/pki/ca.crt');
    const oldAdmin = e.lab.readFile('cp1', ADMIN)!;

    for (const h of HOSTS) await e.lab.crash(h);
    for (const h of HOSTS) await e.lab.boot(h);

    // An interruption: cp2's `kubeadm reset` fails (the first of the two kubeadm calls failing is facts' `kubeadm
    // version`, which facts tolerate); the run stops after the workers were reset; the re-run continues.
    await e.lab.failNext('cp2', 'kubeadm', 2);
    const first = await kubesmith(['recover', '-i', e.inv, '--from-snapshot', snapshot, '--yes', '--output', 'json'], cwd);
    expect(first.code, first.stdout.slice(-3000)).toBe(1);
    expect(
      hostOutcomes(first)
        .filter((o) => o.outcome === 'failed')
        .map((o) => `${o.task}@${o.host}`),
    ).toEqual(['recover.reset@cp2']);
    const run = await kubesmith(['recover', '-i', e.inv, '--from-snapshot', snapshot, '--yes', '--output', 'json'], cwd);
    expect(run.code, run.stdout.slice(-5000)).toBe(0);
    // w1 was reset once across both runs (its progress record made the re-run skip it)
    expect(e.lab.journal('w1').filter((l) => / kubeadm reset /.test(l))).toHaveLength(1);

    await waitEtcd(e.lab, 'cp1');
    expect((await etcdctlRetry(e.lab, 'cp1', 'get /registry/deployments/default/web --print-value-only')).stdout.trim()).toBe('web-v1');
    expect((await etcdctlRetry(e.lab, 'cp3', 'get /registry/statefulsets/db/postgres --print-value-only')).stdout.trim()).toBe('pg-v1');
    expect((await etcdctl(e.lab, 'cp1', 'get /registry/deployments/default/after-backup --print-value-only')).stdout.trim()).toBe('');
    expect(await memberNames(e.lab, 'cp1')).toEqual(['cp1', 'cp2', 'cp3']);
    expect(e.lab.readFile('cp1', '/etc/kubernetes/pki/ca.crt')).toBe(ca);
    await e.lab.exec('cp1', `cat > /root/old-admin.conf <<'EOF'\n${oldAdmin}EOF`);
    expect((await e.lab.exec('cp1', 'kubectl --kubeconfig /root/old-admin.conf get nodes -o name')).code).toBe(0);
    expect(await nodesReady(e)).toEqual({ cp1: 'True', cp2: 'True', cp3: 'True', w1: 'True' });
    expect((await e.lab.exec('cp1', 'ls /var/lib/kubesmith/recover 2>/dev/null')).stdout.trim()).toBe('');
  }, 1_800_000);

  it('one lost control plane: recover --node cp3 re-joins it; nothing destructive on the others', async () => {
    await e.lab.crash('cp3');
    rmSync(join(e.lab.root, 'hosts', 'cp3', 'upper', 'var', 'lib', 'etcd', 'member'), { recursive: true, force: true });
    await e.lab.boot('cp3');
    const mark = Object.fromEntries(['cp1', 'cp2', 'w1'].map((h) => [h, e.lab.journal(h).length]));

    const plan = await kubesmith(['recover', '-i', e.inv, '--node', 'cp3'], cwd);
    expect(plan.code, plan.stdout + plan.stderr).toBe(2);
    expect(plan.stdout).toMatch(/remove etcd member [0-9a-f]+ \(cp3/);
    const run = await kubesmith(['recover', '-i', e.inv, '--node', 'cp3', '--yes', '--output', 'json'], cwd);
    expect(run.code, run.stdout.slice(-5000)).toBe(0);
    expect(new Set(hostOutcomes(run).map((o) => o.host))).toEqual(new Set(['cp3']));

    await waitEtcd(e.lab, 'cp3');
    expect(await memberNames(e.lab, 'cp1')).toEqual(['cp1', 'cp2', 'cp3']);
    expect((await etcdctlRetry(e.lab, 'cp3', 'get /registry/deployments/default/web --print-value-only')).stdout.trim()).toBe('web-v1');
    expect((await nodesReady(e)).cp3).toBe('True');
    const status = await kubesmith(['etcd', 'status', '-i', e.inv], cwd);
    expect(status.code, status.stdout + status.stderr).toBe(0);

    const DESTRUCTIVE =
      /kubeadm (reset|join|init(?! phase upload-certs))|systemctl (stop|restart|disable)|kubectl .*(drain|delete node) (cp1|cp2|w1)\b/;
    for (const h of ['cp1', 'cp2', 'w1'])
      expect(
        e.lab
          .journal(h)
          .slice(mark[h])
          .filter((l) => DESTRUCTIVE.test(l)),
        h,
      ).toEqual([]);
    expect(e.lab.journal('cp2').slice(mark.cp2)).toEqual([]);
    expect(e.lab.journal('w1').slice(mark.w1)).toEqual([]);
  }, 1_200_000);

  it('node remove cp3: drained and deleted through cp1, its member gone, the host reset; cp2 and w1 untouched', async () => {
    const mark = Object.fromEntries(['cp2', 'w1'].map((h) => [h, e.lab.journal(h).length]));
    const refused = await kubesmith(['node', 'remove', 'cp1', '-i', e.inv, '--yes'], cwd);
    expect(refused.code).toBe(2);
    expect(refused.stderr + refused.stdout).toMatch(/first control plane/);
    const run = await kubesmith(['node', 'remove', 'cp3', '-i', e.inv, '--yes', '--output', 'json'], cwd);
    expect(run.code, run.stdout.slice(-5000)).toBe(0);
    expect(new Set(hostOutcomes(run).map((o) => o.host))).toEqual(new Set(['cp3']));
    expect(await memberNames(e.lab, 'cp1')).toEqual(['cp1', 'cp2']);
    expect(Object.keys(await nodesReady(e)).sort()).toEqual(['cp1', 'cp2', 'w1']);
    expect(e.lab.readFile('cp3', '/etc/kubernetes/pki/ca.crt')).toBeNull();
    expect((await e.lab.exec('cp3', 'ls -A /var/lib/etcd')).stdout.trim()).toBe('');
    expect((await etcdctlRetry(e.lab, 'cp2', 'get /registry/deployments/default/web --print-value-only')).stdout.trim()).toBe('web-v1');
    expect(e.lab.journal('cp2').slice(mark.cp2)).toEqual([]);
    expect(e.lab.journal('w1').slice(mark.w1)).toEqual([]);
  }, 900_000);
});
