/**
 * reset on the lab (1 control plane + 1 worker, real etcd): without --yes nothing changes (file trees, iptables,
 * links, journal); with --yes the backup comes first, every listed leftover is gone, and an SSH-protecting
 * iptables rule survives (SSH still works). Also: etcd backup with retention, etcd status.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labDown } from '../lab/lab.js';
import { kubesmith, labReady, writesIn } from './helpers.js';
import { ADMIN, applyCluster, etcdctl, etcdctlRetry, upEtcdLab, waitEtcd, type EtcdLab } from './etcd-lab.js';

const NAME = 'e2e-reset';
const KEEP_SSH = 'iptables -C INPUT -p tcp --dport 22 -m comment --comment lab-keep-ssh -j ACCEPT';

/** What reset must remove, plus things it must keep, as one comparable text per host. */
async function state(e: EtcdLab, host: string): Promise<string> {
  const r = await e.lab.exec(
    host,
    [
      'find /etc/kubernetes /var/lib/etcd /var/lib/kubelet /etc/cni /var/lib/cni /run/flannel /root/.kube -type f 2>/dev/null | sort | xargs -r md5sum',
      'iptables-save | grep -v "^#" | sed "s/\\[[0-9:]*\\]//"',
      "ip -o link show | awk -F': ' '{print $2}' | sort",
    ].join('; echo ===; '),
  );
  return r.stdout;
}

