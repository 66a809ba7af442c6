/**
 * A bundle made for registry.k8s.io serves an inventory whose kubernetes.imageRepository is a private name:
 * the images are imported once and tagged with the names kubeadm (flattened coredns) and the sandbox setting ask for.
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labDown, labUp, type Lab } from '../lab/lab.js';
import { makeInventory } from '../unit/tasks/helpers/inventory.js';
import { writeMirrorBundle } from '../unit/bundle/fake-bundle.js';
import { kubesmith, labReady } from './helpers.js';
import { readyNodes } from './offline-helpers.js';

const NAME = 'e2e-offline-retag';
const REPO = 'registry.internal/k8s';

describe.skipIf(!labReady())('offline: retag for another imageRepository', () => {
  let lab: Lab;
  let inv: string;

  beforeAll(async () => {
    lab = await labUp({ name: NAME, hosts: [{ name: 'cp1' }] });
    const bundle = mkdtempSync(join(lab.root, 'bundle-'));
    await writeMirrorBundle(bundle, makeInventory({ kubernetes: { version: '1.34.1' } }), { packages: ['debian-12'] });
    inv = join(lab.root, 'inventory.yaml');
    lab.writeInventory(inv, {
      controlPlanes: ['cp1'],
      workers: [],
      extra: { kubernetes: { version: '1.34.1', imageRepository: REPO }, offline: { bundle } },
    });
  }, 180_000);

  afterAll(async () => {
    if (lab) await labDown(NAME);
  }, 120_000);

  it('tags the imported images with the inventory names and reaches Ready', async () => {
    const run = await kubesmith(['apply', '-i', inv, '--output', 'json']);
    expect(run.code, run.stderr + run.stdout.slice(-4000)).toBe(0);
    const listed = (await lab.exec('cp1', 'ctr -n k8s.io images ls -q')).stdout.split('\n');
    for (const ref of [
      `${REPO}/kube-apiserver:v1.34.1`,
      `${REPO}/coredns:v1.12.1`,
      `${REPO}/pause:3.10.1`,
      `${REPO}/etcd:3.6.5-0`,
      'registry.k8s.io/pause:3.10.1',
    ]) {
      expect(listed, ref).toContain(ref);
    }
    expect(lab.readFile('cp1', '/etc/containerd/config.toml')).toContain(`${REPO}/pause:3.10.1`);
    const journal = lab.journal('cp1').join('\n');
    expect(journal).toMatch(
      /ctr -n k8s\.io images tag --force registry\.k8s\.io\/coredns\/coredns:v1\.12\.1 registry\.internal\/k8s\/coredns:v1\.12\.1/,
    );
    expect(await readyNodes(lab)).toEqual({ cp1: 'True' });
  }, 900_000);
});
