/**
 * Fault tolerance, issue 8 item 2: mid-run, one worker's link is cut and another worker's sshd is killed (with its
 * sessions). The control plane finishes, the recap names both workers, and a re-run after restoring them converges.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labDown, labUp, type Lab } from '../lab/lab.js';
import { hostDigest, until } from './faults-helpers.js';
import { events, kubesmith, labReady, seedAptKeys } from './helpers.js';
import { bridgeIp, startLabRegistry, type LabRegistry } from './registry.js';

const NAME = 'e2e-faults-midrun';

describe.skipIf(!labReady())('faults: a worker lost mid-run', () => {
  let lab: Lab;
  let inv: string;
  let registry: LabRegistry;

  beforeAll(async () => {
    lab = await labUp({ name: NAME, hosts: ['cp1', 'w1', 'w2'].map((name) => ({ name })) });
    await seedAptKeys(lab);
    registry = await startLabRegistry(bridgeIp(lab.subnet));
    inv = join(lab.root, 'inventory.yaml');
    lab.writeInventory(inv, {
      controlPlanes: ['cp1'],
      workers: ['w1', 'w2'],
      extra: {
        ssh: { connectTimeoutSeconds: 2 },
        containerRuntime: { registryMirrors: { 'registry.k8s.io': [registry.url], 'ghcr.io': [registry.url] } },
      },
    });
  }, 120_000);

  afterAll(async () => {
    await registry?.close();
    if (lab) await labDown(NAME);
  }, 120_000);

  it('link cut on w1 and sshd killed on w2 mid-run: cp1 finishes, the recap names both, a re-run converges', async () => {
    const running = kubesmith(['apply', '-i', inv, '--output', 'json']);
    const started = (h: string) => lab.journal(h).some((l) => / apt-get /.test(l));
    await until('both workers to reach the package installs', () => started('w1') && started('w2'), 240_000, 50);
    await Promise.all([lab.cutLink('w1'), lab.killSshd('w2')]);
    let run;
    try {
      run = await running;
    } finally {
      await lab.restoreLink('w1');
      await lab.startSshd('w2');
    }
    expect(run.code, run.stdout.slice(-3000)).toBe(1);
    const end = events(run).find((e) => e.type === 'run.end') as unknown as {
      stoppedBy?: { task: string; host: string };
      recap: { hosts: { host: string; failed: number; failure?: { task: string; message: string; hint?: string } }[] };
    };
    // the run went on to the end; only its last step (wait for nodes Ready, on cp1) may report the missing nodes
    if (end.stoppedBy) expect(end.stoppedBy).toMatchObject({ task: 'cluster.wait-ready', host: 'cp1' });
    const cp1 = end.recap.hosts.find((h) => h.host === 'cp1')!;
    if (cp1.failed)
      expect(cp1.failure).toMatchObject({
        task: 'cluster.wait-ready',
        message: expect.stringMatching(/w1: not joined[\s\S]*w2: not joined/),
      });
    const failed = end.recap.hosts.filter((h) => h.failed > 0 && h.host !== 'cp1').map((h) => h.host);
    expect(failed.sort()).toEqual(['w1', 'w2']);
    for (const h of ['w1', 'w2']) {
      const f = end.recap.hosts.find((r) => r.host === h)!.failure as { message: string; hint?: string };
      expect(`${f.message} ${f.hint ?? ''}`, h).toMatch(/SSH connection was lost|cannot connect/);
    }
    const cp = await hostDigest(lab, 'cp1', true);
    expect(cp.nodes).toEqual(['cp1 Ready=True']);

    const rerun = await kubesmith(['apply', '-i', inv, '--output', 'json']);
    expect(rerun.code, rerun.stdout.slice(-3000)).toBe(0);
    expect((await hostDigest(lab, 'cp1', true)).nodes).toEqual(['cp1 Ready=True', 'w1 Ready=True', 'w2 Ready=True']);
    const again = await kubesmith(['apply', '-i', inv, '--output', 'json']);
    expect(again.code).toBe(0);
  }, 900_000);
});
