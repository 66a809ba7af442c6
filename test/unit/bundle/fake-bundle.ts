/** A complete bundle on disk without any network: image archives from the lab's OCI writer, fixture file bytes. */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { makeTestImage, writeOciArchive } from '../../lab/emulators/src/runtime/oci-archive-writer.js';
import type { Inventory } from '../../../src/inventory/schema.js';
import { artifactsFor, type Artifact, type Family } from '../../../src/bundle/artifacts.js';
import { imageSet } from '../../../src/bundle/image-set.js';
import { BUNDLE_FORMAT, MANIFEST_FILE, type BundleManifest } from '../../../src/bundle/manifest.js';
import { archivePath } from '../../../src/bundle/pull.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A .tar.gz made by GNU tar of these files (mode 0755), members named as given (e.g. "./bridge", "bin/ctr"). */
export function tgz(files: Record<string, Buffer>): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'ks-tgz-'));
  for (const [name, data] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), data);
    chmodSync(join(dir, name), 0o755);
  }
  return execFileSync('tar', ['-czf', '-', '-C', dir, ...Object.keys(files)]);
}

const stub = Buffer.from('#!/bin/sh\nexit 0\n');

/** Release archives laid out as upstream ships them (names as in the real tarballs), with stub executables. */
function releaseArchive(a: Artifact): Buffer | undefined {
  if (a.name === 'crictl') return tgz({ crictl: stub });
  if (a.name === 'cni-plugins') return tgz({ './LICENSE': Buffer.from('Apache-2.0\n'), './bridge': stub, './host-local': stub, './loopback': stub, './portmap': stub });
  if (a.name === 'containerd') return tgz({ 'bin/containerd': stub, 'bin/ctr': stub, 'bin/containerd-shim-runc-v2': stub });
  return undefined;
}

/** content: real bytes for some artifacts (e.g. runnable stand-ins); others get fixture text. */
export function writeFakeBundle(
  dir: string,
  inv: Inventory,
  o: { platforms?: string[]; packages?: Family[]; content?: (a: Artifact) => Buffer | undefined } = {},
): BundleManifest {
  const platforms = o.platforms ?? ['linux/amd64'];
  const m: BundleManifest = {
    format: BUNDLE_FORMAT,
    createdAt: new Date(0).toISOString(),
    kubernetes: { version: inv.spec.kubernetes.version, imageRepository: inv.spec.kubernetes.imageRepository },
    network: { plugin: inv.spec.network.plugin, version: inv.spec.network.flannel.version },
    containerRuntime: inv.spec.containerRuntime.type,
    platforms,
    images: [],
    files: [],
  };
  const put = (path: string, data: Buffer) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), data);
    return { path, size: data.length, sha256: sha(data) };
  };
  for (const want of imageSet(inv)) {
    const image: BundleManifest['images'][number] = { component: want.component, ref: want.ref, platforms: {} };
    for (const platform of platforms) {
      const file = archivePath(want.ref, platform);
      m.files.push({ ...put(file, writeOciArchive({ ref: want.ref, platform })), kind: 'image', platform, name: want.ref });
      image.platforms[platform] = { digest: makeTestImage({ ref: want.ref, platform }).manifestDigest, file };
    }
    m.images.push(image);
  }
  for (const a of artifactsFor({ kubernetesVersion: inv.spec.kubernetes.version, platforms, packages: o.packages ?? [], runtime: inv.spec.containerRuntime.type })) {
    const f = put(a.path, o.content?.(a) ?? (a.kind === 'archive' ? releaseArchive(a) : undefined) ?? Buffer.from(`fixture ${a.url}\n`));
    m.files.push({ ...f, kind: a.kind, platform: a.platform, name: a.name, version: a.version, ...(a.family ? { family: a.family } : {}) });
  }
  writeFileSync(join(dir, MANIFEST_FILE), JSON.stringify(m, null, 2));
  return m;
}
