/**
 * Offline with containerRuntime docker (cri-dockerd): Docker Engine, cri-dockerd and the Kubernetes packages come
 * from the bundle's debs, the images go in with `docker load`, and the single node becomes Ready with no route out.
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labDown, labUp, type Lab } from '../lab/lab.js';
import { makeInventory } from '../unit/tasks/helpers/inventory.js';
import { writeFakeBundle } from '../unit/bundle/fake-bundle.js';
import type { BundleManifest } from '../../src/bundle/manifest.js';
import { changedCount, kubesmith, labReady } from './helpers.js';
import { readyNodes } from './offline-helpers.js';

const NAME = 'e2e-offline-docker';

describe.skipIf(!labReady())('offline with docker + cri-dockerd', () => {
  let lab: Lab;
  let inv: string;
  let manifest: BundleManifest;

  beforeAll(async () => {
    lab = await labUp({ name: NAME, hosts: [{ name: 'cp1' }] });
    const bundle = mkdtempSync(join(lab.root, 'bundle-'));
    manifest = writeFakeBundle(bundle, makeInventory({ kubernetes: { version: '1.34.1' }, containerRuntime: { type: 'docker' } }), { packages: ['debian'] });
    inv = join(lab.root, 'inventory.yaml');
    lab.writeInventory(inv, {
      controlPlanes: ['cp1'],
      workers: [],
      extra: { kubernetes: { version: '1.34.1' }, network: { plugin: 'flannel' }, containerRuntime: { type: 'docker' }, offline: { bundle } },
    });
  }, 180_000);

  afterAll(async () => {
    if (lab) await labDown(NAME);
  }, 120_000);

  it('installs docker-ce and cri-dockerd from the bundle, docker-loads the images, and reaches Ready', async () => {
    expect((await lab.exec('cp1', 'ip route get 1.1.1.1')).code).not.toBe(0);
    const run = await kubesmith(['apply', '-i', inv, '--output', 'json']);
    expect(run.code, run.stderr + run.stdout.slice(-4000)).toBe(0);
    expect(await readyNodes(lab)).toEqual({ cp1: 'True' });
    const journal = lab.journal('cp1').join('\n');
    expect(journal).toMatch(/apt-get install -y .*docker-ce_27\.3\.1-1_amd64\.deb .*cri-dockerd_0\.3\.15-1_amd64\.deb/);
    expect(journal).toMatch(/docker load -i \/var\/lib\/kubesmith\/bundle\/images\/linux-amd64\/registry\.k8s\.io_pause_3\.10\.1\.tar/);
    expect(journal).not.toMatch(/apt-get update|docker pull|crictl pull/);
    const held = (await lab.exec('cp1', 'lab-images -n moby')).stdout;
    for (const image of manifest.images) expect(held, image.ref).toContain(image.ref);
  }, 900_000);

  it('a second apply changes nothing', async () => {
    const run = await kubesmith(['apply', '-i', inv, '--output', 'json']);
    expect(run.code, run.stderr + run.stdout.slice(-3000)).toBe(0);
    expect(changedCount(run)).toBe(0);
  }, 600_000);
});
