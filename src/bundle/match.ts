/**
 * Does this bundle serve this inventory? Versions must match exactly, every required image must be in the bundle
 * (by name, or by component under another repository: then it is retagged on the hosts), for every platform.
 */
import type { Inventory } from '../inventory/schema.js';
import { parseKubeVersion } from '../data/versions.js';
import { imageSet } from './image-set.js';
import { parseImageRef } from './reference.js';
import type { BundleImage, BundleManifest } from './manifest.js';
import { derived } from '../inventory/derived.js';

export interface ImageSource {
  /** The reference the node must hold (what kubeadm / the manifests ask for). */
  ref: string;
  component: string;
  /** The bundle's image that provides it. */
  image: BundleImage;
  /** true when the bundle's name differs and the node needs `ctr images tag image.ref ref`. */
  retag: boolean;
}

export interface BundleMatch {
  problems: string[];
  images: ImageSource[];
}

export function matchBundle(manifest: BundleManifest, inv: Inventory): BundleMatch {
  const problems: string[] = [];
  const k = inv.spec.kubernetes;
  if (parseKubeVersion(manifest.kubernetes.version).text !== derived(inv).kubernetes.version.text) {
    problems.push(
      `the bundle serves Kubernetes ${manifest.kubernetes.version}, the inventory asks for ${k.version} (make a new bundle: kubesmith bundle create -i …)`,
    );
  }
  const net = inv.spec.network;
  const netVersion = net.plugin === 'flannel' ? net.flannel.version : net.plugin === 'cilium' ? net.cilium.version : undefined;
  if (net.plugin !== 'none' && (manifest.network.plugin !== net.plugin || manifest.network.version !== netVersion)) {
    problems.push(
      `the bundle serves ${manifest.network.plugin} ${manifest.network.version ?? ''}`.trimEnd() +
        `, the inventory asks for ${net.plugin} ${netVersion}`,
    );
  }
  if (manifest.containerRuntime !== inv.spec.containerRuntime.type) {
    problems.push(`the bundle was made for ${manifest.containerRuntime}, the inventory uses ${inv.spec.containerRuntime.type}`);
  }
  const images: ImageSource[] = [];
  for (const want of imageSet(inv)) {
    const exact = manifest.images.find((i) => i.ref === want.ref);
    // same component and tag under another repository (e.g. bundle from registry.k8s.io, inventory on a mirror's name)
    const tag = (ref: string) => parseImageRef(ref).tag;
    const image = exact ?? manifest.images.find((i) => i.component === want.component && tag(i.ref) === tag(want.ref));
    if (!image) {
      problems.push(`image ${want.ref} is not in the bundle`);
      continue;
    }
    const missing = manifest.platforms.filter((p) => !image.platforms[p]);
    if (missing.length) problems.push(`image ${image.ref} has no archive for ${missing.join(', ')}`);
    images.push({ ref: want.ref, component: want.component, image, retag: !exact });
  }
  return { problems, images };
}
