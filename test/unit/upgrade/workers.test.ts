/**
 * upgrade.workers on simulated hosts: batches of --max-unavailable (the whole batch cordoned before any drain), the
 * drain-timeout policies, failed nodes uncordoned and named.
 */
import { describe, expect, it } from 'vitest';
import { upgradeWorkers } from '../../../src/tasks/upgrade/workers.js';
import type { RecordingTransport } from '../../../src/transport/recording.js';
import type { UpgradeRun } from '../../../src/upgrade/options.js';
import { harness } from '../tasks/helpers/context.js';
import { makeInventory } from '../tasks/helpers/inventory.js';
import { run, simulate, TARGET } from './simulated-host.js';

const TIMEOUT = 'error: error when evicting pods/"web-1" -n "default": global timeout reached: 2m0s';
const nodeJson = (name: string, version: string) =>
  JSON.stringify({
    metadata: { name },
    status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }], nodeInfo: { kubeletVersion: `v${version}` } },
  });

function cluster(over: Partial<UpgradeRun>, drainFails: string[] = []) {
  const inv = makeInventory({ kubernetes: { version: TARGET } }, [
    { name: 'cp1', address: '10.199.0.10', roles: ['control-plane'] },
    { name: 'w1', address: '10.199.0.11', roles: ['worker'] },
    { name: 'w2', address: '10.199.0.12', roles: ['worker'] },
    { name: 'w3', address: '10.199.0.13', roles: ['worker'] },
  ]);
  const h = harness(inv, { options: { upgrade: run(over) } });
  const dbs = new Map(['w1', 'w2', 'w3'].map((w) => [w, simulate(h.t(w), '1.33.5')]));
  const api: RecordingTransport = h.t('cp1');
  for (const w of drainFails) api.allow(new RegExp(` drain ${w} `), { code: 1, stderr: `evicting pod default/web-1\n${TIMEOUT}\n` });
  api.allow(/ (cordon|uncordon|drain) w\d/, {});
  api.allow(/ get node w\d -o json$/, (c) => {
    const w = / get node (w\d) /.exec(c.command)![1]!;
    return { stdout: nodeJson(w, dbs.get(w)!.get('kubelet')!.version.replace(/-.*/, '')) };
  });
  const kubectlOps = () =>
    api.commands
      .map((c) => c.replace(/^kubectl --kubeconfig \S+ /, ''))
      .filter((c) => /^(cordon|drain|uncordon) /.test(c))
      .map((c) => c.split(' --')[0] ?? c);
  return { h, dbs, kubectlOps };
}

async function runTask(h: ReturnType<typeof harness>) {
  const check = await upgradeWorkers.check(h.ctx('cp1'));
  if (check.status !== 'change') throw new Error(JSON.stringify(check));
  await upgradeWorkers.apply(h.ctx('cp1'), check.changes);
  await upgradeWorkers.verify!(h.ctx('cp1'));
  return check.changes.map((c) => c.summary);
}

describe('upgrade.workers', () => {
  it('batches of 2: the batch is cordoned before any drain; every worker ends at the target, held, uncordoned', async () => {
    const { h, dbs, kubectlOps } = cluster({ maxUnavailable: 2 });
    const summaries = await runTask(h);
    expect(summaries.map((s) => s.split(':')[0])).toEqual(['batch 1/2 (w1, w2)', 'batch 2/2 (w3)']);
    const ops = kubectlOps();
    expect(ops.slice(0, 2)).toEqual(['cordon w1', 'cordon w2']);
    expect(ops.indexOf('cordon w3')).toBeGreaterThan(Math.max(ops.indexOf('uncordon w1'), ops.indexOf('uncordon w2')));
    for (const [w, db] of dbs) {
      expect(
        [...db.values()].map((p) => `${p.version} ${p.held}`),
        w,
      ).toEqual(Array(3).fill('1.34.1-1.1 true'));
      expect(h.t(w).commands).toContain('kubeadm upgrade node');
    }
    expect(await upgradeWorkers.check(h.ctx('cp1'))).toEqual({ status: 'ok' });
  });

  it('--on-drain-timeout skip: the node is uncordoned and left at its version, the others go on, the run fails naming it', async () => {
    const { h, dbs, kubectlOps } = cluster({ onDrainTimeout: 'skip' }, ['w2']);
    const check = await upgradeWorkers.check(h.ctx('cp1'));
    await upgradeWorkers.apply(h.ctx('cp1'), check.status === 'change' ? check.changes : []);
    await expect(upgradeWorkers.verify!(h.ctx('cp1'))).rejects.toThrow(
      /drain timed out on w2 \(--on-drain-timeout skip\): uncordoned, left at their version/,
    );
    expect(dbs.get('w2')!.get('kubelet')!.version).toBe('1.33.5-1.1');
    expect(dbs.get('w3')!.get('kubelet')!.version).toBe('1.34.1-1.1');
    expect(kubectlOps().filter((o) => o.endsWith('w2'))).toEqual(['cordon w2', 'drain w2', 'uncordon w2', 'uncordon w2']); // the drain step's, then the batch's safety net
  });

  it('default policy stop: the batch with the failed drain is the last; the node is uncordoned and named', async () => {
    const { h, dbs, kubectlOps } = cluster({}, ['w1']);
    const check = await upgradeWorkers.check(h.ctx('cp1'));
    await expect(upgradeWorkers.apply(h.ctx('cp1'), check.status === 'change' ? check.changes : [])).rejects.toThrow(
      /upgrade stopped: w1 \(drain of w1 failed, so it was uncordoned and not upgraded: .*global timeout reached.*\); these nodes were uncordoned/,
    );
    expect(kubectlOps()).toEqual(['cordon w1', 'drain w1', 'uncordon w1', 'uncordon w1']);
    expect(dbs.get('w2')!.get('kubelet')!.version).toBe('1.33.5-1.1'); // never started
  });

  it('--control-plane-only skips the workers, saying why', async () => {
    const { h } = cluster({ controlPlaneOnly: true });
    expect(await upgradeWorkers.check(h.ctx('cp1'))).toEqual({
      status: 'skip',
      reason: '--control-plane-only: the workers follow in a later run',
    });
  });
});
