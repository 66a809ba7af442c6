/**
 * `bundle create`: inventory in, bundle directory out. Pulls the image set (registry client), downloads the node
 * files (resumable), then writes manifest.json last (atomically), so a directory with a manifest is complete.
 * A re-run keeps every file whose checksum the previous manifest vouches for and fetches only what is missing.
 */
import { existsSync, statSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import type { KeyObject } from 'node:crypto';
import { join } from 'node:path';
import type { Inventory } from '../inventory/schema.js';
import { resolveArtifacts } from './artifacts.js';
import { download } from './download.js';
import { imageSet } from './image-set.js';
import {
  BUNDLE_FORMAT,
  MANIFEST_FILE,
  readManifest,
  sha256File,
  type BundleFile,
  type BundleImage,
  type BundleManifest,
} from './manifest.js';
import { pullImage } from './pull.js';
import type { RegistryAuth } from './auth.js';
import { RegistryClient } from './registry.js';
import { signManifest, SIGNATURE_FILE } from './signature.js';

export type BundleEvent =
  | { type: 'image'; ref: string; status: 'pulled' | 'kept' }
  | { type: 'file'; path: string; status: 'downloaded' | 'kept' }
  | { type: 'bytes'; n: number };

export interface CreateOptions {
  inventory: Inventory;
  out: string;
  platforms: string[];
  /** Registry host (or "*") → mirror base URLs. */
  mirrors?: Record<string, string[]>;
  mirrorsOnly?: boolean;
  /** Registry credentials per host (auth.ts decides where each may go). */
  auth?: RegistryAuth;
  filesUrl?: string;
  /** Allow file downloads over plain HTTP (a --files-url or packageRepository with http://); refused otherwise. */
  allowHttpFiles?: boolean;
  /** Distro releases to fetch OS packages for ("debian-12", "rhel-9"). */
  packages?: string[];
  fetch?: typeof fetch;
  onEvent?: (e: BundleEvent) => void;
  now?: () => Date;
  /** Sign manifest.json with this ed25519 key (manifest.json.sig); without it a stale signature is removed. */
  signingKey?: KeyObject;
  /** Images / files fetched at once (default 4). */
  concurrency?: number;
}

/** map with at most `limit` calls in flight; results in input order; the first failure rejects after the others settle. */
export async function inParallel<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  const settled = await Promise.allSettled(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return results;
}

function previousManifest(out: string): BundleManifest | undefined {
  try {
    return existsSync(join(out, MANIFEST_FILE)) ? readManifest(out) : undefined;
  } catch {
    return undefined; // unreadable: start over, files are re-checked anyway
  }
}

/** The previous manifest's record of a file, when the file on disk still has that size. */
function kept(out: string, prev: BundleManifest | undefined, path: string): BundleFile | undefined {
  const f = prev?.files.find((x) => x.path === path);
  if (!f || !existsSync(join(out, path)) || statSync(join(out, path)).size !== f.size) return undefined;
  return f;
}

/** Where files and their index/checksum files come from: the files mirror, else the package repository (with --packages). */
function fileSources(o: CreateOptions): string[] {
  if (o.filesUrl) return [o.filesUrl];
  const repo = o.inventory.spec.kubernetes.packageRepository;
  return repo && o.packages?.length ? [repo] : [];
}

function refusePlainHttp(urls: string[], allowed: boolean | undefined): void {
  const plain = urls.find((u) => !u.startsWith('https://'));
  if (plain && !allowed) {
    throw new Error(
      `${plain}: files are fetched over HTTPS only (a plain-HTTP mirror can change them in transit); pass --allow-http-files to accept ${new URL(plain).origin}`,
    );
  }
}

type Emit = (e: BundleEvent) => void;

/** Every image of the inventory's image set, each platform's archive pulled, or kept when its checksum still holds. */
async function bundleImages(
  o: CreateOptions,
  prev: BundleManifest | undefined,
  emit: Emit,
): Promise<{ images: BundleImage[]; files: BundleFile[] }> {
  const client = new RegistryClient({
    mirrors: o.mirrors ?? {},
    ...(o.mirrorsOnly ? { mirrorsOnly: true } : {}),
    ...(o.auth ? { auth: o.auth } : {}),
    ...(o.fetch ? { fetch: o.fetch } : {}),
  });
  const keptArchive = async (before: BundleImage, p: string) => {
    const f = kept(o.out, prev, before.platforms[p]!.file);
    return !!f && (await sha256File(join(o.out, f.path))) === f.sha256;
  };
  // a few at a time; results keep the image-set order (stable manifests)
  const pulled = await inParallel(imageSet(o.inventory), o.concurrency ?? 4, async (want) => {
    const before = prev?.images.find((i) => i.ref === want.ref);
    const reuse =
      before &&
      o.platforms.every((p) => before.platforms[p]) &&
      (await Promise.all(o.platforms.map((p) => keptArchive(before, p)))).every(Boolean);
    let platforms: BundleImage['platforms'];
    let repoDigest: string | undefined;
    if (reuse) {
      platforms = Object.fromEntries(o.platforms.map((p) => [p, before.platforms[p]!]));
      repoDigest = before.repoDigest;
      emit({ type: 'image', ref: want.ref, status: 'kept' });
    } else {
      const fresh = await pullImage(want.ref, {
        client,
        root: o.out,
        cache: join(o.out, '.cache'),
        platforms: o.platforms,
        onBytes: (n) => emit({ type: 'bytes', n }),
      });
      platforms = fresh.platforms;
      repoDigest = fresh.repoDigest;
      emit({ type: 'image', ref: want.ref, status: 'pulled' });
    }
    const image: BundleImage = { component: want.component, ref: want.ref, ...(repoDigest ? { repoDigest } : {}), platforms };
    const imageFiles: BundleFile[] = [];
    for (const [platform, p] of Object.entries(platforms)) {
      const path = join(o.out, p.file);
      imageFiles.push({
        path: p.file,
        size: statSync(path).size,
        sha256: await sha256File(path),
        kind: 'image',
        platform,
        name: want.ref,
        source: want.ref,
      });
    }
    return { image, imageFiles };
  });
  return { images: pulled.map((r) => r.image), files: pulled.flatMap((r) => r.imageFiles) };
}

/** The node files (binaries, archives, packages), each downloaded or kept, and checked against its index's sha256. */
async function bundleNodeFiles(o: CreateOptions, emit: Emit): Promise<BundleFile[]> {
  const inv = o.inventory;
  const artifacts = await resolveArtifacts({
    kubernetesVersion: inv.spec.kubernetes.version,
    platforms: o.platforms,
    packages: o.packages ?? [],
    runtime: inv.spec.containerRuntime.type,
    ...(inv.spec.kubernetes.packageRepository ? { packageRepository: inv.spec.kubernetes.packageRepository } : {}),
    ...(o.filesUrl ? { filesUrl: o.filesUrl } : {}),
    ...(o.fetch ? { fetch: o.fetch } : {}),
  });
  refusePlainHttp(
    artifacts.map((a) => a.url),
    o.allowHttpFiles,
  );
  return inParallel(artifacts, o.concurrency ?? 4, async (a): Promise<BundleFile> => {
    // every file is checked against the sha256 its repository index or publisher gives (a kept one too)
    const r = await download(a.url, join(o.out, a.path), {
      sha256: a.sha256,
      ...(o.fetch ? { fetch: o.fetch } : {}),
      onBytes: (n) => emit({ type: 'bytes', n }),
    });
    emit({ type: 'file', path: a.path, status: r.transferred > 0 ? 'downloaded' : 'kept' });
    return {
      path: a.path,
      size: statSync(join(o.out, a.path)).size,
      sha256: r.sha256,
      kind: a.kind,
      platform: a.platform,
      name: a.name,
      version: a.version,
      ...(a.family ? { family: a.family } : {}),
      ...(a.release ? { release: a.release } : {}),
      ...(a.depends ? { depends: a.depends } : {}),
      source: a.url,
    };
  });
}

/** The signature first, then the manifest it signs (each written whole, then renamed); unsigned: no stale signature. */
async function writeManifest(out: string, manifest: BundleManifest, signingKey: CreateOptions['signingKey']): Promise<void> {
  const bytes = Buffer.from(JSON.stringify(manifest, null, 2) + '\n');
  const sig = join(out, SIGNATURE_FILE);
  if (signingKey) {
    await writeFile(`${sig}.tmp`, signManifest(bytes, signingKey), { mode: 0o644 });
    await rename(`${sig}.tmp`, sig);
  } else {
    await rm(sig, { force: true });
  }
  const tmp = join(out, `.${MANIFEST_FILE}.tmp`);
  await writeFile(tmp, bytes, { mode: 0o644 });
  await rename(tmp, join(out, MANIFEST_FILE));
}

export async function createBundle(o: CreateOptions): Promise<BundleManifest> {
  const inv = o.inventory;
  const emit: Emit = o.onEvent ?? (() => {});
  // plain HTTP is refused before anything is fetched (index and checksum files included), and again for every file URL
  refusePlainHttp(fileSources(o), o.allowHttpFiles);
  await mkdir(o.out, { recursive: true });
  const images = await bundleImages(o, previousManifest(o.out), emit);
  const nodeFiles = await bundleNodeFiles(o, emit);
  const net = inv.spec.network;
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    createdAt: (o.now ?? (() => new Date()))().toISOString(),
    kubernetes: { version: inv.spec.kubernetes.version, imageRepository: inv.spec.kubernetes.imageRepository },
    network: {
      plugin: net.plugin,
      ...(net.plugin === 'flannel' ? { version: net.flannel.version } : net.plugin === 'cilium' ? { version: net.cilium.version } : {}),
    },
    containerRuntime: inv.spec.containerRuntime.type,
    platforms: [...o.platforms],
    images: images.images,
    files: [...images.files, ...nodeFiles],
  };
  await writeManifest(o.out, manifest, o.signingKey);
  return manifest;
}
