// Image archives: read OCI-layout and docker-save tars (what `ctr images import` / `docker load` accept),
// and write minimal valid ones for tests and bundle work.
import { createHash } from 'node:crypto';
import { readTar } from './tar.js';
import { normalizeRef } from './image-ref.js';

export const MEDIA = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

export const ANNOTATION_IMAGE_NAME = 'io.containerd.image.name';
export const ANNOTATION_REF_NAME = 'org.opencontainers.image.ref.name';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string; variant?: string };
}

/** One named image found in an archive, as containerd would record it. */
export interface ArchiveImage {
  name: string;
  /** digest of the target (manifest or index) bytes */
  digest: string;
  mediaType: string;
  /** target + manifest + config + layers, as `ctr images ls` SIZE counts for the default platform */
  size: number;
  /** image ID as the CRI and docker show it */
  configDigest: string;
  platforms: string[];
}

export interface ImageArchive {
  format: 'oci' | 'docker';
  images: ArchiveImage[];
}

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

function blobName(digest: string): string {
  return `blobs/${digest.replace(':', '/')}`;
}

class Blobs {
  constructor(private readonly files: Map<string, Buffer>) {}
  get(digest: string, what: string): Buffer {
    const data = this.files.get(blobName(digest));
    if (!data) throw new Error(`content digest ${digest}: not found`);
    if (sha256(data) !== digest) throw new Error(`${what} ${digest}: digest mismatch (corrupt archive)`);
    return data;
  }
  json<T>(digest: string, what: string): T {
    return JSON.parse(this.get(digest, what).toString('utf8')) as T;
  }
}

interface ManifestJson {
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  manifests?: Descriptor[];
}
interface ConfigJson {
  os?: string;
  architecture?: string;
  variant?: string;
}

function platformOf(config: ConfigJson): string {
  return [config.os ?? 'linux', config.architecture ?? 'amd64', config.variant].filter(Boolean).join('/');
}

/**
 * Resolves a target like `ctr images import`: the host platform's manifest, config and layers must be in the archive
 * (all platforms' with --all-platforms); returns config digest, platforms and the size `ctr images ls` shows.
 */
function describeTarget(blobs: Blobs, target: Descriptor, hostPlatform: string, allPlatforms: boolean): Omit<ArchiveImage, 'name'> {
  const bytes = blobs.get(target.digest, 'manifest');
  const doc = JSON.parse(bytes.toString('utf8')) as ManifestJson;
  const mediaType = target.mediaType || doc.mediaType || MEDIA.ociManifest;
  if (doc.manifests) {
    const platforms = doc.manifests.filter((m) => m.platform).map((m) => platformOf(m.platform!));
    const pick = doc.manifests.find((m) => m.platform && platformOf(m.platform) === hostPlatform) ?? doc.manifests[0];
    if (!pick) throw new Error(`index ${target.digest} lists no manifests`);
    const wanted = allPlatforms ? doc.manifests : [pick];
    const described = wanted.map((m) => ({ m, d: describeTarget(blobs, m, hostPlatform, allPlatforms) }));
    const inner = described.find(({ m }) => m === pick)!.d;
    return { digest: target.digest, mediaType, size: target.size + inner.size, configDigest: inner.configDigest, platforms };
  }
  const config = blobs.json<ConfigJson>(doc.config.digest, 'config');
  for (const layer of doc.layers) blobs.get(layer.digest, 'layer');
  const layers = doc.layers.reduce((sum, l) => sum + l.size, 0);
  return {
    digest: target.digest,
    mediaType,
    size: target.size + doc.config.size + layers,
    configDigest: doc.config.digest,
    platforms: [platformOf(config)],
  };
}

function ociName(annotations: Record<string, string> | undefined, baseName?: string): string {
  const name = annotations?.[ANNOTATION_IMAGE_NAME];
  if (name) return name;
  const refName = annotations?.[ANNOTATION_REF_NAME];
  if (!refName) return '';
  if (baseName) return `${baseName}:${refName}`;
  // A bare tag ("3.10") names nothing without --base-name; a full reference is used as is.
  return /[/:]/.test(refName) ? normalizeRef(refName) : '';
}

interface DockerSaveEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

function readDocker(files: Map<string, Buffer>): ArchiveImage[] {
  const raw = files.get('manifest.json');
  if (!raw) throw new Error('ctr: unrecognized image format: no index.json or manifest.json in archive');
  const entries = JSON.parse(raw.toString('utf8')) as DockerSaveEntry[];
  const images: ArchiveImage[] = [];
  for (const entry of entries) {
    const config = files.get(entry.Config);
    if (!config) throw new Error(`ctr: failed to read config ${entry.Config}: not found in archive`);
    const layers = entry.Layers.map((path) => {
      const data = files.get(path);
      if (!data) throw new Error(`ctr: failed to resolve layer ${path}: not found in archive`);
      const gz = data[0] === 0x1f && data[1] === 0x8b;
      return { mediaType: gz ? MEDIA.dockerLayerGzip : MEDIA.dockerLayer, digest: sha256(data), size: data.length };
    });
    // containerd converts a docker-save entry into a schema2 manifest; the digest is of these exact bytes.
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.dockerManifest,
      config: { mediaType: MEDIA.dockerConfig, digest: sha256(config), size: config.length },
      layers,
    });
    const parsed = JSON.parse(config.toString('utf8')) as ConfigJson;
    for (const tag of entry.RepoTags ?? []) {
      images.push({
        name: normalizeRef(tag),
        digest: sha256(manifest),
        mediaType: MEDIA.dockerManifest,
        size: manifest.length + config.length + layers.reduce((s, l) => s + l.size, 0),
        configDigest: sha256(config),
        platforms: [platformOf(parsed)],
      });
    }
  }
  return images;
}

export interface ReadOptions {
  baseName?: string;
  platform?: string;
  allPlatforms?: boolean;
}

/** Lists exactly the named images an archive holds, with the digests containerd would record. */
export function readImageArchive(archive: Buffer, options: ReadOptions = {}): ImageArchive {
  const files = new Map<string, Buffer>();
  for (const entry of readTar(archive)) if (entry.type === 'file') files.set(entry.name, entry.data);
  const index = files.get('index.json');
  if (!index) return { format: 'docker', images: readDocker(files) };
  const blobs = new Blobs(files);
  const doc = JSON.parse(index.toString('utf8')) as { manifests?: Descriptor[] };
  const images: ArchiveImage[] = [];
  for (const desc of doc.manifests ?? []) {
    const name = ociName(desc.annotations, options.baseName);
    if (!name) continue;
    images.push({ name, ...describeTarget(blobs, desc, options.platform ?? 'linux/amd64', options.allPlatforms ?? false) });
  }
  return { format: 'oci', images };
}

export { writeOciArchive, writeDockerArchive, makeTestImage } from './oci-archive-writer.js';
export type { TestImage, TestImageSpec } from './oci-archive-writer.js';
