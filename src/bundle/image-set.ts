/**
 * The exact image set an inventory needs: kubeadm's seven images for the version and imageRepository (with
 * kubeadm's CoreDNS flattening), the CNI's images, kube-vip or the local API server proxy (haproxy) when configured, and spec.offline.extraImages.
 * Pure: inventory in, list out. The same list drives `bundle create` (what to pull) and `apply` (what must be on
 * every node before kubeadm runs).
 */
import type { Inventory } from '../inventory/schema.js';
import { byMinor, ciliumEnvoyTag, kubeadmImageTagsByMinor, parseKubeVersion, pauseTag } from '../data/versions.js';
import { flannelView } from '../render/views.js';
import { derived } from '../inventory/derived.js';
import { normalizeImageRef } from './reference.js';

export const DEFAULT_IMAGE_REPOSITORY = 'registry.k8s.io';

/** One required image: `component` is stable across repositories (used to retag), `ref` is normalized. */
export interface WantedImage {
  component: string;
  ref: string;
}

/** kubeadm's images (what `kubeadm config images list --kubernetes-version V --image-repository R` prints). */
export function kubeadmImages(
  version: string,
  imageRepository = DEFAULT_IMAGE_REPOSITORY,
  opts: { kubeProxy?: boolean } = {},
): WantedImage[] {
  const v = `v${parseKubeVersion(version).text}`;
  const tags = byMinor(kubeadmImageTagsByMinor, version, 'coredns/etcd image tags');
  const repo = imageRepository;
  // kubeadm keeps coredns/coredns only on the default registry; any other repository gets <repo>/coredns:<tag>.
  const corednsRepo = repo === DEFAULT_IMAGE_REPOSITORY ? `${repo}/coredns` : repo;
  const images: WantedImage[] = [
    { component: 'kube-apiserver', ref: `${repo}/kube-apiserver:${v}` },
    { component: 'kube-controller-manager', ref: `${repo}/kube-controller-manager:${v}` },
    { component: 'kube-scheduler', ref: `${repo}/kube-scheduler:${v}` },
    { component: 'kube-proxy', ref: `${repo}/kube-proxy:${v}` },
    { component: 'coredns', ref: `${corednsRepo}/coredns:${tags.coredns}` },
    { component: 'pause', ref: `${repo}/pause:${pauseTag(version)}` },
    { component: 'etcd', ref: `${repo}/etcd:${tags.etcd}` },
  ];
  return images.filter((i) => opts.kubeProxy !== false || i.component !== 'kube-proxy');
}

export function cniImages(inv: Inventory): WantedImage[] {
  const net = inv.spec.network;
  if (net.plugin === 'flannel') {
    const view = flannelView(inv);
    return [
      { component: 'flannel', ref: view.images.flannel },
      { component: 'flannel-cni-plugin', ref: view.images.cniPlugin },
    ];
  }
  if (net.plugin === 'cilium') {
    const v = net.cilium.version;
    const envoy = ciliumEnvoyTag[v];
    if (!envoy)
      throw new Error(
        `no cilium-envoy tag known for cilium ${v}; add it to ciliumEnvoyTag in src/data/versions.ts or list it in spec.offline.extraImages`,
      );
    return [
      { component: 'cilium', ref: `quay.io/cilium/cilium:v${v}` },
      { component: 'cilium-operator', ref: `quay.io/cilium/operator-generic:v${v}` },
      { component: 'cilium-envoy', ref: `quay.io/cilium/cilium-envoy:${envoy}` },
    ];
  }
  return [];
}

/** Every image the inventory needs, deduplicated by normalized reference, in a stable order. */
export function imageSet(inv: Inventory): WantedImage[] {
  const k = inv.spec.kubernetes;
  const kpr = inv.spec.network.plugin === 'cilium' && inv.spec.network.cilium.kubeProxyReplacement;
  const wanted: WantedImage[] = [...kubeadmImages(k.version, k.imageRepository, { kubeProxy: !kpr }), ...cniImages(inv)];
  const kubeVip = derived(inv).images.kubeVip;
  if (kubeVip) wanted.push({ component: 'kube-vip', ref: kubeVip });
  const localProxy = derived(inv).images.localProxy;
  if (localProxy) wanted.push({ component: 'apiserver-proxy', ref: localProxy });
  for (const ref of inv.spec.offline?.extraImages ?? []) wanted.push({ component: `extra:${normalizeImageRef(ref)}`, ref });
  const seen = new Set<string>();
  return wanted
    .map((w) => ({ component: w.component, ref: normalizeImageRef(w.ref) }))
    .filter((w) => (seen.has(w.ref) ? false : (seen.add(w.ref), true)));
}
