import type { Command } from '../transport/command.js';

export interface PackageState {
  version: string;
  /** Held at its version (apt-mark hold); always false where holds live in the repo file (dnf excludes). */
  held: boolean;
}

/** Per-distro knowledge: tasks call these, and never branch on distro names themselves. */
export interface Distro {
  family: 'debian' | 'rhel';
  /** Human name, e.g. "Debian 12". */
  name: string;
  packageManager: 'apt' | 'dnf' | 'yum';
  firewall: 'ufw' | 'firewalld';
  /** Where the kubelet's extra args live: /etc/default/kubelet or /etc/sysconfig/kubelet. */
  kubeletDefaultsPath: string;
  /** Path of the Kubernetes package repository file. */
  kubernetesRepoPath: string;
  /** Package version string for an exact Kubernetes version, e.g. 1.34.1-1.1 (deb) or 1.34.1-150500.1.1 (rpm). */
  packageVersionGlob(version: string): string;
  /** Render the repository file content for a minor, given a base URL (pkgs.k8s.io or a mirror). */
  kubernetesRepoFile(baseUrl: string, minor: string): string;
  /** Install exact package versions (list of [name, version|undefined]). */
  installPackages(pkgs: readonly (readonly [string, string | undefined])[]): Command;
  /** Query installed version of a package; prints the version or nothing. */
  installedVersion(pkg: string): Command;
  /** One query for several packages; parsePackageStates() reads its output. */
  packageStates(pkgs: readonly string[]): Command;
  /** Installed packages in packageStates() output: name → version, and whether it is held. Absent ones are missing. */
  parsePackageStates(stdout: string): Map<string, PackageState>;
  /** Prevent upgrades of these packages (apt-mark hold / dnf exclude is in the repo file). */
  holdPackages(pkgs: readonly string[]): Command | undefined;
  /** Refresh the package index (apt-get update / dnf makecache). */
  refreshPackageIndex(): Command;
  /** Remove packages (reset). */
  removePackages(pkgs: readonly string[]): Command;
  /** URL of the repository signing key for a minor (deb: Release.key, rpm: repomd.xml.key). */
  kubernetesRepoKeyUrl(baseUrl: string, minor: string): string;
  /** Where the dearmored apt key goes (deb), or undefined (rpm: gpgkey= in the repo file). */
  kubernetesKeyringPath?: string;
}
