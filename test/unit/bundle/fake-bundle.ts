/**
 * Bundles on disk without `bundle create`'s registry side: image archives from the lab's OCI writer, node files either
 * - writeFakeBundle: a fixed fixture list (unit tests of the offline tasks; no network), or
 * - writeMirrorBundle: resolved and downloaded by the product (resolveArtifacts + download) from the lab's real-layout
 *   mirror (test/lab/mirror.ts), so every file was found through a repository index or a publisher checksum file.
 * Release archives (crictl, CNI plugins, containerd) are real .tar.gz files with the member names upstream uses.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { makeTestImage, writeOciArchive } from '../../lab/emulators/src/runtime/oci-archive-writer.js';
import type { Inventory } from '../../../src/inventory/schema.js';
import { packageTarget, resolveArtifacts, type Artifact } from '../../../src/bundle/artifacts.js';
import { download } from '../../../src/bundle/download.js';
import { imageSet } from '../../../src/bundle/image-set.js';
import { BUNDLE_FORMAT, MANIFEST_FILE, type BundleManifest } from '../../../src/bundle/manifest.js';
import { archivePath } from '../../../src/bundle/pull.js';
import { startMirror, type MirrorFile } from '../../lab/mirror.js';

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
function releaseArchive(name: string): Buffer | undefined {
  if (name === 'crictl') return tgz({ crictl: stub });
  if (name === 'cni-plugins')
    return tgz({ './LICENSE': Buffer.from('Apache-2.0\n'), './bridge': stub, './host-local': stub, './loopback': stub, './portmap': stub });
  if (name === 'containerd') return tgz({ 'bin/containerd': stub, 'bin/ctr': stub, 'bin/containerd-shim-runc-v2': stub });
  return undefined;
}

type FileEntry = Omit<Artifact, 'sha256' | 'url'>;

function baseManifest(dir: string, inv: Inventory, platforms: string[]): BundleManifest {
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
  for (const want of imageSet(inv)) {
    const image: BundleManifest['images'][number] = { component: want.component, ref: want.ref, platforms: {} };
    for (const platform of platforms) {
      const file = archivePath(want.ref, platform);
      const data = writeOciArchive({ ref: want.ref, platform });
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), data);
      m.files.push({ path: file, size: data.length, sha256: sha(data), kind: 'image', platform, name: want.ref });
      image.platforms[platform] = { digest: makeTestImage({ ref: want.ref, platform }).manifestDigest, file };
    }
    m.images.push(image);
  }
  return m;
}

const entry = (f: FileEntry, sha256: string, size: number) => ({
  path: f.path,
  size,
  sha256,
  kind: f.kind,
  platform: f.platform,
  name: f.name,
  version: f.version,
  ...(f.family ? { family: f.family } : {}),
  ...(f.release ? { release: f.release } : {}),
  ...(f.depends ? { depends: f.depends } : {}),
});

/** The node files of a 1.34 bundle, named as the real repositories name them (fixture list for unit tests). */
function fixtureFiles(inv: Inventory, platform: string, packages: string[]): FileEntry[] {
  const arch = platform.split('/')[1]!;
  const k = inv.spec.kubernetes.version;
  const dir = `files/linux-${arch}`;
  const out: FileEntry[] = [
    ...['kubeadm', 'kubelet', 'kubectl'].map((name): FileEntry => ({ path: `${dir}/${name}`, kind: 'binary', platform, name, version: k })),
    { path: `${dir}/crictl-v1.34.0-linux-${arch}.tar.gz`, kind: 'archive', platform, name: 'crictl', version: '1.34.0' },
    { path: `${dir}/cni-plugins-linux-${arch}-v1.7.1.tgz`, kind: 'archive', platform, name: 'cni-plugins', version: '1.7.1' },
  ];
  if (inv.spec.containerRuntime.type === 'containerd') {
    out.push({ path: `${dir}/containerd-2.1.4-linux-${arch}.tar.gz`, kind: 'archive', platform, name: 'containerd', version: '2.1.4' });
    out.push({ path: `${dir}/runc`, kind: 'binary', platform, name: 'runc', version: '1.3.0' });
  }
  for (const release of packages) {
    const t = packageTarget(release);
    const d = `packages/${release}/${arch}`;
    const deb = t.family === 'debian';
    const kube: [string, string][] = [
      ['kubeadm', k],
      ['kubelet', k],
      ['kubectl', k],
      ['cri-tools', '1.34.0'],
      ['kubernetes-cni', '1.7.1'],
    ];
    for (const [name, v] of kube) {
      const version = deb ? `${v}-1.1` : `${v}-150500.1.1`;
      // kubelet's Depends as pkgs.k8s.io publishes them (kubernetes/release kubelet.spec)
      const depends = name === 'kubelet' ? (deb ? ['kubernetes-cni', 'mount', 'util-linux'] : ['kubernetes-cni', 'util-linux']) : undefined;
      out.push({
        path: `${d}/${deb ? `${name}_${version}_${arch}.deb` : `${name}-${version}.x86_64.rpm`}`,
        kind: 'package',
        platform,
        name,
        version,
        family: t.family,
        release,
        ...(depends ? { depends } : {}),
      });
    }
    out.push(
      deb
        ? {
            path: `${d}/containerd.io_2.1.4-1_${arch}.deb`,
            kind: 'package',
            platform,
            name: 'containerd.io',
            version: '2.1.4-1',
            family: t.family,
            release,
          }
        : {
            path: `${d}/containerd.io-2.1.4-1.el9.x86_64.rpm`,
            kind: 'package',
            platform,
            name: 'containerd.io',
            version: '2.1.4-1.el9',
            family: t.family,
            release,
          },
    );
  }
  return out;
}

