/**
 * Docker's package repository (download.docker.com): where containerd.io (a current containerd, 1.7/2.x) and
 * docker-ce come from on every supported distro. Distribution containerd packages are often too old for current
 * Kubernetes (Debian 12 ships 1.6, which is end of life).
 */
import type { Facts } from '../model/facts.js';

export const CODENAMES: Readonly<Record<string, string>> = {
  'debian 11': 'bullseye',
  'debian 12': 'bookworm',
  'debian 13': 'trixie',
  'ubuntu 20.04': 'focal',
  'ubuntu 22.04': 'jammy',
  'ubuntu 24.04': 'noble',
};

export interface RuntimeRepo {
  path: string;
  content: string;
  /** deb: the signing key to fetch (rpm: gpgkey= in the repo file). */
  key?: { url: string; path: string };
}

const debArch = (arch: string) => (arch === 'arm64' ? 'arm64' : 'amd64');
const rpmArch = (arch: string) => (arch === 'arm64' ? 'aarch64' : 'x86_64');

export function dockerRepo(family: 'debian' | 'rhel', facts: Facts): RuntimeRepo {
  if (family === 'rhel') {
    const major = facts.os.versionId.split('.')[0] ?? '9';
    const base = `https://download.docker.com/linux/rhel/${major}/${rpmArch(facts.arch)}/stable`;
    return {
      path: '/etc/yum.repos.d/docker-ce.repo',
      content: [
        '[docker-ce-stable]',
        'name=Docker CE Stable',
        `baseurl=${base}`,
        'enabled=1',
        'gpgcheck=1',
        'gpgkey=https://download.docker.com/linux/rhel/gpg',
        '',
      ].join('\n'),
    };
  }
  const distro = facts.os.id === 'ubuntu' ? 'ubuntu' : 'debian';
  const codename = CODENAMES[`${distro} ${facts.os.versionId}`];
  if (!codename) throw new Error(`no Docker repository known for ${facts.os.prettyName || `${distro} ${facts.os.versionId}`}`);
  const keyPath = '/etc/apt/keyrings/docker.asc';
  return {
    path: '/etc/apt/sources.list.d/docker.list',
    content: `deb [arch=${debArch(facts.arch)} signed-by=${keyPath}] https://download.docker.com/linux/${distro} ${codename} stable\n`,
    key: { url: `https://download.docker.com/linux/${distro}/gpg`, path: keyPath },
  };
}

/**
 * cri-dockerd is in no apt/yum repository: it ships as GitHub release packages (Mirantis/cri-dockerd). The release
 * publishes no checksum file; what vouches for a package is GitHub's per-asset sha256 `digest` in the release's API
 * record, which GitHub computes only for assets uploaded since June 2025 (changelog 2025-06-03 "Releases now expose
 * digests for release assets"; older assets list `digest: null`). So the pin is a release published after that:
 * v0.3.24, tagged 2026-02-11 (git tag in Mirantis/cri-dockerd; kubespray v2.31 pins it). v0.3.15 (2024-07-11), the
 * previous pin, has no digests and could not be verified. Facts: test/fixtures/real/cri-dockerd/fixtures.json.
 */
export const criDockerdRelease = {
  version: '0.3.24',
  /** The release's package revision: cri-dockerd_<v>.<rev>-0.<distro>-<codename>_<arch>.deb, cri-dockerd-<v>-<rev>.el<N>.<arch>.rpm */
  revision: 3,
  /** The newest RHEL build the release carries (el8 packages install on 9). */
  rhelBuild: 8,
} as const;

/** GitHub's API record of a cri-dockerd release: its asset list with each asset's `digest` ("sha256:<hex>" or null). */
export const criDockerdReleaseApi = (version: string): string =>
  `https://api.github.com/repos/Mirantis/cri-dockerd/releases/tags/v${version}`;

export interface ReleasePackage {
  url: string;
  /** The file name (the package manager reads name and version from it). */
  file: string;
  /** The release's GitHub API record, whose asset digest the download is checked against. */
  digests: string;
}

export interface CriDockerdRelease {
  version: string;
  revision: number;
  rhelBuild: number;
}

export function criDockerdPackage(family: 'debian' | 'rhel', facts: Facts, release: CriDockerdRelease = criDockerdRelease): ReleasePackage {
  const { version, revision } = release;
  let file: string;
  if (family === 'rhel') {
    const major = Math.min(Number(facts.os.versionId.split('.')[0] ?? release.rhelBuild) || release.rhelBuild, release.rhelBuild);
    file = `cri-dockerd-${version}-${revision}.el${major}.${rpmArch(facts.arch)}.rpm`;
  } else {
    const distro = facts.os.id === 'ubuntu' ? 'ubuntu' : 'debian';
    const codename = CODENAMES[`${distro} ${facts.os.versionId}`];
    if (!codename) throw new Error(`no cri-dockerd package known for ${facts.os.prettyName || `${distro} ${facts.os.versionId}`}`);
    file = `cri-dockerd_${version}.${revision}-0.${distro}-${codename}_${debArch(facts.arch)}.deb`;
  }
  return {
    url: `https://github.com/Mirantis/cri-dockerd/releases/download/v${version}/${file}`,
    file,
    digests: criDockerdReleaseApi(version),
  };
}
