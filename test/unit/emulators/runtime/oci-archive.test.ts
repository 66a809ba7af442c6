import { describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import {
  readImageArchive,
  writeDockerArchive,
  writeOciArchive,
  makeTestImage,
  sha256,
} from '../../../lab/emulators/src/runtime/oci-archive.js';
import { readTar, writeTar } from '../../../lab/emulators/src/runtime/tar.js';
import { normalizeRef } from '../../../lab/emulators/src/runtime/image-ref.js';

describe('image archives', () => {
  it('reads back exactly the images an OCI archive names, with the manifest digests', () => {
    const specs = [{ ref: 'registry.k8s.io/pause:3.10' }, { ref: 'ghcr.io/flannel-io/flannel:v0.26.1' }];
    const archive = readImageArchive(writeOciArchive(specs));
    expect(archive.format).toBe('oci');
    expect(archive.images.map((i) => i.name)).toEqual(['registry.k8s.io/pause:3.10', 'ghcr.io/flannel-io/flannel:v0.26.1']);
    const pause = makeTestImage(specs[0]!);
    expect(archive.images[0]!.digest).toBe(sha256(pause.manifest));
    expect(archive.images[0]!.configDigest).toBe(pause.configDigest);
    expect(archive.images[0]!.size).toBe(pause.manifest.length + pause.config.length + pause.layer.length);
    expect(archive.images[0]!.platforms).toEqual(['linux/amd64']);
  });

  it('matches the digests the real containerd 1.6.20 recorded for the same archives', () => {
    // Pinned from `ctr -n k8s.io images import` + `images ls` on Debian's containerd (see real-containerd.test.ts).
    const oci = readImageArchive(writeOciArchive([{ ref: 'registry.k8s.io/pause:3.10' }]));
    expect(oci.images[0]!.digest).toBe('sha256:ae704daf8246469448c895ce55e5db0b92459a5c1e092ea4a66fcb646e604456');
    const docker = readImageArchive(writeDockerArchive([{ ref: 'busybox:1.36' }]));
    expect(docker.images[0]).toMatchObject({
      name: 'docker.io/library/busybox:1.36',
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      digest: 'sha256:ec10d38054a9897011842d1f49aafe5bb5b5d539a5185490db4892d181841e1f',
    });
  });

  it('reads docker-save archives by their RepoTags, normalized like containerd', () => {
    const archive = readImageArchive(writeDockerArchive([{ ref: 'busybox:1.36' }, { ref: 'registry.k8s.io/coredns/coredns:v1.11.3' }]));
    expect(archive.format).toBe('docker');
    expect(archive.images.map((i) => i.name)).toEqual(['docker.io/library/busybox:1.36', 'registry.k8s.io/coredns/coredns:v1.11.3']);
    expect(archive.images[0]!.configDigest).toBe(makeTestImage({ ref: 'busybox:1.36' }).configDigest);
  });

  it('names tag-only OCI entries with --base-name, and skips them without a name', () => {
    const tar = writeOciArchive([{ ref: 'registry.k8s.io/pause:3.9' }], { tagOnly: true });
    expect(readImageArchive(tar).images).toEqual([]);
    expect(readImageArchive(tar, { baseName: 'registry.k8s.io/pause' }).images.map((i) => i.name)).toEqual(['registry.k8s.io/pause:3.9']);
  });

  it('multi-platform indexes: host platform blobs suffice by default, --all-platforms needs every platform', () => {
    const ref = { ref: 'registry.k8s.io/pause:3.10' };
    const full = readImageArchive(writeOciArchive(ref, { platforms: ['linux/amd64', 'linux/arm64'] }));
    expect(full.images[0]).toMatchObject({
      mediaType: 'application/vnd.oci.image.index.v1+json',
      platforms: ['linux/amd64', 'linux/arm64'],
    });
    expect(full.images[0]!.configDigest).toBe(makeTestImage(ref).configDigest); // the amd64 one
    const amd64Only = writeOciArchive(ref, { platforms: ['linux/amd64', 'linux/arm64'], blobsFor: 'linux/amd64' });
    expect(readImageArchive(amd64Only).images[0]!.digest).toBe(full.images[0]!.digest);
    const arm = makeTestImage({ ...ref, platform: 'linux/arm64' });
    expect(() => readImageArchive(amd64Only, { allPlatforms: true })).toThrow(`content digest ${arm.manifestDigest}: not found`);
    const armOnly = writeOciArchive(ref, { platforms: ['linux/amd64', 'linux/arm64'], blobsFor: 'linux/arm64' });
    expect(() => readImageArchive(armOnly)).toThrow(`content digest ${makeTestImage(ref).manifestDigest}: not found`);
  });

  it('accepts gzipped archives', () => {
    const archive = readImageArchive(gzipSync(writeOciArchive({ ref: 'nginx:1.27' })));
    expect(archive.images.map((i) => i.name)).toEqual(['docker.io/library/nginx:1.27']);
  });

  it('rejects a truncated archive and a blob whose digest does not match', () => {
    const tar = writeOciArchive({ ref: 'registry.k8s.io/pause:3.10' });
    expect(() => readImageArchive(tar.subarray(0, 1500))).toThrow(/truncated/);
    const entries = readTar(tar).filter((e) => e.type === 'file');
    const blob = entries.find((e) => e.name.startsWith('blobs/') && e.data.toString().includes('schemaVersion'))!;
    blob.data = Buffer.from(blob.data.toString().replace('"schemaVersion":2', '"schemaVersion":2 '));
    expect(() => readImageArchive(writeTar(entries))).toThrow(/digest mismatch/);
  });

  it('reports an archive with neither index.json nor manifest.json', () => {
    expect(() => readImageArchive(writeTar([{ name: 'hello.txt', data: 'hi' }]))).toThrow(/unrecognized image format/);
  });

  it('normalizes references like docker.ParseDockerRef', () => {
    expect(normalizeRef('busybox')).toBe('docker.io/library/busybox:latest');
    expect(normalizeRef('flannel/flannel:v1')).toBe('docker.io/flannel/flannel:v1');
    expect(normalizeRef('localhost:5000/pause:3.10')).toBe('localhost:5000/pause:3.10');
    expect(() => normalizeRef('Bad/Name')).toThrow(/invalid reference format/);
  });
});