describe.skipIf(!labReady())('reset: backup first, Kubernetes-only cleanup, SSH survives', () => {
  let e: EtcdLab;
  let cwd: string;
  let ca: string;
  beforeAll(async () => {
    e = await upEtcdLab(NAME, ['cp1'], ['w1']);
    cwd = mkdtempSync(join(tmpdir(), 'ks-reset-'));
    await applyCluster(e, cwd);
    await waitEtcd(e.lab, 'cp1');
    expect((await etcdctl(e.lab, 'cp1', 'put /registry/deployments/default/web web-v1')).code).toBe(0);
    ca = e.lab.readFile('cp1', '/etc/kubernetes/pki/ca.crt')!;
    // What CNIs and kube-proxy leave (the lab's kube-proxy/flannel are emulated, so make them for real in each host's netns)
    for (const h of ['cp1', 'w1']) {
      const r = await e.lab.exec(
        h,
        [
          'iptables -I INPUT 1 -p tcp --dport 22 -m comment --comment lab-keep-ssh -j ACCEPT',
          'iptables -N KUBE-FIREWALL && iptables -A INPUT -j KUBE-FIREWALL && iptables -A KUBE-FIREWALL -m comment --comment "kube firewall" -j RETURN',
          'iptables -N FLANNEL-FWD && iptables -A FORWARD -m comment --comment "flanneld forward" -j FLANNEL-FWD',
          'iptables -t nat -N KUBE-SERVICES && iptables -t nat -N KUBE-SVC-X && iptables -t nat -A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES && iptables -t nat -A KUBE-SERVICES -j KUBE-SVC-X',
          'ip link add cni0 type bridge && ip link add kube-ipvs0 type bridge',
          'mkdir -p /var/lib/cni/networks/cbr0 /run/flannel && echo FLANNEL_NETWORK=10.244.0.0/16 > /run/flannel/subnet.env && echo 10.244.0.2 > /var/lib/cni/networks/cbr0/last',
        ].join(' && '),
      );
      expect(r.code, r.stderr).toBe(0);
    }
  }, 1_200_000);
  afterAll(async () => {
    if (e) await e.down();
    else await labDown(NAME).catch(() => {});
  }, 120_000);

  it('etcd backup: verified snapshot copied as .kubesmith/<cluster>/etcd/<stamp>-cp1.db (0600), --keep 2 keeps two; status shows the leader', async () => {
    for (let i = 0; i < 3; i++) {
      const run = await kubesmith(['etcd', 'backup', '-i', e.inv, '--keep', '2'], cwd);
      expect(run.code, run.stdout.slice(-3000)).toBe(0);
      await new Promise((r) => setTimeout(r, 1100)); // one snapshot per second-stamp
    }
    const dir = join(cwd, '.kubesmith', e.lab.name, 'etcd');
    const dbs = readdirSync(dir).filter((f) => f.endsWith('.db'));
    expect(dbs).toHaveLength(2);
    for (const f of dbs) {
      expect(f).toMatch(/^\d{8}T\d{6}Z-cp1\.db$/);
      expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
    }
    const node = await e.lab.exec('cp1', 'ls /var/backups/kubesmith/etcd');
    expect(node.stdout.trim().split('\n')).toHaveLength(2);
    const status = await kubesmith(['etcd', 'status', '-i', e.inv], cwd);
    expect(status.code, status.stdout + status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^cp1\s+[0-9a-f]+\s+https:\/\/10\.199\.\d+\.\d+:2379\s+yes\s+healthy/m);
  }, 600_000);

  it('without --yes: prints the plan, exits 2, and changes nothing', async () => {
    const before = { cp1: await state(e, 'cp1'), w1: await state(e, 'w1') };
    const journals = { cp1: e.lab.journal('cp1').length, w1: e.lab.journal('w1').length };
    const run = await kubesmith(['reset', '-i', e.inv], cwd);
    expect(run.code, run.stdout + run.stderr).toBe(2);
    for (const item of [
      'back up /etc/kubernetes',
      'snapshot this etcd member',
      'keep the etcd data: /var/lib/etcd/member as /var/lib/etcd-kept/cp1-',
      'kubeadm reset -f',
      'remove /etc/cni/net.d',
      'remove /var/lib/cni',
      'remove /run/flannel',
      'delete interface cni0',
      'delete interface kube-ipvs0',
      'nat/KUBE-SERVICES',
      'filter/FLANNEL-FWD',
      'remove /root/.kube/config',
      'cordon, drain and delete node w1',
    ]) {
      expect(run.stdout, item).toContain(item);
    }
    expect(run.stderr).toMatch(/nothing was changed/);
    expect(await state(e, 'cp1')).toBe(before.cp1);
    expect(await state(e, 'w1')).toBe(before.w1);
    const writes = (h: string, from: number) => writesIn(e.lab.journal(h).slice(from)).filter((l) => !/ kubectl version --client$/.test(l));
    expect(writes('cp1', journals.cp1)).toEqual([]);
    expect(writes('w1', journals.w1)).toEqual([]);
  }, 600_000);

  it('with --yes: backup first, then every item is gone; the SSH rule and SSH itself survive', async () => {
    const run = await kubesmith(['reset', '-i', e.inv, '--yes'], cwd);
    expect(run.code, run.stdout.slice(-4000)).toBe(0);
    for (const h of ['cp1', 'w1']) {
      const gone = await e.lab.exec(
        h,
        'for p in /etc/cni/net.d /var/lib/cni /run/flannel /root/.kube/config /etc/kubernetes/pki/ca.crt /etc/kubernetes/kubelet.conf /etc/kubernetes/manifests/etcd.yaml; do [ -e $p ] && echo "left: $p"; done; ls -A /var/lib/etcd 2>/dev/null; ip -o link show | grep -E "cni0|kube-ipvs0|flannel"; iptables-save | grep -E "KUBE-|FLANNEL"; true',
      );
      expect(gone.stdout, h).toBe('');
      expect((await e.lab.exec(h, KEEP_SSH)).code, `${h}: SSH-protecting rule`).toBe(0);
      expect((await e.lab.exec(h, 'iptables -S INPUT | head -1; iptables -S FORWARD | head -1')).stdout).toBe(
        '-P INPUT ACCEPT\n-P FORWARD ACCEPT\n',
      );
      expect(
        execFileSync('ssh', [...e.lab.sshArgs(h), 'echo ok'])
          .toString()
          .trim(),
      ).toBe('ok');
      // The backup was taken before kubeadm reset ran: compare the backup's mtime with the journal's reset entry.
      const reset = e.lab.journal(h).find((l) => / kubeadm reset /.test(l));
      expect(reset, `${h}: kubeadm reset in the journal`).toBeDefined();
      const resetMs = Number(reset!.split(' ')[0]);
      const backups = (await e.lab.exec(h, 'stat -c "%Y %n" /var/backups/kubesmith/*/etc-kubernetes.tgz')).stdout.trim().split('\n');
      expect(backups.length, h).toBeGreaterThan(0);
      expect(Number(backups[backups.length - 1]!.split(' ')[0]) * 1000).toBeLessThanOrEqual(resetMs);
    }
    // etcd data is never deleted: cp1's member directory was kept before kubeadm reset emptied /var/lib/etcd.
    const kept = await e.lab.exec('cp1', 'ls -d /var/lib/etcd-kept/cp1-*/member/snap/db /var/lib/etcd-kept/cp1-*/member/wal');
    expect(kept.stdout.trim().split('\n'), kept.stderr).toHaveLength(2);
    const local = join(cwd, '.kubesmith', e.lab.name, 'backups');
    const stamp = readdirSync(local).sort().pop()!;
    expect(existsSync(join(local, stamp, 'cp1', 'etc-kubernetes.tgz'))).toBe(true);
    expect(existsSync(join(local, stamp, 'w1', 'etc-kubernetes.tgz'))).toBe(true);
    expect(existsSync(join(cwd, '.kubesmith', e.lab.name, 'etcd', `${stamp}-cp1.db`))).toBe(true);
    const again = await kubesmith(['reset', '-i', e.inv, '--yes', '--output', 'json'], cwd);
    expect(again.code, again.stdout.slice(-2000)).toBe(0);
  }, 900_000);

  it('after reset, recover (no flags) rebuilds from the newest backups on the admin machine: same CA, the workload key back', async () => {
    const run = await kubesmith(['recover', '-i', e.inv, '--yes', '--output', 'json'], cwd);
    expect(run.code, run.stdout.slice(-5000)).toBe(0);
    expect(run.stdout).toMatch(/the newest snapshot on the admin machine/);
    await waitEtcd(e.lab, 'cp1');
    expect((await etcdctlRetry(e.lab, 'cp1', 'get /registry/deployments/default/web --print-value-only')).stdout.trim()).toBe('web-v1');
    expect(e.lab.readFile('cp1', '/etc/kubernetes/pki/ca.crt')).toBe(ca);
    const nodes = await e.lab.exec('cp1', `kubectl --kubeconfig ${ADMIN} get nodes -o name`);
    expect(nodes.stdout.trim().split('\n').sort()).toEqual(['node/cp1', 'node/w1']);
  }, 900_000);
});
