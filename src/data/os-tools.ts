/**
 * What a node needs from its OS when kubeadm/kubelet come as binaries (no package pulls dependencies in), per the
 * checks kubeadm runs and the tools the node's components exec. A bundle does not carry OS packages of the
 * distribution: offline.osdeps names every missing one with the exact install command before anything changes.
 * Sources: kubernetes/kubernetes cmd/kubeadm/app/preflight/checks_linux.go addExecChecks (conntrack mandatory
 * before 1.32, PR #126952; ip, iptables, mount, nsenter mandatory; ebtables, ethtool, socat, tc only warnings, and
 * ip/iptables/tc/ethtool dropped from preflight in the 1.33 cycle, PR #129131); the CNI portmap plugin (flannel's
 * conflist) runs the host's iptables; kube-proxy's IPVS mode needs ipset and ipvsadm.
 */
import type { Inventory } from '../inventory/schema.js';
import { parseKubeVersion } from './versions.js';

export interface OsTool {
  /** The executable looked up in PATH. */
  command: string;
  packages: { debian: string; rhel: string };
  /** Why the node needs it, in operator words. */
  why: string;
  needed: (inv: Inventory) => boolean;
}

const minor = (inv: Inventory) => parseKubeVersion(inv.spec.kubernetes.version).minor;

export const osTools: readonly OsTool[] = [
  { command: 'mount', packages: { debian: 'mount', rhel: 'util-linux' }, why: 'kubeadm preflight (mandatory)', needed: () => true },
  { command: 'nsenter', packages: { debian: 'util-linux', rhel: 'util-linux' }, why: 'kubeadm preflight (mandatory)', needed: () => true },
  {
    command: 'iptables',
    packages: { debian: 'iptables', rhel: 'iptables-nft' },
    why: 'the CNI portmap plugin and kube-proxy rules',
    needed: () => true,
  },
  {
    command: 'ip',
    packages: { debian: 'iproute2', rhel: 'iproute' },
    why: 'kubeadm preflight before 1.33 (mandatory)',
    needed: (inv) => minor(inv) < 33,
  },
  {
    command: 'conntrack',
    packages: { debian: 'conntrack', rhel: 'conntrack-tools' },
    why: 'kubeadm preflight before 1.32 (mandatory)',
    needed: (inv) => minor(inv) < 32,
  },
  {
    command: 'ipset',
    packages: { debian: 'ipset', rhel: 'ipset' },
    why: 'kube-proxy proxyMode ipvs',
    needed: (inv) => inv.spec.kubernetes.proxyMode === 'ipvs',
  },
  {
    command: 'ipvsadm',
    packages: { debian: 'ipvsadm', rhel: 'ipvsadm' },
    why: 'kube-proxy proxyMode ipvs',
    needed: (inv) => inv.spec.kubernetes.proxyMode === 'ipvs',
  },
];

/** The exact command that installs these OS packages from the host's configured repositories. */
export function osInstallCommand(family: 'debian' | 'rhel', pkgs: readonly string[]): string {
  return `${family === 'debian' ? 'apt-get' : 'dnf'} install -y ${[...new Set(pkgs)].join(' ')}`;
}
