/**
 * `kubesmith upgrade` on a cluster mixing distribution families: a Debian control plane and a Rocky 9 worker,
 * 1.33.5 → 1.34.1. The route is read from each family's repository on one of its own nodes (pkgs.k8s.io's flat deb
 * index on cp1, its rpm-md repodata on w1); both nodes end Ready at the target, Debian's packages held with apt-mark,
 * Rocky's kept by the repository file's exclude=; a second run changes nothing (the rpm node counts as held).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../lab/lab.js';
import { upEtcdLab, waitEtcd, type EtcdLab } from './etcd-lab.js';
import { kubesmith, labReady } from './helpers.js';
import { kubectlOn, planUpgradeWrites } from './upgrade-helpers.js';

const NAME = 'e2e-upgrade-mixed';

if (!labReady()) console.warn('skipping test/e2e/upgrade-mixed.test.ts: needs root and the lab emulators');

describe.skipIf(!labReady())('kubesmith upgrade: Debian control plane + Rocky worker, 1.33.5 → 1.34.1', () => {
  let c: EtcdLab;
  let lab: Lab;
  let cwd: string;

  const inventory = (version: string) =>
    lab.writeInventory(c.inv, {
      controlPlanes: ['cp1'],
      workers: ['w1'],
      extra: {
        kubernetes: { version, podSubnet: '10.244.0.0/16' },
        network: { plugin: 'flannel', flannel: { backend: 'vxlan' } },
        containerRuntime: { registryMirrors: { 'registry.k8s.io': [c.registry.url], 'ghcr.io': [c.registry.url] } },
      },
    });

  beforeAll(async () => {
    c = await upEtcdLab(NAME, ['cp1'], ['w1'], { w1: 'rocky9' });
    lab = c.lab;
    cwd = mkdtempSync(join(tmpdir(), 'ks-upgrade-mixed-'));
    inventory('1.33.5');
    const run = await kubesmith(['apply', '-i', c.inv, '--output', 'json'], cwd);
    if (run.code !== 0) throw new Error(`apply failed:\n${run.stdout.slice(-4000)}\n${run.stderr.slice(-2000)}`);
    await waitEtcd(lab, 'cp1');
    inventory('1.34.1');
  }, 1_200_000);

  afterAll(async () => {
    await c?.down();
  }, 120_000);

  it('plan upgrade reads each family repository on its own node', async () => {
    const { run, writes, journal } = await planUpgradeWrites(lab, c.inv, cwd);
    expect(run.stdout, run.stderr).toContain('1.33.5 → 1.34.1');
    expect(run.code).toBe(0);
    expect(writes).toEqual([]);
    expect(journal('cp1').join('\n')).toContain('https://pkgs.k8s.io/core:/stable:/v1.34/deb/Packages');
    expect(journal('w1').join('\n')).toContain('https://pkgs.k8s.io/core:/stable:/v1.34/rpm/repodata/repomd.xml');
  }, 300_000);

  it('both nodes Ready at 1.34.1, packages held each their way; a second run changes nothing', async () => {
    const run = await kubesmith(['upgrade', '-i', c.inv, '--yes', '--drain-timeout', '120s'], cwd);
    expect(run.code, `${run.stdout.slice(-5000)}\n${run.stderr.slice(-2000)}`).toBe(0);
    const nodes = (await kubectlOn(lab, 'cp1', 'get nodes --no-headers')).stdout;
    for (const n of ['cp1', 'w1']) {
      expect(nodes, n).toMatch(new RegExp(`^${n}\\s+Ready\\s+\\S+\\s+\\S+\\s+v1\\.34\\.1$`, 'm'));
      const v = await lab.exec(
        n,
        'lab-pkg-version kubelet --upstream; lab-pkg-version kubeadm --upstream; lab-pkg-version kubectl --upstream',
      );
      expect(v.stdout.trim().split('\n'), n).toEqual(['1.34.1', '1.34.1', '1.34.1']);
    }
    expect((await lab.exec('cp1', 'apt-mark showhold')).stdout).toMatch(/kubeadm[\s\S]*kubectl[\s\S]*kubelet/);
    expect(lab.readFile('w1', '/etc/yum.repos.d/kubernetes.repo')).toMatch(/^exclude=.*kubelet.*kubeadm.*kubectl|^exclude=.*kubeadm/m);
    expect(lab.readFile('w1', '/etc/yum.repos.d/kubernetes.repo')).toContain('/v1.34/rpm/');

    const again = await kubesmith(['upgrade', '-i', c.inv, '--yes'], cwd);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout + again.stderr).toContain('nothing to upgrade');
  }, 1_200_000);

  it('a run that finishes an interrupted upgrade leaves the upgraded Rocky worker alone (exclude= counts as held)', async () => {
    // cp1 as a kill before its uncordon's record leaves it: cordoned, record without its last step
    const path = '/var/lib/kubesmith/upgrade/v1.34.1.json';
    const record = JSON.parse(lab.readFile('cp1', path)!) as { done: string[] };
    record.done = record.done.filter((s) => s !== 'uncordon');
    await lab.exec('cp1', `echo '${JSON.stringify(record)}' > ${path}`);
    expect((await kubectlOn(lab, 'cp1', 'cordon cp1')).code).toBe(0);
    const before = lab.journal('w1').length;
    const run = await kubesmith(['upgrade', '-i', c.inv, '--yes'], cwd);
    expect(
      run.code,
      `${run.stdout.slice(-4000)}
${run.stderr.slice(-2000)}`,
    ).toBe(0);
    expect((await kubectlOn(lab, 'cp1', 'get nodes --no-headers')).stdout).not.toContain('SchedulingDisabled');
    const w1 = lab.journal('w1').slice(before).join('\n');
    expect(w1).not.toMatch(/dnf .*install|kubeadm upgrade|systemctl restart kubelet/);
  }, 600_000);
});
