/**
 * Scale out touches only the new host (plus the managed /etc/hosts block elsewhere); a worker that fails to join
 * does not stop the others, the recap names it, and a re-run finishes it without redoing the rest.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../lab/lab.js';
import { changedCount, hostOutcomes, kubesmith, labCluster, labReady, writesIn, type LabCluster } from './helpers.js';

const NAME = 'e2e-scale';

describe.skipIf(!labReady())('scale out and partial failure', () => {
  let c: LabCluster;
  let lab: Lab;
  const inv = () => c.inventory;
  const extra = () => c.mirrors;

  beforeAll(async () => {
    c = await labCluster(
      NAME,
      ['cp1', 'w1', 'w2', 'w3'].map((name) => ({ name })),
    );
    lab = c.lab;
  }, 120_000);

  afterAll(async () => {
    await c?.down();
  }, 120_000);

  it('a worker that fails to join does not stop the other; the recap names it; the re-run converges', async () => {
    lab.writeInventory(inv(), { controlPlanes: ['cp1'], workers: ['w1', 'w2'], extra: extra() });
    await lab.failNext('w2', 'kubeadm', 1);
    const run = await kubesmith(['apply', '-i', inv()]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/w2[\s\S]*worker\.join[\s\S]*kubeadm join/);
    expect(run.stdout).toContain('lab: injected failure');
    expect(lab.readFile('w1', '/etc/kubernetes/kubelet.conf')).not.toBeNull();
    const rerun = await kubesmith(['apply', '-i', inv(), '--output', 'json']);
    expect(rerun.code, rerun.stdout.slice(-3000)).toBe(0);
    const changed = hostOutcomes(rerun).filter((e) => e.outcome === 'changed');
    expect(changed.filter((e) => e.host === 'w1')).toEqual([]);
    expect(changed.some((e) => e.host === 'w2' && e.task === 'worker.join')).toBe(true);
  }, 1_200_000);

  it('adding w3 changes only w3, plus the /etc/hosts block of the others', async () => {
    const before = Object.fromEntries(['cp1', 'w1', 'w2'].map((h) => [h, lab.journal(h).length]));
    lab.writeInventory(inv(), { controlPlanes: ['cp1'], workers: ['w1', 'w2', 'w3'], extra: extra() });
    const run = await kubesmith(['apply', '-i', inv(), '--output', 'json']);
    expect(run.code, run.stdout.slice(-3000)).toBe(0);
    const changed = hostOutcomes(run).filter((e) => e.outcome === 'changed');
    for (const h of ['w1', 'w2'])
      expect(
        changed.filter((e) => e.host === h).map((e) => e.task),
        h,
      ).toEqual(['hostprep.etchosts']);
    expect(
      changed
        .filter((e) => e.host === 'cp1')
        .map((e) => e.task)
        .filter((t) => t !== 'cluster.wait-ready'),
    ).toEqual(['hostprep.etchosts']);
    expect(changed.some((e) => e.host === 'w3' && e.task === 'worker.join')).toBe(true);
    // Their journals show no state change besides what joining w3 needs on cp1 (a token).
    for (const h of ['w1', 'w2']) expect(writesIn(lab.journal(h).slice(before[h])), h).toEqual([]);
    expect(writesIn(lab.journal('cp1').slice(before.cp1)).filter((l) => !/ kubeadm token create /.test(l))).toEqual([]);
    const again = await kubesmith(['apply', '-i', inv(), '--output', 'json']);
    expect(changedCount(again)).toBe(0);
  }, 1_200_000);
});
