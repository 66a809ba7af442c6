// Which runtime release the host has installed, and how each binary prints its version.
import { createHash } from 'node:crypto';
import { installedVersion, upstreamVersion } from './runtime-state.js';

export interface ContainerdRelease {
  /** e.g. 1.6.20~ds1, 1.7.27, 2.1.4 */
  version: string;
  major: number;
  minor: number;
}

export function parseRelease(version: string): ContainerdRelease {
  const m = /^v?(\d+)\.(\d+)/.exec(version);
  if (!m) throw new Error(`unparsable containerd version ${version}`);
  return { version: version.replace(/^v/, ''), major: Number(m[1]), minor: Number(m[2]) };
}

export interface ContainerdInstall {
  /** containerd (distro package) or containerd.io (Docker's repo) */
  pkg: string;
  pkgVersion: string;
  release: ContainerdRelease;
  /** what `containerd --version` shows as package and revision */
  goPackage: string;
  revision: string;
}

const fakeRevision = (seed: string): string => createHash('sha1').update(seed).digest('hex');

export function containerdInstall(): ContainerdInstall {
  const { name, version } = installedVersion(['containerd.io', 'containerd'], { name: 'containerd', version: '1.6.20~ds1-1+deb12u3' });
  const upstream = upstreamVersion(version);
  const release = parseRelease(upstream);
  if (name === 'containerd.io')
    return { pkg: name, pkgVersion: version, release, goPackage: 'containerd.io', revision: fakeRevision(version) };
  const goPackage = release.major >= 2 ? 'github.com/containerd/containerd/v2' : 'github.com/containerd/containerd';
  return { pkg: name, pkgVersion: version, release, goPackage, revision: version };
}

/** `containerd --version` */
export function containerdVersionLine(install = containerdInstall()): string {
  const v =
    install.pkg === 'containerd.io' ? `${install.release.major >= 2 ? 'v' : ''}${install.release.version}` : install.release.version;
  return `containerd ${install.goPackage} ${v} ${install.revision}`;
}

/** `ctr --version` */
export function ctrVersionLine(install = containerdInstall()): string {
  const goPackage = install.release.major >= 2 ? 'github.com/containerd/containerd/v2' : 'github.com/containerd/containerd';
  return `ctr ${goPackage} ${install.pkg === 'containerd.io' ? 'v' : ''}${install.release.version}`;
}

export function crictlVersion(): string {
  return upstreamVersion(installedVersion(['cri-tools'], { name: 'cri-tools', version: '1.31.1-1.1' }).version);
}

export function dockerVersion(): string {
  return upstreamVersion(installedVersion(['docker-ce'], { name: 'docker-ce', version: '5:27.3.1-1~debian.12~bookworm' }).version);
}

export function criDockerdVersion(): string {
  const version = installedVersion(['cri-dockerd'], { name: 'cri-dockerd', version: '0.3.24.3-0.debian-bookworm' }).version;
  return /^(?:\d+:)?(\d+\.\d+\.\d+)/.exec(version)?.[1] ?? version;
}
