/** Seed a registry with small real images (made by the lab's OCI writer) through kubesmith's own push code. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTestImage, writeOciArchive } from '../../lab/emulators/src/runtime/oci-archive-writer.js';
import { BUNDLE_FORMAT, type BundleManifest } from '../../../src/bundle/manifest.js';
import { pushBundle, type PushedImage } from '../../../src/bundle/push.js';
import { imageFileName, normalizeImageRef } from '../../../src/bundle/reference.js';

/** Push each ref (for each platform) to the registry; repository paths are kept, the source host dropped. */
export async function seedImages(
  registryUrl: string,
  refs: string[],
  platforms = ['linux/amd64'],
  /** The files of an image's one layer (default: one small marker file). */
  files?: (ref: string) => Record<string, string> | undefined,
): Promise<PushedImage[]> {
  const dir = mkdtempSync(join(tmpdir(), 'ks-seed-'));
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    createdAt: new Date(0).toISOString(),
    kubernetes: { version: '0.0.0', imageRepository: 'x' },
    network: { plugin: 'none' },
    containerRuntime: 'containerd',
    platforms,
    images: [],
    files: [],
  };
  for (const text of refs) {
    const ref = normalizeImageRef(text);
    const entry: BundleManifest['images'][number] = { component: ref, ref, platforms: {} };
    for (const platform of platforms) {
      const file = `${platform.replace('/', '-')}/${imageFileName(ref)}.tar`;
      mkdirSync(join(dir, platform.replace('/', '-')), { recursive: true });
      const layer = files?.(ref);
      const spec = { ref, platform, ...(layer ? { files: layer } : {}) };
      writeFileSync(join(dir, file), writeOciArchive(spec));
      entry.platforms[platform] = { digest: makeTestImage(spec).manifestDigest, file };
    }
    manifest.images.push(entry);
  }
  return pushBundle(dir, manifest, { registry: registryUrl });
}
