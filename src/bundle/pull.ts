/**
 * Pull one image for the requested platforms into single-platform OCI archives (what `ctr -n k8s.io images import`
 * and `docker load` take). Blobs go through a content-addressed cache (resume, and layers shared between images are
 * fetched once); archives are byte-for-byte reproducible, so a re-run writes identical files.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { blobMember, blobPath, checkDigest, parseImageManifest, parseIndex, UntrustedContentError } from './digest.js';
import { MEDIA, type RegistryClient, RegistryError } from './registry.js';
import { formatImageRef, imageFileName, parseImageRef } from './reference.js';
import { writeTar } from './tar.js';

export const ANNOTATION_IMAGE_NAME = 'io.containerd.image.name';
export const ANNOTATION_REF_NAME = 'org.opencontainers.image.ref.name';

export interface PulledImage {
  ref: string;
  repoDigest: string;
  /** platform → manifest digest and archive path (relative to the bundle root). */
  platforms: Record<string, { digest: string; file: string }>;
}

export interface PullOptions {
  client: RegistryClient;
  /** Bundle root: archives go to images/<os>-<arch>/<name>.tar. */
  root: string;
  /** Blob cache directory (blobs/sha256/<hex>). */
  cache: string;
  platforms: string[];
  onBytes?: (n: number) => void;
}

const isIndex = (t: string) => t === MEDIA.ociIndex || t === MEDIA.dockerList;

/** An image config is read into memory only to learn a single-platform image's platform; real ones are KiBs. */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

async function cacheBytes(cache: string, digest: string, bytes: Buffer): Promise<void> {
  const path = blobPath(cache, checkDigest(digest, 'manifest'));
  if (existsSync(path)) return;
  await mkdir(join(cache, 'blobs', 'sha256'), { recursive: true });
  await writeFile(path, bytes);
}

export function archivePath(ref: string, platform: string): string {
  return `images/${platform.replace('/', '-')}/${imageFileName(ref)}.tar`;
}

export async function pullImage(text: string, opts: PullOptions): Promise<PulledImage> {
  const ref = parseImageRef(text);
  const name = formatImageRef(ref);
  const top = await opts.client.getManifest(ref, ref.digest ?? ref.tag!);
  const result: PulledImage = { ref: name, repoDigest: top.digest, platforms: {} };

  // platform → the manifest to take for it
  const chosen = new Map<string, { bytes: Buffer; mediaType: string; digest: string }>();
  if (isIndex(top.mediaType)) {
    const index = { manifests: parseIndex(top.bytes, `${name} index`) };
    for (const platform of opts.platforms) {
      const [os, arch] = platform.split('/');
      const d = index.manifests.find(
        (m) =>
          m.platform?.os === os &&
          m.platform?.architecture === arch &&
          (arch !== 'arm64' || !m.platform?.variant || m.platform?.variant === 'v8'),
      );
      if (!d)
        throw new RegistryError(
          `${name} has no ${platform} image (it offers ${index.manifests.map((m) => `${m.platform?.os}/${m.platform?.architecture}`).join(', ')})`,
        );
      const m = await opts.client.getManifest(ref, d.digest, d.size);
      chosen.set(platform, { bytes: m.bytes, mediaType: m.mediaType, digest: m.digest });
    }
  } else {
    // a single-platform image: its config says which platform it is
    const manifest = parseImageManifest(top.bytes, `${name} manifest`);
    if (manifest.config.size > MAX_CONFIG_BYTES)
      throw new UntrustedContentError(`${name}: config of ${manifest.config.size} bytes, more than the ${MAX_CONFIG_BYTES}-byte cap`);
    await opts.client.fetchBlob(ref, top.endpoint, manifest.config, blobPath(opts.cache, manifest.config.digest), opts.onBytes);
    const config = JSON.parse((await readFile(blobPath(opts.cache, manifest.config.digest))).toString('utf8')) as {
      os?: string;
      architecture?: string;
    };
    const platform = `${config.os ?? 'linux'}/${config.architecture ?? 'amd64'}`;
    const missing = opts.platforms.filter((p) => p !== platform);
    if (missing.length) throw new RegistryError(`${name} is a single-platform image (${platform}); no ${missing.join(', ')} image exists`);
    chosen.set(platform, { bytes: top.bytes, mediaType: top.mediaType, digest: top.digest });
  }

  for (const [platform, m] of chosen) {
    const manifest = parseImageManifest(m.bytes, `${name} ${platform} manifest`);
    await cacheBytes(opts.cache, m.digest, m.bytes);
    for (const d of [manifest.config, ...manifest.layers]) {
      await opts.client.fetchBlob(ref, top.endpoint, d, blobPath(opts.cache, d.digest), opts.onBytes);
    }
    const [os, architecture] = platform.split('/') as [string, string];
    const index = {
      schemaVersion: 2,
      mediaType: MEDIA.ociIndex,
      manifests: [
        {
          mediaType: m.mediaType,
          digest: m.digest,
          size: m.bytes.length,
          platform: { os, architecture },
          annotations: { [ANNOTATION_IMAGE_NAME]: name, [ANNOTATION_REF_NAME]: ref.tag ?? ref.digest! },
        },
      ],
    };
    const file = archivePath(name, platform);
    await mkdir(join(opts.root, file, '..'), { recursive: true });
    const blobs = [m.digest, manifest.config.digest, ...manifest.layers.map((l) => l.digest)];
    await writeTar(join(opts.root, file), [
      { name: 'oci-layout', data: Buffer.from('{"imageLayoutVersion":"1.0.0"}') },
      { name: 'index.json', data: Buffer.from(JSON.stringify(index)) },
      ...[...new Set(blobs)].map((d) => ({ name: blobMember(d), file: blobPath(opts.cache, d) })),
    ]);
    result.platforms[platform] = { digest: m.digest, file };
  }
  return result;
}
