import { describe, expect, it } from 'vitest';
import { canonicalRef, cniImages, cniImagesTask, heldTags } from '../../../src/tasks/cni/images.js';
import { converge, harness } from './helpers/context.js';
import { makeInventory } from './helpers/inventory.js';
import { criImagesJson } from './helpers/cri.js';

describe('which images a runtime holds', () => {
  it('compares canonical names: Docker Hub short names match their docker.io/library form', () => {
    expect(canonicalRef('nginx:1.27')).toBe('docker.io/library/nginx:1.27');
    expect(canonicalRef('flannel/flannel:v1')).toBe('docker.io/flannel/flannel:v1');
    expect(canonicalRef('ghcr.io/flannel-io/flannel:v0.28.9')).toBe('ghcr.io/flannel-io/flannel:v0.28.9');
    expect(canonicalRef('localhost/pause:3.10')).toBe('localhost/pause:3.10');
    expect(canonicalRef('10.0.0.1:5000/pause:3.10')).toBe('10.0.0.1:5000/pause:3.10');
    expect([...heldTags(criImagesJson(['nginx:1.27', 'quay.io/cilium/cilium:v1.19.4']))!]).toEqual([
      'docker.io/library/nginx:1.27',
      'quay.io/cilium/cilium:v1.19.4',
    ]);
  });

  it('an answer that is not crictl\'s JSON is "unknown", never "nothing held"', () => {
    expect(heldTags('')).toBeUndefined();
    expect(heldTags('FATA[0000] connect: connection refused')).toBeUndefined();
    expect(heldTags('{"other":1}')).toBeUndefined();
  });

  it('falls back to asking image by image when crictl images gives no JSON', async () => {
    const h = harness(makeInventory());
    const t = h.t('w1');
    t.allow('crictl images -o json', { code: 1, stdout: '' })
      .allow('crictl inspecti -q ghcr.io/flannel-io/flannel-cni-plugin', { code: 0 })
      .allow('crictl inspecti -q ghcr.io/flannel-io/flannel:', { code: 1 });
    const r = await cniImagesTask.check(h.ctx('w1'));
    expect(r).toEqual({ status: 'change', changes: [{ summary: 'pull ghcr.io/flannel-io/flannel:v0.28.9' }] });
  });
});

describe('cni.images with cilium', () => {
  it('lists the agent, operator and envoy images of the cilium release', () => {
    const inv = makeInventory({ network: { plugin: 'cilium', cilium: { version: '1.19.4' } } });
    expect(cniImages(inv)).toEqual([
      'quay.io/cilium/cilium:v1.19.4',
      'quay.io/cilium/operator-generic:v1.19.4',
      'quay.io/cilium/cilium-envoy:v1.36.6',
    ]);
    expect(cniImages(makeInventory({ network: { plugin: 'none' } }))).toEqual([]);
  });

  it('pulls the missing cilium images on a worker; a second run has nothing to do', async () => {
    const h = harness(makeInventory({ network: { plugin: 'cilium', cilium: { version: '1.19.4' } } }));
    const t = h.t('w1');
    const held = new Set(['quay.io/cilium/operator-generic:v1.19.4']);
    t.allow('crictl images -o json', () => ({ stdout: criImagesJson(held) })).allow(
      'crictl pull',
      (c) => (held.add(c.command.split(' ')[2]!), {}),
    );
    const changes = await converge(cniImagesTask, h.ctx('w1'), [t]);
    expect(changes.map((c) => c.summary)).toEqual(['pull quay.io/cilium/cilium:v1.19.4 quay.io/cilium/cilium-envoy:v1.36.6']);
    expect([...held].sort()).toEqual([
      'quay.io/cilium/cilium-envoy:v1.36.6',
      'quay.io/cilium/cilium:v1.19.4',
      'quay.io/cilium/operator-generic:v1.19.4',
    ]);
  });
});
