// Writes minimal, valid image archives (one small uncompressed layer per image): an OCI layout tar
// like `ctr images export` makes, or a docker-save tar like `docker save` makes. Deterministic bytes.
import { writeTar } from './tar.js';
import { normalizeRef, splitRepoTag, familiarRef } from './image-ref.js';
import { MEDIA, ANNOTATION_IMAGE_NAME, ANNOTATION_REF_NAME, sha256 } from './oci-archive.js';

export interface TestImageSpec {
  /** image reference, e.g. registry.k8s.io/pause:3.10 */
  ref: string;
  /** os/arch, default linux/amd64 */
  platform?: string;
  /** files inside the single layer; default one file naming the image */
  files?: Record<string, string>;
}

export interface TestImage {
  ref: string;
  layer: Buffer;
  config: Buffer;
  manifest: Buffer;
  manifestDigest: string;
  configDigest: string;
}

export function makeTestImage(spec: TestImageSpec): TestImage {
  const ref = normalizeRef(spec.ref);
  const [os, architecture] = (spec.platform ?? 'linux/amd64').split('/');
  const layer = writeTar(Object.entries(spec.files ?? { 'etc/lab-image': `${ref}\n` }).map(([name, data]) => ({ name, data })));
  const config = Buffer.from(
    JSON.stringify({
      architecture,
      os,
      config: { Cmd: ['/bin/true'] },
      rootfs: { type: 'layers', diff_ids: [sha256(layer)] },
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.ociManifest,
      config: { mediaType: MEDIA.ociConfig, digest: sha256(config), size: config.length },
      layers: [{ mediaType: MEDIA.ociLayer, digest: sha256(layer), size: layer.length }],
    }),
  );
  return { ref, layer, config, manifest, manifestDigest: sha256(manifest), configDigest: sha256(config) };
}

function blob(data: Buffer): { name: string; data: Buffer } {
  return { name: `blobs/${sha256(data).replace(':', '/')}`, data };
}

export interface OciWriteOptions {
  /** annotate only org.opencontainers.image.ref.name with the tag (needs `ctr import --base-name`) */
  tagOnly?: boolean;
  /** make each image a multi-platform index over these platforms (e.g. linux/amd64, linux/arm64) */
  platforms?: string[];
  /** with platforms: include the blobs of this platform only (what a single-arch export of a manifest list holds) */
  blobsFor?: string;
}

interface Target {
  ref: string;
  bytes: Buffer;
  mediaType: string;
  blobs: Buffer[];
}

function target(spec: TestImageSpec, options: OciWriteOptions): Target {
  if (!options.platforms) {
    const image = makeTestImage(spec);
    return { ref: image.ref, bytes: image.manifest, mediaType: MEDIA.ociManifest, blobs: [image.layer, image.config, image.manifest] };
  }
  const images = options.platforms.map((platform) => ({ platform, image: makeTestImage({ ...spec, platform }) }));
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.ociIndex,
      manifests: images.map(({ platform, image }) => {
        const [os, architecture] = platform.split('/');
        return { mediaType: MEDIA.ociManifest, digest: image.manifestDigest, size: image.manifest.length, platform: { architecture, os } };
      }),
    }),
  );
  const blobs = images
    .filter(({ platform }) => !options.blobsFor || platform === options.blobsFor)
    .flatMap(({ image }) => [image.layer, image.config, image.manifest]);
  return { ref: images[0]!.image.ref, bytes: index, mediaType: MEDIA.ociIndex, blobs: [...blobs, index] };
}

/** An OCI image layout tar; each image named in index.json by io.containerd.image.name and ref.name. */
export function writeOciArchive(specs: TestImageSpec | TestImageSpec[], options: OciWriteOptions = {}): Buffer {
  const targets = (Array.isArray(specs) ? specs : [specs]).map((spec) => target(spec, options));
  const blobs = new Map<string, { name: string; data: Buffer }>();
  for (const t of targets) for (const data of t.blobs) blobs.set(sha256(data), blob(data));
  const index = {
    schemaVersion: 2,
    mediaType: MEDIA.ociIndex,
    manifests: targets.map((t) => {
      const tag = splitRepoTag(t.ref).tag;
      const annotations: Record<string, string> = options.tagOnly
        ? { [ANNOTATION_REF_NAME]: tag }
        : { [ANNOTATION_IMAGE_NAME]: t.ref, [ANNOTATION_REF_NAME]: tag };
      return { mediaType: t.mediaType, digest: sha256(t.bytes), size: t.bytes.length, annotations };
    }),
  };
  return writeTar([
    { name: 'blobs/' },
    { name: 'blobs/sha256/' },
    ...blobs.values(),
    { name: 'oci-layout', data: JSON.stringify({ imageLayoutVersion: '1.0.0' }) },
    { name: 'index.json', data: JSON.stringify(index) },
  ]);
}

/** A docker-save tar (legacy layout: manifest.json with RepoTags, <id>.json config, <id>/layer.tar). */
export function writeDockerArchive(specs: TestImageSpec | TestImageSpec[]): Buffer {
  const images = (Array.isArray(specs) ? specs : [specs]).map(makeTestImage);
  const entries: Array<{ name: string; data?: Buffer | string }> = [];
  const manifest = images.map((image) => {
    const id = image.configDigest.slice('sha256:'.length);
    const layerId = sha256(image.layer).slice('sha256:'.length);
    entries.push({ name: `${layerId}/` }, { name: `${layerId}/layer.tar`, data: image.layer }, { name: `${id}.json`, data: image.config });
    return { Config: `${id}.json`, RepoTags: [familiarRef(image.ref)], Layers: [`${layerId}/layer.tar`] };
  });
  entries.push({ name: 'manifest.json', data: JSON.stringify(manifest) });
  return writeTar(entries);
}
