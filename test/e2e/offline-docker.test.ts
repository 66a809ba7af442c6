/**
 * Offline with containerRuntime docker (cri-dockerd), on a Debian 12 and a Rocky 9 persona: Docker Engine (from
 * Docker's repository index), cri-dockerd (from its GitHub release's asset list) and the Kubernetes packages (from
 * pkgs.k8s.io's index) come from a bundle resolved against the lab's real-layout mirror; the images go in with
 * `docker load`, and the single node becomes Ready with no route out.
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labDown, labUp, type Lab } from '../lab/lab.js';
import { makeInventory } from '../unit/tasks/helpers/inventory.js';
import { writeMirrorBundle } from '../unit/bundle/fake-bundle.js';
import type { BundleManifest } from '../../src/bundle/manifest.js';
import { changedCount, kubesmith, labReady } from './helpers.js';
import { readyNodes } from './offline-helpers.js';

const PERSONAS = [
  {
    os: 'debian12',
    release: 'debian-12',
    install: /apt-get install -y .*docker-ce_29\.0\.1-1~debian\.12~bookworm_amd64\.deb/,
    criDockerd: /apt-get install -y .*cri-dockerd_0\.3\.24\.3-0\.debian-bookworm_amd64\.deb/,
  },
  {
    os: 'rocky9',
    release: 'rhel-9',
    install: /dnf install -y --disableexcludes=all .*docker-ce-29\.0\.1-1\.el9\.x86_64\.rpm/,
    criDockerd: /dnf install -y .*cri-dockerd-0\.3\.24-3\.el8\.x86_64\.rpm/,
  },
] as const;

describe.skipIf(!labReady()).each(PERSONAS)('offline with docker + cri-dockerd on $os', (persona) => {
  const NAME = `e2e-offline-docker-${persona.os}`;
  let lab: Lab;
  let inv: string;
  let manifest: BundleManifest;

  beforeAll(async () => {
    lab = await labUp({ name: NAME, hosts: [{ name: 'cp1', os: persona.os }] });
    const bundle = mkdtempSync(join(lab.root, 'bundle-'));
    manifest = await writeMirrorBundle(bundle, makeInventory({ kubernetes: { version: '1.34.1' }, containerRuntime: { type: 'docker' } }), {
      packages: [persona.release],
    });
    inv = join(lab.root, 'inventory.yaml');
    lab.writeInventory(inv, {
      controlPlanes: ['cp1'],
      workers: [],
      extra: {
        kubernetes: { version: '1.34.1' },
        network: { plugin: 'flannel' },
        containerRuntime: { type: 'docker' },
        offline: { bundle },
      },
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
    expect(journal).toMatch(persona.install);
    expect(journal).toMatch(persona.criDockerd);
    expect(journal).toMatch(/docker load -i \/var\/lib\/kubesmith\/bundle\/images\/linux-amd64\/registry\.k8s\.io_pause_3\.10\.1\.tar/);
    expect(journal).not.toMatch(/apt-get update|dnf makecache|docker pull|crictl pull/);
    const held = (await lab.exec('cp1', 'lab-images -n moby')).stdout;
    for (const image of manifest.images) expect(held, image.ref).toContain(image.ref);
  }, 900_000);

  it('a second apply changes nothing', async () => {
    const run = await kubesmith(['apply', '-i', inv, '--output', 'json']);
    expect(run.code, run.stderr + run.stdout.slice(-3000)).toBe(0);
    expect(changedCount(run)).toBe(0);
  }, 600_000);
});
