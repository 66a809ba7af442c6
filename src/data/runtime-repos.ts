/**
 * Docker's package repository (download.docker.com): where containerd.io (a current containerd, 1.7/2.x) and
 * docker-ce come from on every supported distro. Distribution containerd packages are often too old for current
 * Kubernetes (Debian 12 ships 1.6, which is end of life).
 */
import type { Facts } from '../model/facts.js';

const CODENAMES: Readonly<Record<string, string>> = {
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
      content: ['[docker-ce-stable]', 'name=Docker CE Stable', `baseurl=${base}`, 'enabled=1', 'gpgcheck=1', 'gpgkey=https://download.docker.com/linux/rhel/gpg', ''].join('\n'),
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
