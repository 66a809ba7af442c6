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
import { blobMember, MAX_MANIFEST_BYTES, parseImageManifest, parseIndex } from './digest.js';
import { memberStream, readMember, tarMembers, type TarMember } from './tar.js';

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
  /** digest → the member holding it; layers are streamed from the archive, never read whole. */
  blobs: Map<string, TarMember>;
}

/** An OCI archive's one image: manifest and config read (capped), every blob located; digests checked first. */
export async function readArchive(path: string): Promise<ArchiveManifest> {
  const members = new Map((await tarMembers(path)).filter((m) => m.type === '0').map((m) => [m.name, m]));
  const small = async (name: string) => readMember(path, members.get(name)!, MAX_MANIFEST_BYTES);
  if (!members.has('index.json')) throw new Error(`${path}: not an OCI image archive (no index.json)`);
  const d = parseIndex(await small('index.json'), `${path} index.json`)[0];
  if (!d) throw new Error(`${path}: not an OCI image archive (no index.json manifest)`);
  const member = (digest: string) => {
    const m = members.get(blobMember(digest));
    if (!m) throw new Error(`${path}: blob ${digest} is missing`);
    return m;
  };
  const bytes = await readMember(path, member(d.digest), MAX_MANIFEST_BYTES);
  const m = parseImageManifest(bytes, `${path} manifest ${d.digest}`);
  const blobs = new Map<string, TarMember>();
  for (const x of [m.config, ...m.layers]) {
    const found = member(x.digest);
    if (found.size !== x.size) throw new Error(`${path}: blob ${x.digest} has ${found.size} bytes, the manifest says ${x.size}`);
    blobs.set(x.digest, found);
  }
  // the config knows the platform even when the index descriptor does not say it
  const config = JSON.parse((await readMember(path, blobs.get(m.config.digest)!, MAX_MANIFEST_BYTES)).toString('utf8')) as {
    os?: string;
    architecture?: string;
  };
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
    const archives = await Promise.all(Object.values(image.platforms).map((p) => readArchive(join(dir, p.file))));
    for (const [i, a] of archives.entries()) {
      const file = join(dir, Object.values(image.platforms)[i]!.file);
      for (const [digest, m] of a.blobs) {
        if (await client.blobExists(endpoint, repository, digest)) continue;
        await client.pushBlob(endpoint, repository, digest, m.size, () => memberStream(file, m));
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
