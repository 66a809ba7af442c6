/**
 * `kubesmith upgrade` end to end on the lab (1 control plane + 2 workers, real etcd, 1.33.5 → 1.34.1): the route is
 * read on the first control plane from pkgs.k8s.io's own index files (the hosts' curl serves them at their real
 * paths), `plan upgrade` lists it with each node's steps and writes nothing, then `upgrade` drains the workers one at
 * a time while a Deployment of 3 replicas guarded by a PodDisruptionBudget minAvailable 2 keeps at least 2 available
 * replicas (polled in the background during the whole upgrade), and every node ends Ready at 1.34.1 with its packages
 * held and the certificates renewed. Then 1.34.1 → 1.34.2 with the budget made unsatisfiable (minAvailable = replicas)
 * once the control plane is upgraded: the first worker's drain times out, the upgrade stops there naming the node and
 * the refusal, and no node is left cordoned. The cluster starts with flannel 0.27.4 and the inventory asks for 0.28.9:
 * the plan says so and the upgrade applies it once, after the control planes.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../lab/lab.js';
import { webBudget } from '../lab/workloads.js';
import { upEtcdLab, waitEtcd, type EtcdLab } from './etcd-lab.js';
import { kubesmith, labReady } from './helpers.js';
import {
  allWebAvailable,
  apiserverNotAfter,
  deployWeb,
  kubectlApply,
  kubectlOn,
  planUpgradeWrites,
  upgradeWatched,
} from './upgrade-helpers.js';

const NAME = 'e2e-upgrade-cmd';
const NODES = ['cp1', 'w1', 'w2'];

if (!labReady()) console.warn('skipping test/e2e/upgrade-command.test.ts: needs root and the lab emulators');

describe.skipIf(!labReady())('kubesmith upgrade: 1.33.5 → 1.34.1 on 1 control plane + 2 workers, PDB respected', () => {
  let c: EtcdLab;
  let lab: Lab;
  let cwd: string;

  const inventory = (version: string, flannel = '0.28.9') =>
    lab.writeInventory(c.inv, {
      controlPlanes: ['cp1'],
      workers: ['w1', 'w2'],
      extra: {
        kubernetes: { version, podSubnet: '10.244.0.0/16' },
        network: { plugin: 'flannel', flannel: { backend: 'vxlan', version: flannel } },
        containerRuntime: { registryMirrors: { 'registry.k8s.io': [c.registry.url], 'ghcr.io': [c.registry.url] } },
      },
    });
  const kubectl = (args: string) => kubectlOn(lab, 'cp1', args);

  beforeAll(async () => {
    c = await upEtcdLab(NAME, ['cp1'], ['w1', 'w2']); // real etcd: the backup and the health gates read it
    lab = c.lab;
    cwd = mkdtempSync(join(tmpdir(), 'ks-upgrade-cmd-'));
    inventory('1.33.5', '0.27.4'); // an older flannel: the upgrade brings the inventory's newer one
    const run = await kubesmith(['apply', '-i', c.inv, '--output', 'json'], cwd);
    if (run.code !== 0) throw new Error(`apply failed:\n${run.stdout.slice(-4000)}\n${run.stderr.slice(-2000)}`);
    await waitEtcd(lab, 'cp1');
    await deployWeb(lab, 'cp1', 2);
    inventory('1.34.1');
  }, 1_200_000);

  afterAll(async () => {
    await c?.down();
  }, 120_000);

  it('plan upgrade lists the route and every node, and writes nothing on any host', async () => {
    const { run, writes, journal } = await planUpgradeWrites(lab, c.inv, cwd);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain('1.33.5 → 1.34.1');
    for (const n of NODES) expect(run.stdout, n).toContain(n);
    expect(run.stdout).toMatch(/upgrade apply/);
    expect(run.stdout).toContain('CNI: flannel 0.27.4 → 0.28.9, applied once, after the control planes');
    expect(writes).toEqual([]);
    // the route was read from the repository index on the first control plane, at pkgs.k8s.io's real path
    expect(journal('cp1').join('\n')).toContain('https://pkgs.k8s.io/core:/stable:/v1.34/deb/Packages');
  }, 300_000);

  it('upgrade: every node Ready at 1.34.1, packages held, certificates renewed, never fewer than 2 web replicas', async () => {
    const expiryBefore = await apiserverNotAfter(lab, 'cp1');
    expect(await allWebAvailable(lab, 'cp1')).toBe(true);
    const { run, seen } = await upgradeWatched(lab, c.inv, cwd, ['--drain-timeout', '120s']);
    expect(run.code, `${run.stdout.slice(-6000)}\n${run.stderr.slice(-3000)}`).toBe(0);

    const nodes = await kubectl('get nodes --no-headers');
    for (const n of NODES) expect(nodes.stdout, n).toMatch(new RegExp(`^${n}\\s+Ready\\s+\\S+\\s+\\S+\\s+v1\\.34\\.1$`, 'm'));
    for (const n of NODES) {
      const v = await lab.exec(n, 'lab-pkg-version kubelet --upstream; lab-pkg-version kubeadm --upstream; apt-mark showhold');
      expect(v.stdout.split('\n').slice(0, 2), n).toEqual(['1.34.1', '1.34.1']);
      expect(v.stdout, n).toMatch(/kubeadm[\s\S]*kubectl[\s\S]*kubelet/);
    }
    expect(await apiserverNotAfter(lab, 'cp1')).toBeGreaterThan(expiryBefore);
    // the CNI the inventory asks for, applied in the same pass (cni.images + cni.flannel, the tasks apply uses)
    const flannel = await kubectl("-n kube-flannel get ds kube-flannel-ds -o jsonpath='{.spec.template.spec.containers[0].image}'");
    expect(flannel.stdout).toMatch(/flannel:v0\.28\.9$/);
    // the poller ran during the upgrade, and the budget held: at least 2 of the 3 replicas available at every sample
    expect(seen.length).toBeGreaterThan(0);
    expect(Math.min(...seen), seen.join(' ')).toBeGreaterThanOrEqual(2);
    expect(await allWebAvailable(lab, 'cp1')).toBe(true); // the last replacement pod starts a few seconds after the upgrade
  }, 1_200_000);

  it('a budget that can never be satisfied stops the upgrade at that worker, named, and leaves every node schedulable', async () => {
    inventory('1.34.2');
    // the budget becomes unsatisfiable (minAvailable = replicas) once the control plane is upgraded: the survey's
    // drain dry run passed, so it is the workers' drain that meets it
    let watching = true;
    const tighten = (async () => {
      while (watching) {
        const cp = await kubectl('get node cp1 --no-headers');
        if (/\sv1\.34\.2$/m.test(cp.stdout)) {
          await kubectlApply(lab, 'cp1', webBudget(3));
          return true;
        }
        await new Promise((res) => setTimeout(res, 300));
      }
      return false;
    })();
    let run: Awaited<ReturnType<typeof kubesmith>>;
    try {
      run = await kubesmith(['upgrade', '-i', c.inv, '--yes', '--drain-timeout', '15s'], cwd);
    } finally {
      watching = false;
    }
    const output = `${run.stdout}\n${run.stderr}`;
    expect(await tighten, output.slice(-4000)).toBe(true);
    expect(run.code, output.slice(-4000)).not.toBe(0);
    const stopped = /upgrade stopped: (w\d) \(drain of \1 failed, so it was uncordoned and not upgraded: /.exec(output);
    expect(stopped, output.slice(-4000)).not.toBeNull();
    expect(output).toContain("eviction refused: Cannot evict pod as it would violate the pod's disruption budget.");
    expect(output).toContain('raise --drain-timeout, or choose --on-drain-timeout skip|disable-eviction');
    expect(output).toContain('these nodes were uncordoned and stay at their version');
    const nodes = (await kubectl('get nodes --no-headers')).stdout;
    expect(nodes).not.toContain('SchedulingDisabled');
    expect(nodes).toMatch(/^cp1\s+Ready\s+\S+\s+\S+\s+v1\.34\.2$/m);
    expect(nodes).toMatch(new RegExp(`^${stopped![1]}\\s+Ready\\s+\\S+\\s+\\S+\\s+v1\\.34\\.1$`, 'm'));
  }, 900_000);
});
