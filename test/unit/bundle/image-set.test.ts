import { describe, expect, it } from 'vitest';
import { inventorySchema, type InventoryInput } from '../../../src/inventory/schema.js';
import { imageSet, kubeadmImages } from '../../../src/bundle/image-set.js';
import { normalizeImageRef, parseImageRef } from '../../../src/bundle/reference.js';

const inv = (spec: Partial<InventoryInput['spec']> = {}) =>
  inventorySchema.parse({
    apiVersion: 'kubesmith.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name: 'demo' },
    spec: { hosts: [{ name: 'cp1', address: '10.0.0.1', roles: ['control-plane'] }], ...spec },
  });

describe('image references', () => {
  it('normalizes like a runtime: docker.io/library, :latest, registry ports', () => {
    expect(normalizeImageRef('nginx')).toBe('docker.io/library/nginx:latest');
    expect(normalizeImageRef('bitnami/redis:7')).toBe('docker.io/bitnami/redis:7');
    expect(parseImageRef('127.0.0.1:5000/a/b:c')).toEqual({ registry: '127.0.0.1:5000', repository: 'a/b', tag: 'c' });
    expect(parseImageRef(`quay.io/x/y@sha256:${'a'.repeat(64)}`)).toEqual({
      registry: 'quay.io',
      repository: 'x/y',
      digest: `sha256:${'a'.repeat(64)}`,
    });
    expect(() => parseImageRef('a b')).toThrow(/not an image reference/);
  });
});

describe('image set', () => {
  it('is what kubeadm config images list prints for 1.34 on registry.k8s.io', () => {
    expect(kubeadmImages('1.34.1').map((i) => i.ref)).toEqual([
      'registry.k8s.io/kube-apiserver:v1.34.1',
      'registry.k8s.io/kube-controller-manager:v1.34.1',
      'registry.k8s.io/kube-scheduler:v1.34.1',
      'registry.k8s.io/kube-proxy:v1.34.1',
      'registry.k8s.io/coredns/coredns:v1.12.1',
      'registry.k8s.io/pause:3.10.1',
      'registry.k8s.io/etcd:3.6.5-0',
    ]);
  });

  it('pins per minor (1.33, 1.35, 1.36)', () => {
    const pick = (v: string) =>
      kubeadmImages(v)
        .filter((i) => ['coredns', 'pause', 'etcd'].includes(i.component))
        .map((i) => i.ref.split(':').pop());
    expect(pick('1.33.4')).toEqual(['v1.12.0', '3.10', '3.5.21-0']);
    expect(pick('1.35.0')).toEqual(['v1.13.1', '3.10.1', '3.6.6-0']);
    expect(pick('1.36.2')).toEqual(['v1.13.1', '3.10.2', '3.6.8-0']);
  });

  it('flattens coredns under a custom imageRepository; pause and etcd come from it too', () => {
    const refs = kubeadmImages('1.34.1', 'registry.aliyuncs.com/google_containers').map((i) => i.ref);
    expect(refs).toContain('registry.aliyuncs.com/google_containers/coredns:v1.12.1');
    expect(refs).toContain('registry.aliyuncs.com/google_containers/pause:3.10.1');
    expect(refs).toContain('registry.aliyuncs.com/google_containers/etcd:3.6.5-0');
    expect(refs.some((r) => r.includes('coredns/coredns'))).toBe(false);
  });

  it('adds the flannel images, kube-vip and extra images, normalized and deduplicated', () => {
    const set = imageSet(
      inv({
        kubernetes: {
          version: '1.34.1',
          controlPlaneEndpoint: '10.0.0.100:6443',
          loadBalancer: { type: 'kube-vip', vip: '10.0.0.100', interface: 'eth0', image: 'ghcr.io/kube-vip/kube-vip:v0.8.9' },
        },
        offline: { extraImages: ['nginx:1.27', 'docker.io/library/nginx:1.27'] },
      }),
    );
    expect(set.map((i) => i.ref).slice(7)).toEqual([
      'ghcr.io/flannel-io/flannel:v0.28.9',
      'ghcr.io/flannel-io/flannel-cni-plugin:v1.9.1-flannel3',
      'ghcr.io/kube-vip/kube-vip:v0.8.9',
      'docker.io/library/nginx:1.27',
    ]);
  });

  it('cilium: agent, operator, envoy; no kube-proxy with kubeProxyReplacement', () => {
    const set = imageSet(inv({ network: { plugin: 'cilium', cilium: { version: '1.19.4', kubeProxyReplacement: true } } }));
    const refs = set.map((i) => i.ref);
    expect(refs).toContain('quay.io/cilium/cilium:v1.19.4');
    expect(refs).toContain('quay.io/cilium/operator-generic:v1.19.4');
    expect(refs).toContain('quay.io/cilium/cilium-envoy:v1.36.6');
    expect(refs.some((r) => r.includes('kube-proxy'))).toBe(false);
    expect(() => imageSet(inv({ network: { plugin: 'cilium', cilium: { version: '1.18.0', kubeProxyReplacement: false } } }))).toThrow(
      /no cilium-envoy tag known for cilium 1\.18\.0/,
    );
  });

  it('no CNI images with network.plugin none', () => {
    expect(imageSet(inv({ network: { plugin: 'none' } })).map((i) => i.component)).toEqual([
      'kube-apiserver',
      'kube-controller-manager',
      'kube-scheduler',
      'kube-proxy',
      'coredns',
      'pause',
      'etcd',
    ]);
  });
});
