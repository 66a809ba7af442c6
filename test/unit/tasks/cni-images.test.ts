import { describe, expect, it } from 'vitest';
import { cniImages, cniImagesTask } from '../../../src/tasks/cni/images.js';
import { converge, harness } from './helpers/context.js';
import { makeInventory } from './helpers/inventory.js';

describe('cni.images with cilium', () => {
  it('lists the agent, operator and envoy images of the cilium release', () => {
    const inv = makeInventory({ network: { plugin: 'cilium', cilium: { version: '1.19.4' } } });
    expect(cniImages(inv)).toEqual(['quay.io/cilium/cilium:v1.19.4', 'quay.io/cilium/operator-generic:v1.19.4', 'quay.io/cilium/cilium-envoy:v1.36.6']);
    expect(cniImages(makeInventory({ network: { plugin: 'none' } }))).toEqual([]);
  });

  it('pulls the missing cilium images on a worker; a second run has nothing to do', async () => {
    const h = harness(makeInventory({ network: { plugin: 'cilium', cilium: { version: '1.19.4' } } }));
    const t = h.t('w1');
    const held = new Set(['quay.io/cilium/operator-generic:v1.19.4']);
    t.allow('crictl inspecti -q', (c) => ({ code: c.command.split(' ').slice(3).every((i) => held.has(i)) ? 0 : 1 })) // like crictl: fails on the first image missing
      .allow('crictl pull', (c) => (held.add(c.command.split(' ')[2]!), {}));
    const changes = await converge(cniImagesTask, h.ctx('w1'), [t]);
    expect(changes.map((c) => c.summary)).toEqual(['pull quay.io/cilium/cilium:v1.19.4 quay.io/cilium/cilium-envoy:v1.36.6']);
    expect([...held].sort()).toEqual(['quay.io/cilium/cilium-envoy:v1.36.6', 'quay.io/cilium/cilium:v1.19.4', 'quay.io/cilium/operator-generic:v1.19.4']);
  });
});
