import { sh, type Command } from '../transport/command.js';
import type { Distro, PackageState } from './types.js';
import { bareVersion, minorOf, packageBase } from './repo.js';

/** Packages that the repo file's exclude= line keeps `dnf update` away from (the rpm form of apt-mark hold). */
export const EXCLUDED_PACKAGES = ['kubelet', 'kubeadm', 'kubectl', 'cri-tools', 'kubernetes-cni'];

/** RHEL, Rocky, Alma, CentOS: dnf (or yum on 7), exclude= in the repo file, /etc/sysconfig/kubelet. */
export function rhelDistro(name: string, packageManager: 'dnf' | 'yum'): Distro {
  return {
    family: 'rhel',
    name,
    packageManager,
    firewall: 'firewalld',
    kubeletDefaultsPath: '/etc/sysconfig/kubelet',
    kubernetesRepoPath: '/etc/yum.repos.d/kubernetes.repo',
    packageVersionGlob(version) {
      const v = bareVersion(version);
      return v.includes('-') ? v : `${v}-150500.1.1`;
    },
    kubernetesRepoFile(baseUrl, minor) {
      const url = `${packageBase(baseUrl)}/${minorOf(minor)}/rpm/`;
      return [
        '[kubernetes]',
        'name=Kubernetes',
        `baseurl=${url}`,
        'enabled=1',
        'gpgcheck=1',
        `gpgkey=${url}repodata/repomd.xml.key`,
        `exclude=${EXCLUDED_PACKAGES.join(' ')}`,
        '',
      ].join('\n');
    },
    kubernetesRepoKeyUrl(baseUrl, minor) {
      return `${packageBase(baseUrl)}/${minorOf(minor)}/rpm/repodata/repomd.xml.key`;
    },
    installPackages(pkgs): Command {
      const words = pkgs.map(([pkg, version]) => (version ? `${pkg}-${bareVersion(version)}` : pkg));
      return [packageManager, 'install', '-y', '--disableexcludes=kubernetes', ...words];
    },
    installedVersion(pkg): Command {
      return sh`if rpm -q ${pkg} >/dev/null 2>&1; then rpm -q --qf ${'%{VERSION}-%{RELEASE}\n'} ${pkg}; fi`;
    },
    // rpm prints "package X is not installed" (no '|') for an absent one.
    packageStates(pkgs): Command {
      return sh`rpm -q --qf ${'%{NAME}|%{VERSION}-%{RELEASE}\n'} ${pkgs} 2>/dev/null`;
    },
    parsePackageStates(stdout) {
      const states = new Map<string, PackageState>();
      for (const line of stdout.split('\n')) {
        const m = /^([^\s|]+)\|(\S+)$/.exec(line.trim());
        if (m) states.set(m[1]!, { version: m[2]!, held: false });
      }
      return states;
    },
    holdPackages: () => undefined,
    refreshPackageIndex: () => [packageManager, 'makecache', '-y'],
    removePackages: (pkgs) => [packageManager, 'remove', '-y', ...pkgs],
  };
}
