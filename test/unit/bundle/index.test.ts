/**
 * Repository index readers on recorded real samples (test/fixtures/repos), the lab mirror's indexes pinned to the same
 * formats, and resolution against the mirror: real paths, checksums from indexes/publishers, made-up paths are 404s.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { debPackages, parseStanzas, releaseSums } from '../../../src/bundle/index/deb.js';
import { repomdPrimary, rpmPackages } from '../../../src/bundle/index/rpm.js';
import { checksumFor } from '../../../src/bundle/index/checksums.js';
import { compareVersions, upstreamOf } from '../../../src/bundle/index/version.js';
import { hostRelease, packageTarget, resolveArtifacts } from '../../../src/bundle/artifacts.js';
import { download } from '../../../src/bundle/download.js';
import { startMirror, type Mirror } from '../../lab/mirror.js';
import { criDockerdRelease } from '../../../src/data/runtime-repos.js';

const FIX = join(import.meta.dirname, '..', '..', 'fixtures', 'repos');
const sample = (f: string) => readFileSync(join(FIX, f), 'utf8');
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('index readers on real samples', () => {
  it('reads pkgs.k8s.io Packages stanzas: path, sha256, size, depends, the revision as published', () => {
    const pkgs = debPackages(sample('pkgs-k8s-io-v1.27-deb-Packages'));
    expect(pkgs.map((p) => `${p.name} ${p.version} ${p.arch}`)).toEqual([
      'cri-tools 1.25.0-1.1 amd64',
      'kubeadm 1.27.0-2.1 amd64',
      'kubeadm 1.27.0-2.1 arm64',
      'kubeadm 1.27.1-1.1 amd64',
    ]);
    expect(pkgs[1]).toEqual({
      name: 'kubeadm',
      version: '1.27.0-2.1',
      arch: 'amd64',
      filename: 'amd64/kubeadm_1.27.0-2.1_amd64.deb',
      size: 9934640,
      sha256: '942b9d3c17efa014abfa21c89cd0e3f129a9910f0af7ca850d979635c10cdf9b',
      depends: ['kubelet', 'kubectl', 'kubernetes-cni', 'cri-tools'],
    });
    expect(parseStanzas(sample('pkgs-k8s-io-v1.27-deb-Packages'))[0]!.Description).toContain('\nCommand-line utility');
  });

  it('reads the primary entry of a real repomd.xml', () => {
    expect(repomdPrimary(sample('fedora-repomd.xml'))).toEqual({
      href: 'repodata/fa72c03d43e9ffe131633347045c0c56fbeacbd3281b2b03a6351f487218a158-primary.xml.gz',
      sha256: 'fa72c03d43e9ffe131633347045c0c56fbeacbd3281b2b03a6351f487218a158',
    });
  });

  it('reads InRelease SHA256 lists, publisher checksum files, and orders versions like dpkg', () => {
    const inrel =
      '-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nOrigin: Docker\nSHA256:\n ' +
      'a'.repeat(64) +
      '   1234 stable/binary-amd64/Packages\n-----BEGIN PGP SIGNATURE-----\nx\n-----END PGP SIGNATURE-----\n';
    expect(releaseSums(inrel).get('stable/binary-amd64/Packages')).toEqual({ sha256: 'a'.repeat(64), size: 1234 });
    expect(checksumFor('b'.repeat(64), 'kubeadm')).toBe('b'.repeat(64));
    expect(checksumFor(`${'c'.repeat(64)}  runc.amd64\n${'d'.repeat(64)}  runc.arm64\n`, 'runc.arm64')).toBe('d'.repeat(64));
    expect(checksumFor(`${'c'.repeat(64)}  runc.amd64\n`, 'runc.s390x')).toBeUndefined();
    expect(compareVersions('5:27.5.1-1~debian.12~bookworm', '5:29.0.1-1~debian.12~bookworm')).toBeLessThan(0);
    expect(compareVersions('1.27.0-2.1', '1.27.0-1.1')).toBeGreaterThan(0);
    expect(compareVersions('1.0~rc1-1', '1.0-1')).toBeLessThan(0);
    expect(upstreamOf('5:29.0.1-1~debian.12~bookworm')).toBe('29.0.1');
  });

  it('maps distro releases and hosts', () => {
    expect(packageTarget('debian-12')).toMatchObject({ family: 'debian', distro: 'debian', codename: 'bookworm' });
    expect(packageTarget('rhel-9')).toMatchObject({ family: 'rhel', version: '9' });
    expect(() => packageTarget('debian')).toThrow(/expected one of debian-11, debian-12/);
    const os = (id: string, versionId: string) => ({ os: { id, versionId } }) as Parameters<typeof hostRelease>[0];
    expect([hostRelease(os('rocky', '9.4')), hostRelease(os('ubuntu', '22.04')), hostRelease(os('debian', '12'))]).toEqual([
      'rhel-9',
      'ubuntu-22.04',
      'debian-12',
    ]);
  });
});

describe('the lab mirror: real layouts and formats, resolution and verification', () => {
  let mirror: Mirror;
  beforeAll(async () => {
    mirror = await startMirror({ minors: ['1.34'] });
  });
  afterAll(async () => mirror?.close());

  it("serves indexes in the real formats (the samples' field and element sets)", () => {
    const real = parseStanzas(sample('pkgs-k8s-io-v1.27-deb-Packages'))[1]!;
    const ours = parseStanzas(mirror.files.get('/pkgs.k8s.io/core:/stable:/v1.34/deb/Packages')!.toString())[0]!;
    expect(Object.keys(ours).sort()).toEqual(
      Object.keys(real)
        .filter((k) => k !== 'Homepage' && (k !== 'Depends' || ours.Depends))
        .sort(),
    );
    const repomd = mirror.files.get('/download.docker.com/linux/rhel/9/x86_64/stable/repodata/repomd.xml')!.toString();
    const tags = (x: string) => [...new Set([...x.matchAll(/<([a-z-]+)[\s>/]/g)].map((m) => m[1]))].sort();
    expect(tags(repomd)).toEqual(tags(sample('fedora-repomd.xml').replace(/<data type="filelists">[\s\S]*?<\/data>/, '')));
    const primary = repomdPrimary(repomd);
    const rpms = rpmPackages(gunzipSync(mirror.files.get(`/download.docker.com/linux/rhel/9/x86_64/stable/${primary.href}`)!).toString());
    expect(rpms.find((p) => p.name === 'docker-ce' && p.ver === '29.0.1')).toMatchObject({
      epoch: '3',
      rel: '1.el9',
      href: 'Packages/docker-ce-29.0.1-1.el9.x86_64.rpm',
    });
  });

  it("serves Docker's debs where the real server does (recorded real URLs)", () => {
    const real = sample('docker-pool-urls.txt')
      .trim()
      .split('\n')
      .map((u) => u.replace(/^https:\/\//, '/'));
    // a version the lab's Docker repository carries is at the very same path
    expect(mirror.files.has(real[0]!)).toBe(true);
    // every real name has the shape the mirror's Filename fields have: <name>_<version without epoch>_<arch>.deb
    const ours = [...mirror.files.keys()].filter((p) => p.startsWith('/download.docker.com/linux/') && p.endsWith('.deb'));
    const shape = (p: string) => p.replace(/\d+(\.\d+)*/g, 'N').replace(/(bookworm|jammy|noble|debian|ubuntu)/g, 'D');
    const shapes = new Set(ours.map(shape));
    for (const u of real) expect(shapes.has(shape(u)), u).toBe(true);
  });

  it('resolves every file to its real path with the index / publisher sha256, and each download verifies', async () => {
    const arts = await resolveArtifacts({
      kubernetesVersion: '1.34.1',
      platforms: ['linux/amd64'],
      packages: ['debian-12', 'rhel-9'],
      runtime: 'docker',
      filesUrl: mirror.url,
    });
    const paths = arts.map((a) => new URL(a.url).pathname);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/pkgs.k8s.io/core:/stable:/v1.34/deb/amd64/kubeadm_1.34.1-1.1_amd64.deb',
        '/pkgs.k8s.io/core:/stable:/v1.34/rpm/x86_64/kubelet-1.34.1-150500.1.1.x86_64.rpm',
        '/download.docker.com/linux/debian/dists/bookworm/pool/stable/amd64/containerd.io_2.1.4-1_amd64.deb',
        '/download.docker.com/linux/debian/dists/bookworm/pool/stable/amd64/docker-ce_29.0.1-1~debian.12~bookworm_amd64.deb',
        '/download.docker.com/linux/rhel/9/x86_64/stable/Packages/containerd.io-2.1.4-1.el9.x86_64.rpm',
        '/github.com/Mirantis/cri-dockerd/releases/download/v0.3.24/cri-dockerd_0.3.24.3-0.debian-bookworm_amd64.deb',
        '/github.com/Mirantis/cri-dockerd/releases/download/v0.3.24/cri-dockerd-0.3.24-3.el8.x86_64.rpm',
        '/dl.k8s.io/release/v1.34.1/bin/linux/amd64/kubeadm',
      ]),
    );
    for (const a of arts) expect(sha(mirror.files.get(new URL(a.url).pathname)!), a.path).toBe(a.sha256);
    expect(arts.find((a) => a.name === 'docker-ce' && a.family === 'debian')).toMatchObject({
      version: '5:29.0.1-1~debian.12~bookworm',
      release: 'debian-12',
    });
    expect(arts.find((a) => a.name === 'docker-ce-cli' && a.family === 'rhel')?.version).toBe('29.0.1-1.el9');
    // the hand-made URLs of before do not exist on the real server, nor on the mirror
    const old = await fetch(`${mirror.url}/download.docker.com/linux/debian/containerd.io_2.1.4-1_amd64.deb`);
    expect(old.status).toBe(404);
  });

  it("cri-dockerd: GitHub's release record has a digest of each served asset for the pinned release, null for v0.3.15 (2024)", async () => {
    type Record = { assets: { name: string; digest: string | null; browser_download_url: string }[] };
    const record = async (v: string) =>
      (await (await fetch(`${mirror.url}/api.github.com/repos/Mirantis/cri-dockerd/releases/tags/v${v}`)).json()) as Record;
    const pinned = await record(criDockerdRelease.version);
    expect(pinned.assets.length).toBeGreaterThan(0);
    for (const a of pinned.assets) {
      const served = mirror.files.get(`/github.com${new URL(a.browser_download_url).pathname}`)!;
      expect(a.digest, a.name).toBe(`sha256:${sha(served)}`);
    }
    // the previous pin: uploaded before GitHub computed digests, so bundle create could not have verified it
    const old = await record('0.3.15');
    expect(old.assets.map((a) => a.digest)).toEqual(old.assets.map(() => null));
    expect(
      (await fetch(`${mirror.url}/github.com/Mirantis/cri-dockerd/releases/download/v0.3.15/cri-dockerd_0.3.15-1_amd64.deb`)).status,
    ).toBe(404);
  });

  it('a file that differs from its index, or an index that differs from InRelease, is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-idx-'));
    const arts = await resolveArtifacts({
      kubernetesVersion: '1.34.1',
      platforms: ['linux/amd64'],
      packages: ['debian-12'],
      runtime: 'containerd',
      filesUrl: mirror.url,
    });
    const kubelet = arts.find((a) => a.name === 'kubelet' && a.kind === 'package')!;
    const path = new URL(kubelet.url).pathname;
    const good = mirror.files.get(path)!;
    mirror.files.set(path, Buffer.concat([good, Buffer.from('x')]));
    await expect(download(kubelet.url, join(dir, 'kubelet.deb'), { sha256: kubelet.sha256 })).rejects.toThrow(
      /does not match the expected/,
    );
    mirror.files.set(path, good);
    const idx = '/pkgs.k8s.io/core:/stable:/v1.34/deb/Packages';
    const text = mirror.files.get(idx)!;
    mirror.files.set(idx, Buffer.from(text.toString().replace('kubelet', 'kubeIet')));
    await expect(
      resolveArtifacts({
        kubernetesVersion: '1.34.1',
        platforms: ['linux/amd64'],
        packages: ['debian-12'],
        runtime: 'containerd',
        filesUrl: mirror.url,
      }),
    ).rejects.toThrow(/Packages: sha256 .* does not match .* from the repository's index/);
    mirror.files.set(idx, text);
  });
});
