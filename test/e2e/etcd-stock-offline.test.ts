/**
 * The stock-host etcd flow (etcd-stock-flow.ts) on an air-gapped cluster: installed from a bundle (no registry, no
 * package repository, no route out), on the Rocky 9 persona with the sudo user `kube`. backup, reset and recover use
 * only the etcd image the bundle brought.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labDown, labUp, type Lab } from '../lab/lab.js';
import { makeInventory } from '../unit/tasks/helpers/inventory.js';
import { writeFakeBundle } from '../unit/bundle/fake-bundle.js';
import { labReady } from './helpers.js';
import { backupResetRecover } from './etcd-stock-flow.js';

const NAME = 'e2e-etcd-offline';

describe.skipIf(!labReady())('etcd backup / reset / recover on an air-gapped stock Rocky 9 node', () => {
  let lab: Lab;
  let inv: string;
  beforeAll(async () => {
    lab = await labUp({ name: NAME, hosts: [{ name: 'cp1', os: 'rocky9' }], env: { LAB_REAL_ETCD: '1', LAB_REAL_CONTAINERD: '0' } });
    const bundle = mkdtempSync(join(lab.root, 'bundle-'));
    const extra = { kubernetes: { version: '1.34.1' }, network: { plugin: 'flannel' } };
    writeFakeBundle(bundle, makeInventory(extra), { packages: ['rhel-9'] });
    inv = join(lab.root, 'inventory.yaml');
    lab.writeInventory(inv, { controlPlanes: ['cp1'], workers: [], user: 'kube', extra: { ...extra, offline: { bundle } } });
  }, 300_000);
  afterAll(async () => {
    if (lab) await lab.down();
    else await labDown(NAME).catch(() => {});
  }, 120_000);

  it('no route out; apply from the bundle → backup → workload → reset → recover --from-snapshot: workload back', async () => {
    expect((await lab.exec('cp1', 'ip route show default')).stdout.trim()).toBe('');
    const cwd = mkdtempSync(join(tmpdir(), 'ks-etcd-offline-'));
    await backupResetRecover({ lab, inv, cwd, hosts: ['cp1'] });
  }, 2_400_000);
});
