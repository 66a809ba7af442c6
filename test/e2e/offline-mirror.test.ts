/**
 * Mirror mode: `bundle push` fills a private registry (a real docker-registry on the lab bridge), and an online apply
 * whose containerRuntime.registryMirrors point registry.k8s.io and ghcr.io at it provisions to Ready: every image
 * the nodes hold came through that registry, at the digest the bundle recorded.
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labDown, labUp, type Lab } from '../lab/lab.js';
import { makeInventory } from '../unit/tasks/helpers/inventory.js';
import { writeMirrorBundle } from '../unit/bundle/fake-bundle.js';
import { haveRegistry, startRegistry, type LocalRegistry } from '../unit/bundle/local-registry.js';
import type { BundleManifest } from '../../src/bundle/manifest.js';
import { bridgeIp } from './registry.js';
import { kubesmith, labReady, seedAptKeys } from './helpers.js';
import { readyNodes } from './offline-helpers.js';

const NAME = 'e2e-offline-mirror';
const ready = labReady() && haveRegistry();
if (!ready) console.warn('skipping test/e2e/offline-mirror.test.ts: needs root, the lab emulators and /usr/bin/docker-registry');

describe.skipIf(!ready)('mirror mode: bundle push → registryMirrors → Ready', () => {
  let lab: Lab;
  let reg: LocalRegistry;
  let inv: string;
  let bundle: string;
  let manifest: BundleManifest;

  beforeAll(async () => {
    lab = await labUp({ name: NAME, hosts: [{ name: 'cp1' }] });
    await seedAptKeys(lab);
    reg = await startRegistry(bridgeIp(lab.subnet));
    bundle = mkdtempSync(join(lab.root, 'bundle-'));
    manifest = await writeMirrorBundle(bundle, makeInventory({ kubernetes: { version: '1.34.1' } }));
    inv = join(lab.root, 'inventory.yaml');
    lab.writeInventory(inv, {
      controlPlanes: ['cp1'],
      workers: [],
      extra: {
        kubernetes: { version: '1.34.1' },
        network: { plugin: 'flannel' },
        containerRuntime: { registryMirrors: { 'registry.k8s.io': [reg.url], 'ghcr.io': [reg.url] } },
      },
    });
  }, 180_000);

  afterAll(async () => {
    await reg?.stop();
    if (lab) await labDown(NAME);
  }, 120_000);

  it('bundle push puts every image in the registry under its repository path', async () => {
    const run = await kubesmith(['bundle', 'push', '-i', inv, '--bundle', bundle, '--registry', reg.url]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`registry.k8s.io/kube-apiserver:v1.34.1 → ${reg.host}/kube-apiserver:v1.34.1`);
    expect(run.stderr).toContain(`ghcr.io/flannel-io/flannel:v0.28.9 → ${reg.host}/flannel-io/flannel:v0.28.9`);
    const tags = (await (await fetch(`${reg.url}/v2/coredns/coredns/tags/list`)).json()) as { tags: string[] };
    expect(tags.tags).toEqual(['v1.12.1']);
  }, 60_000);

  it('apply pulls through the mirror and the node is Ready with the bundle digests', async () => {
    const run = await kubesmith(['apply', '-i', inv, '--output', 'json']);
    expect(run.code, run.stderr + run.stdout.slice(-4000)).toBe(0);
    expect(await readyNodes(lab)).toEqual({ cp1: 'True' });
    expect(lab.readFile('cp1', '/etc/containerd/certs.d/registry.k8s.io/hosts.toml')).toContain(reg.url);
    const listed = (await lab.exec('cp1', 'ctr -n k8s.io images ls')).stdout;
    for (const component of ['kube-apiserver', 'etcd', 'flannel']) {
      const image = manifest.images.find((i) => i.component === component)!;
      expect(listed, image.ref).toMatch(
        new RegExp(`${image.ref.replace(/[.]/g, '\\.')}\\s+\\S+\\s+${image.platforms['linux/amd64']!.digest}`),
      );
    }
  }, 900_000);
});
