/**
 * What `audit` reads from each host, in one round trip of read-only look-ups, and the parsers for it. Every
 * format here has a recorded sample in test/fixtures/real (proc/swaps, grep, containerd, kubeadm, ip).
 */
import { parseContainerdVersion } from '../tasks/runtime/containerd-configure.js';
import { lookups, read, run } from '../transport/lookups.js';
import type { Transport } from '../transport/types.js';

export const KUBEADM_FLAGS = '/var/lib/kubelet/kubeadm-flags.env';
/** Where apt and yum keep their sources (deb822 `.sources` files included). */
export const REPO_PATHS = ['/etc/apt/sources.list', '/etc/apt/sources.list.d', '/etc/yum.repos.d'] as const;

export interface HostAudit {
  /** Active swap areas (the Filename column of /proc/swaps). */
  swaps: string[];
  /** Package-source lines that mention kubernetes or Google's package host: file, line number, text. */
  repoLines: RepoLine[];
  /** "1.6.20", or undefined when containerd is not installed. */
  containerd?: string;
  /** The kubelet's kubeadm-written flags (KUBELET_KUBEADM_ARGS), empty when the file is absent. */
  kubeletFlags: string[];
  /** Every address configured on the host (no loopback). */
  addresses: string[];
  hostname: string;
}

export interface RepoLine {
  file: string;
  line: number;
  text: string;
}

export async function readHostAudit(t: Transport): Promise<HostAudit> {
  const [swaps, grep, containerd, flags, addrs, hostname] = await lookups(
    t,
    [
      read('/proc/swaps'),
      run(['grep', '-rHnsE', 'kubernetes|packages\\.cloud\\.google\\.com', ...REPO_PATHS]),
      run(['containerd', '--version']),
      read(KUBEADM_FLAGS),
      run(['ip', '-o', 'addr', 'show']),
      run(['hostname']),
    ],
    { timeoutMs: 60_000 },
  );
  return {
    swaps: parseProcSwaps(swaps ?? ''),
    // grep: 0 matches, 1 none, 2 a path missing (the matches still print)
    repoLines: parseGrepLines(grep.stdout),
    ...(containerd.code === 0 && parseContainerdVersion(containerd.stdout)
      ? { containerd: parseContainerdVersion(containerd.stdout)! }
      : {}),
    kubeletFlags: parseKubeadmFlags(flags ?? ''),
    addresses: addrs.code === 0 ? parseAddresses(addrs.stdout) : [],
    hostname: hostname.stdout.trim(),
  };
}

/** /proc/swaps: a header line, then one line per active area. */
export function parseProcSwaps(text: string): string[] {
  return text
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter(Boolean);
}

/** `grep -rHn` lines: FILE:LINE:TEXT (file names hold no colon in these directories). */
export function parseGrepLines(text: string): RepoLine[] {
  return text.split('\n').flatMap((l) => {
    const m = /^([^:]+):(\d+):(.*)$/.exec(l);
    return m ? [{ file: m[1]!, line: Number(m[2]), text: m[3]! }] : [];
  });
}

/** KUBELET_KUBEADM_ARGS="--a=b --c" → ['--a=b', '--c']. */
export function parseKubeadmFlags(text: string): string[] {
  const m = /^KUBELET_KUBEADM_ARGS="?([^"\n]*)"?\s*$/m.exec(text);
  return m ? m[1]!.split(/\s+/).filter(Boolean) : [];
}

/** `ip -o addr show`: the address of every inet/inet6 line, loopback and link-local left out. */
export function parseAddresses(text: string): string[] {
  return parseAddressLines(text)
    .filter((a) => a.dev !== 'lo' && !a.address.startsWith('fe80:'))
    .map((a) => a.address);
}

export interface AddressLine {
  dev: string;
  family: 4 | 6;
  address: string;
  prefix: number;
}

export function parseAddressLines(text: string): AddressLine[] {
  return text.split('\n').flatMap((l) => {
    const m = /^\d+:\s+(\S+)\s+(inet6?)\s+([0-9a-fA-F.:]+)\/(\d+)/.exec(l);
    return m
      ? [{ dev: m[1]!.split('@')[0]!, family: m[2] === 'inet' ? (4 as const) : (6 as const), address: m[3]!, prefix: Number(m[4]) }]
      : [];
  });
}
