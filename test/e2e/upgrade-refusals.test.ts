/**
 * The upgrade's refusals on the lab (1 control plane + 1 worker built by apply at 1.33.5): each ends with its reason
 * and nothing written on any host (the hosts' journals). `apply` with another version, a patch included, stops in
 * preflight and points at `upgrade`; `plan upgrade` at the running version has nothing to do; a downgrade and a
 * route that would skip a minor are refused with exit 2.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../lab/lab.js';
import { kubesmith, labCluster, labReady, writesIn, type LabCluster } from './helpers.js';

const NAME = 'e2e-upgrade-ref';

if (!labReady()) console.warn('skipping test/e2e/upgrade-refusals.test.ts: needs root and the lab emulators');

describe.skipIf(!labReady())('upgrade refusals: exit 2 (apply: preflight), nothing changed', () => {
  let c: LabCluster;
  let lab: Lab;

  const inventory = (version: string, packageRepository?: string) =>
    lab.writeInventory(c.inventory, {
      controlPlanes: ['cp1'],
      workers: ['w1'],
      extra: {
        kubernetes: { version, podSubnet: '10.244.0.0/16', ...(packageRepository ? { packageRepository } : {}) },
        network: { plugin: 'flannel', flannel: { backend: 'vxlan' } },
        ...c.mirrors,
      },
    });

  /** Run kubesmith and return its result with the writes it caused on every host. */
  async function unchanged(argv: string[]) {
    const before = lab.hosts.map((h) => lab.journal(h.name).length);
    const run = await kubesmith([...argv, '-i', c.inventory]);
    const writes = lab.hosts.flatMap((h, i) => writesIn(lab.journal(h.name).slice(before[i])).map((w) => `${h.name}: ${w}`));
    return { run, writes };
  }

  beforeAll(async () => {
    c = await labCluster(NAME, [{ name: 'cp1' }, { name: 'w1' }]);
    lab = c.lab;
    inventory('1.33.5');
    const run = await kubesmith(['apply', '-i', c.inventory, '--output', 'json']);
    if (run.code !== 0) throw new Error(`apply failed:\n${run.stdout.slice(-4000)}\n${run.stderr.slice(-2000)}`);
  }, 1_200_000);

  afterAll(async () => {
    await c?.down();
  }, 120_000);

  it('apply with a patch drift stops in preflight and points at upgrade', async () => {
    inventory('1.33.6');
    const { run, writes } = await unchanged(['apply']);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('kubelet 1.33.5 runs on this cluster member, kubernetes.version says 1.33.6');
    expect(run.stdout).toContain('`kubesmith upgrade`');
    expect(writes.filter((w) => !w.includes('/var/lib/kubesmith/lock'))).toEqual([]);
  }, 300_000);

  it('plan upgrade at the running version: nothing to upgrade, exit 0', async () => {
    inventory('1.33.5');
    const { run, writes } = await unchanged(['plan', 'upgrade']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain('1.33.5: already at kubernetes.version, nothing to upgrade');
    expect(writes).toEqual([]);
  }, 300_000);

  it('a downgrade is refused by upgrade itself with exit 2', async () => {
    inventory('1.33.2');
    const { run, writes } = await unchanged(['upgrade']);
    expect(run.code, run.stdout + run.stderr).toBe(2);
    expect(run.stdout).toContain('the cluster runs 1.33.5, newer than kubernetes.version 1.33.2: kubeadm does not downgrade');
    expect(run.stdout).toContain('refused: nothing was changed on any host');
    expect(writes).toEqual([]);
  }, 300_000);

  it('a route that would skip 1.34 (its repository offers no 1.34 release: here the removed legacy one) is refused with exit 2', async () => {
    inventory('1.35.0', 'https://apt.kubernetes.io');
    const { run, writes } = await unchanged(['plan', 'upgrade']);
    expect(run.code, run.stdout + run.stderr).toBe(2);
    expect(run.stdout).toContain('1.33.5 → 1.35.0 must go through 1.34 (kubeadm upgrades one minor at a time)');
    expect(run.stdout).toContain('https://apt.kubernetes.io/v1.34/deb offers no 1.34 release');
    expect(writes).toEqual([]);
  }, 300_000);
});