/** A complete bundle on disk without any network (unit tests). */
export function writeFakeBundle(
  dir: string,
  inv: Inventory,
  o: { platforms?: string[]; packages?: string[]; content?: (f: FileEntry) => Buffer | undefined } = {},
): BundleManifest {
  const platforms = o.platforms ?? ['linux/amd64'];
  const m = baseManifest(dir, inv, platforms);
  for (const platform of platforms) {
    for (const f of fixtureFiles(inv, platform, o.packages ?? [])) {
      const data = o.content?.(f) ?? (f.kind === 'archive' ? releaseArchive(f.name) : undefined) ?? Buffer.from(`fixture ${f.path}\n`);
      mkdirSync(dirname(join(dir, f.path)), { recursive: true });
      writeFileSync(join(dir, f.path), data);
      m.files.push(entry(f, sha(data), data.length));
    }
  }
  writeFileSync(join(dir, MANIFEST_FILE), JSON.stringify(m, null, 2));
  return m;
}

/** A bundle whose node files the product resolved and downloaded from the lab's real-layout mirror (e2e tests). */
export async function writeMirrorBundle(
  dir: string,
  inv: Inventory,
  o: { platforms?: string[]; packages?: string[]; content?: (f: MirrorFile) => Buffer | undefined } = {},
): Promise<BundleManifest> {
  const platforms = o.platforms ?? ['linux/amd64'];
  const m = baseManifest(dir, inv, platforms);
  const k = inv.spec.kubernetes.version;
  const content = (f: MirrorFile) => o.content?.(f) ?? (f.kind === 'archive' ? releaseArchive(f.name) : undefined);
  const mirror = await startMirror({ minors: [k.split('.').slice(0, 2).join('.')], content });
  try {
    const artifacts = await resolveArtifacts({
      kubernetesVersion: k,
      platforms,
      packages: o.packages ?? [],
      runtime: inv.spec.containerRuntime.type,
      filesUrl: mirror.url,
    });
    for (const a of artifacts) {
      const r = await download(a.url, join(dir, a.path), { sha256: a.sha256 });
      m.files.push({ ...entry(a, r.sha256, statSync(join(dir, a.path)).size), source: a.url });
    }
  } finally {
    await mirror.close();
  }
  writeFileSync(join(dir, MANIFEST_FILE), JSON.stringify(m, null, 2));
  return m;
}
