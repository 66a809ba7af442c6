/**
 * The run's offline bundle: opened, checked (sizes + sha256 of every file) and matched against the inventory once
 * per run, then shared by the offline tasks through the run state. Also: which of its files a given host needs.
 */
import type { TaskContext } from '../../engine/types.js';
import type { Host } from '../../model/host.js';
import { BundleError, verifyBundle, type BundleFile, type BundleManifest } from '../../bundle/manifest.js';
import { matchBundle, type ImageSource } from '../../bundle/match.js';
import { bundlePath, openBundle } from '../../bundle/open.js';
import { hostRelease } from '../../bundle/artifacts.js';

/** Where a host keeps its part of the bundle (same relative paths as in the bundle). */
export const REMOTE_BUNDLE_DIR = '/var/lib/kubesmith/bundle';

export interface OpenBundle {
  dir: string;
  manifest: BundleManifest;
  images: ImageSource[];
}

const KEY = 'offline.bundle';

/** Verify once per run (throws BundleError listing every problem). */
export async function runBundle(ctx: TaskContext): Promise<OpenBundle> {
  const cached = ctx.run.get<Promise<OpenBundle>>(KEY);
  if (cached) return cached;
  const spec = ctx.inventory.spec.offline?.bundle;
  if (!spec) throw new Error('spec.offline.bundle is not set');
  const promise = (async () => {
    const dir = await openBundle(bundlePath(spec, ctx.inventoryDir));
    const publicKey = ctx.inventory.spec.offline?.publicKey;
    const manifest = await verifyBundle(dir, publicKey ? { publicKey: bundlePath(publicKey, ctx.inventoryDir) } : {});
    const match = matchBundle(manifest, ctx.inventory);
    if (match.problems.length) throw new BundleError(dir, match.problems);
    return { dir, manifest, images: match.images };
  })();
  ctx.run.set(KEY, promise);
  return promise;
}

export function hostPlatform(host: Host): string {
  return `linux/${host.requireFacts().arch}`;
}

export interface HostFiles {
  platform: string;
  /** Image archives (one per distinct bundle image). */
  images: BundleFile[];
  /** OS packages for the host's distro release, when the bundle has them. */
  packages: BundleFile[];
  /** Binaries and release archives, used when there are no packages for this family. */
  binaries: BundleFile[];
}

export function filesFor(bundle: OpenBundle, host: Host): HostFiles {
  const platform = hostPlatform(host);
  if (!bundle.manifest.platforms.includes(platform)) {
    throw new BundleError(bundle.dir, [
      `${host.name} is ${platform}; the bundle holds ${bundle.manifest.platforms.join(', ')} (bundle create --platform …)`,
    ]);
  }
  const byPath = new Map(bundle.manifest.files.map((f) => [f.path, f]));
  const imagePaths = new Set(bundle.images.map((i) => i.image.platforms[platform]!.file));
  const family = host.requireDistro().family;
  const ours = bundle.manifest.files.filter((f) => f.platform === platform);
  const forFamily = ours.filter((f) => f.kind === 'package' && f.family === family);
  // packages are resolved per distro release (Docker's repository has one per release): only this host's release fits
  const release = hostRelease(host.requireFacts());
  const packages = forFamily.filter((f) => f.release === undefined || f.release === release);
  if (forFamily.length && !packages.length) {
    const have = [...new Set(forFamily.map((f) => f.release))].join(', ');
    throw new BundleError(bundle.dir, [
      `${host.name} runs ${release}; the bundle's ${family} packages are for ${have} (bundle create --packages ${release})`,
    ]);
  }
  return {
    platform,
    images: [...imagePaths].map((p) => byPath.get(p)!),
    packages,
    binaries: packages.length ? [] : ours.filter((f) => f.kind === 'binary' || f.kind === 'archive'),
  };
}

export const remotePath = (f: BundleFile) => `${REMOTE_BUNDLE_DIR}/${f.path}`;
