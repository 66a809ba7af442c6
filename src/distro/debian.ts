import { sh, type Command } from '../transport/command.js';
import type { Distro, PackageState } from './types.js';
import { bareVersion, minorOf, packageBase } from './repo.js';

const KEYRING = '/etc/apt/keyrings/kubernetes-apt-keyring.gpg';
const APT = ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get'] as const;

/** Debian and Ubuntu: apt, dpkg, apt-mark hold, /etc/default/kubelet. */
export function debianDistro(name: string): Distro {
  const packageVersion = (version: string) => {
    const v = bareVersion(version);
    return v.includes('-') ? v : `${v}-1.1`;
  };
  return {
    family: 'debian',
    name,
    packageManager: 'apt',
    firewall: 'ufw',
    kubeletDefaultsPath: '/etc/default/kubelet',
    kubernetesRepoPath: '/etc/apt/sources.list.d/kubernetes.list',
    kubernetesKeyringPath: KEYRING,
    packageVersionGlob: packageVersion,
    kubernetesRepoFile(baseUrl, minor) {
      return `deb [signed-by=${KEYRING}] ${packageBase(baseUrl)}/${minorOf(minor)}/deb/ /\n`;
    },
    kubernetesRepoKeyUrl(baseUrl, minor) {
      return `${packageBase(baseUrl)}/${minorOf(minor)}/deb/Release.key`;
    },
    installPackages(pkgs): Command {
      const words = pkgs.map(([pkg, version]) => (version ? `${pkg}=${packageVersion(version)}` : pkg));
      return [...APT, 'install', '-y', '--allow-downgrades', '--allow-change-held-packages', ...words];
    },
    // A held package reads "hold ok installed": both want-states mean the package is installed.
    installedVersion(pkg): Command {
      return sh`dpkg-query -W -f=${'${Status}|${Version}\n'} ${pkg} 2>/dev/null | sed -En ${'s/^(install|hold) ok installed[|]//p'}`;
    },
    // `apt-mark hold` is dpkg's "hold" selection: the first word of the status, so one dpkg-query answers both.
    packageStates(pkgs): Command {
      return sh`dpkg-query -W -f=${'${Package}|${Status}|${Version}\n'} ${pkgs} 2>/dev/null`;
    },
    parsePackageStates(stdout) {
      const states = new Map<string, PackageState>();
      for (const line of stdout.split('\n')) {
        const [name, status, version] = line.trim().split('|');
        const m = /^(install|hold) ok installed$/.exec(status ?? '');
        if (name && m && version) states.set(name, { version, held: m[1] === 'hold' });
      }
      return states;
    },
    holdPackages: (pkgs) => ['apt-mark', 'hold', ...pkgs],
    refreshPackageIndex: () => [...APT, 'update'],
    removePackages: (pkgs) => [...APT, 'purge', '-y', '--allow-change-held-packages', ...pkgs],
  };
}
