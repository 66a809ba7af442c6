/**
 * What a registry says about content, checked before it is used: digests (the only thing a file path or URL is
 * ever built from), descriptor sizes, and the size of manifests and indexes read into memory. A registry is an
 * untrusted party: a digest like `sha256:../../home/me/.ssh/id_ed25519` must never become a path.
 */
import { join } from 'node:path';

/** The one digest form kubesmith accepts: sha256 and 64 lowercase hex digits (OCI image-spec, descriptor.md). */
export const DIGEST = /^sha256:[a-f0-9]{64}$/;

/**
 * Largest manifest or index read into memory: 4 MiB, the cap a registry itself puts on a manifest PUT
 * (distribution/distribution registry/handlers/manifests.go: maxManifestBodySize = 4 << 20; containers/image
 * internal/iolimits: MaxManifestBodySize, also 4 MiB), so no real image has a bigger one. Real ones are a few KiB.
 */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export class UntrustedContentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UntrustedContentError';
  }
}

/** The digest itself when it has the one accepted form; else an error naming where it came from. */
export function checkDigest(value: unknown, where: string): string {
  if (typeof value !== 'string' || !DIGEST.test(value)) {
    throw new UntrustedContentError(`${where}: digest ${JSON.stringify(value).slice(0, 100)} is not sha256:<64 lowercase hex>`);
  }
  return value;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os: string; architecture: string; variant?: string };
  annotations?: Record<string, string>;
}

/** A descriptor with a valid digest and a non-negative integer size (its other fields are only read). */
export function checkDescriptor(value: unknown, where: string): Descriptor {
  const d = value as Partial<Descriptor> | null;
  if (!d || typeof d !== 'object') throw new UntrustedContentError(`${where}: not a descriptor`);
  checkDigest(d.digest, where);
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) {
    throw new UntrustedContentError(`${where}: size ${JSON.stringify(d.size)} is not a non-negative integer`);
  }
  return d as Descriptor;
}

/** A blob's place in a content-addressed store (DIR/blobs/sha256/<hex>), from a checked digest only. */
export function blobPath(dir: string, digest: string): string {
  return join(dir, 'blobs', 'sha256', checkDigest(digest, 'blob').slice('sha256:'.length));
}

/** The tar member name of a blob in an OCI image layout, from a checked digest only. */
export function blobMember(digest: string): string {
  return `blobs/sha256/${checkDigest(digest, 'blob').slice('sha256:'.length)}`;
}

/** An image manifest's config and layers, every descriptor checked. */
export function parseImageManifest(bytes: Buffer, where: string): { config: Descriptor; layers: Descriptor[] } {
  const m = parseJson(bytes, where) as { config?: unknown; layers?: unknown };
  if (!Array.isArray(m.layers)) throw new UntrustedContentError(`${where}: no layers list (not an image manifest)`);
  return {
    config: checkDescriptor(m.config, `${where} config`),
    layers: m.layers.map((l, i) => checkDescriptor(l, `${where} layers[${i}]`)),
  };
}

/** An index's manifests, every descriptor checked. */
export function parseIndex(bytes: Buffer, where: string): Descriptor[] {
  const m = parseJson(bytes, where) as { manifests?: unknown };
  if (!Array.isArray(m.manifests)) throw new UntrustedContentError(`${where}: no manifests list (not an index)`);
  return m.manifests.map((d, i) => checkDescriptor(d, `${where} manifests[${i}]`));
}

function parseJson(bytes: Buffer, where: string): unknown {
  if (bytes.length > MAX_MANIFEST_BYTES)
    throw new UntrustedContentError(`${where}: ${bytes.length} bytes, more than the ${MAX_MANIFEST_BYTES}-byte cap`);
  try {
    const v = JSON.parse(bytes.toString('utf8')) as unknown;
    if (!v || typeof v !== 'object') throw new Error('not an object');
    return v;
  } catch (err) {
    throw new UntrustedContentError(`${where}: not JSON (${(err as Error).message})`);
  }
}
