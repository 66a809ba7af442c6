/**
 * RHEL family and a non-root SSH user: Rocky 9 hosts, login as `kube` with sudo, firewalld and SELinux present.
 * (The issue asks for cilium here; the lab has no helm, so this run uses flannel — cilium is unit-tested.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../lab/lab.js';
import { hostOutcomes, kubesmith, labCluster, labReady, type LabCluster } from './helpers.js';

const NAME = 'e2e-apply-rocky';

describe.skipIf(!labReady())('apply: Rocky 9, non-root user with sudo', () => {
  let c: LabCluster;
  let lab: Lab;
  let inv: string;

  beforeAll(async () => {
    c = await labCluster(
      NAME,
      ['cp1', 'w1'].map((name) => ({ name, os: 'rocky9' as const })),
    );
    lab = c.lab;
    inv = c.inventory;
    lab.writeInventory(inv, {
      controlPlanes: ['cp1'],
      workers: ['w1'],
      user: 'kube',
      extra: { ...c.mirrors, hostPrep: { timeSync: { servers: ['ntp.lab.internal'] } } },
    });
  }, 120_000);

  afterAll(async () => {
    await c?.down();
  }, 120_000);

  it('every node Ready; SELinux permissive, firewalld off, repo with exclude=, chronyd from the inventory, kubeconfig for kube', async () => {
    const run = await kubesmith(['apply', '-i', inv, '--output', 'json']);
    const failed = hostOutcomes(run).filter((e) => e.outcome === 'failed');
    expect(failed.map((e) => `${e.task}@${e.host}: ${e.error}`)).toEqual([]);
    expect(run.code).toBe(0);
    for (const h of ['cp1', 'w1']) {
      expect(lab.readFile(h, '/etc/selinux/config'), h).toMatch(/^SELINUX=permissive$/m);
      expect((await lab.exec(h, 'getenforce')).stdout.trim(), h).toBe('Permissive');
      expect((await lab.exec(h, 'systemctl is-enabled firewalld')).stdout.trim(), h).not.toBe('enabled');
      expect(lab.readFile(h, '/etc/yum.repos.d/kubernetes.repo'), h).toContain('exclude=kubelet kubeadm kubectl');
      // hostPrep.timeSync: Rocky's chronyd follows the inventory's server only
      expect(lab.readFile(h, '/etc/chrony.conf'), h).toMatch(/^server ntp\.lab\.internal iburst$/m);
      expect(lab.readFile(h, '/etc/chrony.conf'), h).not.toMatch(/^pool /m);
      expect((await lab.exec(h, 'systemctl is-active chronyd')).stdout.trim(), h).toBe('active');
    }
    const conf = lab.readFile('cp1', '/home/kube/.kube/config') ?? '';
    expect(conf).toContain('kind: Config');
    const owner = await lab.exec('cp1', 'stat -c %U:%a /home/kube/.kube/config');
    expect(owner.stdout.trim()).toBe('kube:600');
    const ready = await lab.exec(
      'cp1',
      'kubectl --kubeconfig /etc/kubernetes/admin.conf get nodes -o jsonpath=\'{.items[*].status.conditions[?(@.type=="Ready")].status}\'',
    );
    expect(ready.stdout.trim()).toBe('True True');
  }, 1_200_000);
});
