import { defineTask, commandAction } from '../common/define.js';
import { flannelView } from '../../render/views.js';
import { ciliumEnvoyTag } from '../../data/versions.js';
import type { Inventory } from '../../inventory/schema.js';
import { lookups, run } from '../../transport/lookups.js';

/**
 * Images the CNI runs on every node. Cilium's chart pins each image's digest, and the digest belongs to the release tag
 * pulled here, so the kubelet finds it already present (the agent, the operator, which may land on any node, and envoy).
 */
export function cniImages(inv: Inventory): string[] {
  const net = inv.spec.network;
  if (net.plugin === 'cilium') {
    const v = net.cilium.version;
    const envoy = ciliumEnvoyTag[v];
    return [
      `quay.io/cilium/cilium:v${v}`,
      `quay.io/cilium/operator-generic:v${v}`,
      ...(envoy ? [`quay.io/cilium/cilium-envoy:${envoy}`] : []),
    ];
  }
  if (net.plugin !== 'flannel') return [];
  const { images } = flannelView(inv);
  return [images.cniPlugin, images.flannel];
}

/** "nginx:1" → "docker.io/library/nginx:1"; a registry host (has a dot, a colon or is localhost) is kept. */
export function canonicalRef(ref: string): string {
  const slash = ref.indexOf('/');
  const first = slash < 0 ? '' : ref.slice(0, slash);
  if (slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost')) return ref;
  return slash < 0 ? `docker.io/library/${ref}` : `docker.io/${ref}`;
}

/** The image tags a runtime holds, from `crictl images -o json`; undefined when the output is not that. */
export function heldTags(json: string): Set<string> | undefined {
  try {
    const parsed = JSON.parse(json) as { images?: { repoTags?: unknown }[] };
    if (!Array.isArray(parsed.images)) return undefined;
    const tags = parsed.images.flatMap((i) =>
      Array.isArray(i.repoTags) ? i.repoTags.filter((x): x is string => typeof x === 'string') : [],
    );
    return new Set(tags.map(canonicalRef));
  } catch {
    return undefined;
  }
}

/**
 * Pull the CNI images on every node once the packages (crictl comes with cri-tools) are in, before any join
 * (kubespray's "download" habit): a node that cannot reach the registry fails here, named, before it joins,
 * instead of sitting NotReady until the wait times out.
 */
export const cniImagesTask = defineTask({
  id: 'cni.images',
  title: 'CNI | Pull the CNI images on every node',
  async plan(ctx) {
    const images = cniImages(ctx.inventory);
    if (images.length === 0) return { skip: `no images to pre-pull for network.plugin ${ctx.inventory.spec.network.plugin}` };
    const t = ctx.transport;
    const held = heldTags((await t.exec(['crictl', 'images', '-o', 'json'], { allowFailure: true })).stdout);
    let missing: string[];
    if (held) {
      missing = images.filter((image) => !held.has(canonicalRef(image)));
    } else {
      // An answer we cannot read: ask image by image.
      const found = await lookups(
        t,
        images.map((image) => run(['crictl', 'inspecti', '-q', image])),
      );
      missing = images.filter((_, i) => found[i]!.code !== 0);
    }
    if (missing.length === 0) return [];
    // One pull per image, all in one round trip.
    return [
      commandAction(
        t,
        `pull ${missing.join(' ')}`,
        missing.map((image) => ['crictl', 'pull', image]),
        { timeoutMs: 900_000 * missing.length },
      ),
    ];
  },
});
