/**
 * `bundle push`: put a bundle's images into a private registry (registry v2 API: HEAD/POST/PUT blobs, PUT manifests).
 * Repository paths are kept without the source host (registry.k8s.io/kube-apiserver → REGISTRY/kube-apiserver,
 * ghcr.io/flannel-io/flannel → REGISTRY/flannel-io/flannel), which is what containerd asks a mirror for when
 * hosts.toml points registry.k8s.io / ghcr.io at it; --prefix adds a project (REGISTRY/PREFIX/kube-apiserver) for
 * use as kubernetes.imageRepository. Several platforms are pushed under one tag as an OCI index.
 */
import { join } from 'node:path';
import type { BundleManifest } from './manifest.js';
import { ANNOTATION_IMAGE_NAME } from './pull.js';
import { parseImageRef } from './reference.js';
import { MEDIA, RegistryClient } from './registry.js';
import { readTar } from './tar.js';

export interface PushOptions {
  client?: RegistryClient;
  /** e.g. http://127.0.0.1:5000 or https://registry.internal */
  registry: string;
  prefix?: string;
  onImage?: (ref: string, target: string, blobsSent: number) => void;
}

export interface PushedImage {
  source: string;
  target: string;
  digest: string;
  blobsSent: number;
}

export function pushTarget(ref: string, prefix?: string): { repository: string; tag: string } {
  const r = parseImageRef(ref);
  const repository = `${prefix ? `${prefix.replace(/^\/+|\/+$/g, '')}/` : ''}${r.repository}`;
  return { repository, tag: r.tag ?? 'latest' };
}

interface ArchiveManifest {
  mediaType: string;
  digest: string;
  bytes: Buffer;
  platform: { os: string; architecture: string };
  blobs: Map<string, Buffer>;
}

function readArchive(path: string): ArchiveManifest {
  const files = readTar(path);
  const index = JSON.parse(files.get('index.json')?.toString('utf8') ?? 'null') as { manifests: { mediaType: string; digest: string; platform?: { os: string; architecture: string }; annotations?: Record<string, string> }[] } | null;
  const d = index?.manifests[0];
  if (!d) throw new Error(`${path}: not an OCI image archive (no index.json manifest)`);
  const blob = (digest: string) => {
    const b = files.get(`blobs/${digest.replace(':', '/')}`);
    if (!b) throw new Error(`${path}: blob ${digest} is missing`);
    return b;
  };
  const bytes = blob(d.digest);
  const m = JSON.parse(bytes.toString('utf8')) as { config: { digest: string }; layers: { digest: string }[] };
  const blobs = new Map<string, Buffer>();
  for (const x of [m.config, ...m.layers]) blobs.set(x.digest, blob(x.digest));
  // the config knows the platform even when the index descriptor does not say it
  const config = JSON.parse(blobs.get(m.config.digest)!.toString('utf8')) as { os?: string; architecture?: string };
  const platform = d.platform ?? { os: config.os ?? 'linux', architecture: config.architecture ?? 'amd64' };
  return { mediaType: d.mediaType, digest: d.digest, bytes, platform, blobs };
}

export async function pushBundle(dir: string, manifest: BundleManifest, o: PushOptions): Promise<PushedImage[]> {
  const client = o.client ?? new RegistryClient();
  const endpoint = o.registry.replace(/\/+$/, '');
  const host = endpoint.replace(/^https?:\/\//, '');
  const pushed: PushedImage[] = [];
  for (const image of manifest.images) {
    const { repository, tag } = pushTarget(image.ref, o.prefix);
    let sent = 0;
    const archives = Object.values(image.platforms).map((p) => readArchive(join(dir, p.file)));
    for (const a of archives) {
      for (const [digest, data] of a.blobs) {
        if (await client.blobExists(endpoint, repository, digest)) continue;
        await client.pushBlob(endpoint, repository, digest, data);
        sent++;
      }
      await client.putManifest(endpoint, repository, archives.length === 1 ? tag : a.digest, a.bytes, a.mediaType);
    }
    let digest = archives[0]!.digest;
    if (archives.length > 1) {
      const index = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MEDIA.ociIndex,
          manifests: archives.map((a) => ({ mediaType: a.mediaType, digest: a.digest, size: a.bytes.length, platform: a.platform })),
          annotations: { [ANNOTATION_IMAGE_NAME]: image.ref },
        }),
      );
      digest = await client.putManifest(endpoint, repository, tag, index, MEDIA.ociIndex);
    }
    const target = `${host}/${repository}:${tag}`;
    o.onImage?.(image.ref, target, sent);
    pushed.push({ source: image.ref, target, digest, blobsSent: sent });
  }
  return pushed;
}
