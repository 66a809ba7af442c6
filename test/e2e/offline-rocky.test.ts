/**
 * Offline on the RHEL family with a sudo user: Rocky 9, login as `kube`; the bundle's rpms go in with
 * `dnf install ./…rpm` (no repository file written), uploads stream through sudo, and the node becomes Ready.
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labDown, labUp, type Lab } from '../lab/lab.js';
import { makeInventory } from '../unit/tasks/helpers/inventory.js';
import { writeMirrorBundle } from '../unit/bundle/fake-bundle.js';
import { changedCount, hostOutcomes, kubesmith, labReady } from './helpers.js';
import { readyNodes } from './offline-helpers.js';

const NAME = 'e2e-offline-rocky';

describe.skipIf(!labReady())('offline on Rocky 9 with a sudo user', () => {
  let lab: Lab;
  let inv: string;

  beforeAll(async () => {
    lab = await labUp({ name: NAME, hosts: [{ name: 'cp1', os: 'rocky9' }] });
    const bundle = mkdtempSync(join(lab.root, 'bundle-'));
    await writeMirrorBundle(bundle, makeInventory({ kubernetes: { version: '1.34.1' } }), { packages: ['rhel-9'] });
    inv = join(lab.root, 'inventory.yaml');
    lab.writeInventory(inv, {
      controlPlanes: ['cp1'],
      workers: [],
      user: 'kube',
      extra: { kubernetes: { version: '1.34.1' }, offline: { bundle } },
    });
  }, 180_000);

  afterAll(async () => {
    if (lab) await labDown(NAME);
  }, 120_000);

  it('installs the rpms from the bundle and reaches Ready; a second run changes nothing', async () => {
    const run = await kubesmith(['apply', '-i', inv, '--output', 'json']);
    const failed = hostOutcomes(run).filter((e) => e.outcome === 'failed');
    expect(failed.map((e) => `${e.task}@${e.host}: ${e.error}`)).toEqual([]);
    expect(run.code).toBe(0);
    expect(await readyNodes(lab)).toEqual({ cp1: 'True' });
    const journal = lab.journal('cp1').join('\n');
    expect(journal).toMatch(/dnf install -y --disableexcludes=all .*kubeadm-1\.34\.1-150500\.1\.1\.x86_64\.rpm/);
    expect(lab.readFile('cp1', '/etc/yum.repos.d/kubernetes.repo')).toBeNull();
    // uploaded through sudo by the kube user: root-owned on the host
    expect(
      (
        await lab.exec('cp1', 'stat -c %U /var/lib/kubesmith/bundle/packages/rhel-9/amd64/kubeadm-1.34.1-150500.1.1.x86_64.rpm')
      ).stdout.trim(),
    ).toBe('root');
    const again = await kubesmith(['apply', '-i', inv, '--output', 'json']);
    expect(again.code).toBe(0);
    expect(hostOutcomes(again).filter((o) => o.outcome === 'changed')).toEqual([]);
    expect(changedCount(again)).toBe(0);
  }, 900_000);
});
