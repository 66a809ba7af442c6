/**
 * Issue 14's "Done when", end to end on the lab: 3 control planes + 3 workers (real etcd, 3 members) built by apply
 * at 1.32.11, a Deployment of 3 replicas guarded by a PodDisruptionBudget minAvailable 2, then one `kubesmith upgrade`
 * to 1.34.4: the route goes through 1.33 by itself (1.32.11 → 1.33.7 → 1.34.4, the newest 1.33 patch the lab's
 * pkgs.k8s.io offers), so its second step is the 1.33.x → 1.34.y upgrade of the issue. Throughout (polled every
 * second) at least 2 replicas stay available; every node ends Ready at 1.34.4 with kubeadm, kubelet and kubectl
 * held; every control plane's certificates were renewed; no node is left cordoned.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../lab/lab.js';
import { upEtcdLab, waitEtcd, type EtcdLab } from './etcd-lab.js';
import { kubesmith, labReady } from './helpers.js';
import { allWebAvailable, apiserverNotAfter, deployWeb, kubectlOn, planUpgradeWrites, upgradeWatched } from './upgrade-helpers.js';

const NAME = 'e2e-upgrade-ha';
const CPS = ['cp1', 'cp2', 'cp3'];
const WORKERS = ['w1', 'w2', 'w3'];
const FROM = '1.32.11';
const TARGET = '1.34.4';

if (!labReady()) console.warn('skipping test/e2e/upgrade-ha.test.ts: needs root and the lab emulators');

describe.skipIf(!labReady())(`kubesmith upgrade: 3 control planes + 3 workers, ${FROM} → ${TARGET} through 1.33, PDB respected`, () => {
  let c: EtcdLab;
  let lab: Lab;
  let cwd: string;

  const inventory = (version: string) =>
    lab.writeInventory(c.inv, {
      controlPlanes: CPS,
      workers: WORKERS,
      extra: {
        kubernetes: { version, podSubnet: '10.244.0.0/16', controlPlaneEndpoint: `${lab.hosts.find((h) => h.name === 'cp1')!.ip}:6443` },
        network: { plugin: 'flannel', flannel: { backend: 'vxlan' } },
        containerRuntime: { registryMirrors: { 'registry.k8s.io': [c.registry.url], 'ghcr.io': [c.registry.url] } },
      },
    });

  beforeAll(async () => {
    c = await upEtcdLab(NAME, CPS, WORKERS);
    lab = c.lab;
    cwd = mkdtempSync(join(tmpdir(), 'ks-upgrade-ha-'));
    inventory(FROM);
    const run = await kubesmith(['apply', '-i', c.inv, '--output', 'json'], cwd);
    if (run.code !== 0) throw new Error(`apply failed:\n${run.stdout.slice(-4000)}\n${run.stderr.slice(-2000)}`);
    for (const cp of CPS) await waitEtcd(lab, cp);
    await deployWeb(lab, 'cp1', 2);
    inventory(TARGET);
  }, 1_800_000);

  afterAll(async () => {
    await c?.down();
  }, 120_000);

  it('plan upgrade shows the route through 1.33 and changes nothing', async () => {
    const { run, writes } = await planUpgradeWrites(lab, c.inv, cwd);
    expect(run.stdout, run.stderr).toContain(`${FROM} → 1.33.7 → ${TARGET}`);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('cp2: repository v1.33, kubeadm 1.33.7 (held), kubeadm upgrade node');
    expect(writes).toEqual([]);
  }, 600_000);

  it('every node Ready at the target, packages held, certificates renewed, never fewer than 2 web replicas', async () => {
    const expiryBefore = await Promise.all(CPS.map((cp) => apiserverNotAfter(lab, cp)));
    expect(await allWebAvailable(lab, 'cp1')).toBe(true);
    const { run, seen } = await upgradeWatched(lab, c.inv, cwd, ['--drain-timeout', '120s']);
    const output = `${run.stdout.slice(-6000)}\n${run.stderr.slice(-3000)}`;
    expect(run.code, output).toBe(0);
    expect(run.stderr).toContain('upgrading to 1.33.7');
    expect(run.stderr).toContain(`upgrading to ${TARGET}`);

    const nodes = (await kubectlOn(lab, 'cp1', 'get nodes --no-headers')).stdout;
    for (const n of [...CPS, ...WORKERS]) {
      expect(nodes, n).toMatch(new RegExp(`^${n}\\s+Ready\\s+\\S+\\s+\\S+\\s+v${TARGET.replace(/\./g, '\\.')}$`, 'm'));
      const v = await lab.exec(
        n,
        'lab-pkg-version kubelet --upstream; lab-pkg-version kubeadm --upstream; lab-pkg-version kubectl --upstream; apt-mark showhold',
      );
      expect(v.stdout.split('\n').slice(0, 3), n).toEqual([TARGET, TARGET, TARGET]);
      expect(v.stdout, n).toMatch(/kubeadm[\s\S]*kubectl[\s\S]*kubelet/);
    }
    expect(nodes).not.toContain('SchedulingDisabled');
    // every control plane ran its own upgrade (apply on cp1, node on the others) with certificate renewal
    const expiryAfter = await Promise.all(CPS.map((cp) => apiserverNotAfter(lab, cp)));
    CPS.forEach((cp, i) => expect(expiryAfter[i], cp).toBeGreaterThan(expiryBefore[i]!));
    const images = await lab.exec('cp2', "grep -h '^ *image:' /etc/kubernetes/manifests/kube-*.yaml");
    expect(
      images.stdout
        .trim()
        .split('\n')
        .every((l) => l.endsWith(`:v${TARGET}`)),
      images.stdout,
    ).toBe(true);
    // the poller ran during the whole upgrade, and the budget held at every sample
    expect(seen.length).toBeGreaterThan(0);
    expect(Math.min(...seen), seen.join(' ')).toBeGreaterThanOrEqual(2);
    expect(await allWebAvailable(lab, 'cp1')).toBe(true);
  }, 3_600_000);
});
