/**
 * What `doctor` reads on each host in one round trip: the forwarding sysctls (net.bridge.* exist only while
 * br_netfilter is loaded), links and addresses, flannel's CNI config and subnet file. Samples: test/fixtures/real
 * (sysctl, ip, flannel).
 */
import { parseAddressLines, type AddressLine } from '../audit/host.js';
import { lookups, read, run } from '../transport/lookups.js';
import type { Transport } from '../transport/types.js';

export const FLANNEL_CONFLIST = '/etc/cni/net.d/10-flannel.conflist';
export const FLANNEL_SUBNET_ENV = '/run/flannel/subnet.env';

export interface Link {
  name: string;
  mtu: number;
}

export interface HostNet {
  /** sysctl value, or null when the key does not exist (net.bridge.*: br_netfilter not loaded). */
  bridgeNfCallIptables: string | null;
  ipForward: string | null;
  links: Link[];
  addresses: AddressLine[];
  /** /etc/cni/net.d/10-flannel.conflist, null when absent. */
  flannelConflist: string | null;
  flannelSubnetEnv: string | null;
}

export async function readHostNet(t: Transport): Promise<HostNet> {
  const [nf, fwd, links, addrs, conflist, subnet] = await lookups(
    t,
    [
      run(['sysctl', '-n', 'net.bridge.bridge-nf-call-iptables']),
      run(['sysctl', '-n', 'net.ipv4.ip_forward']),
      run(['ip', '-o', 'link', 'show']),
      run(['ip', '-o', 'addr', 'show']),
      read(FLANNEL_CONFLIST),
      read(FLANNEL_SUBNET_ENV),
    ],
    { timeoutMs: 60_000 },
  );
  return {
    bridgeNfCallIptables: nf.code === 0 ? nf.stdout.trim() : null,
    ipForward: fwd.code === 0 ? fwd.stdout.trim() : null,
    links: links.code === 0 ? parseLinks(links.stdout) : [],
    addresses: addrs.code === 0 ? parseAddressLines(addrs.stdout) : [],
    flannelConflist: conflist,
    flannelSubnetEnv: subnet,
  };
}

/** `ip -o link show`: "3: eth0@peer0: <…> mtu 1500 …" → { name: 'eth0', mtu: 1500 }. */
export function parseLinks(text: string): Link[] {
  return text.split('\n').flatMap((l) => {
    const m = /^\d+:\s+([^:@\s]+)(?:@[^:\s]+)?:\s+<[^>]*>\s+mtu\s+(\d+)/.exec(l);
    return m ? [{ name: m[1]!, mtu: Number(m[2]) }] : [];
  });
}

/** The flannel plugin's delegate.hairpinMode in a conflist (or a plain conf); undefined when it says nothing. */
export function flannelHairpin(conflist: string): boolean | undefined {
  const conf = JSON.parse(conflist) as {
    plugins?: { type?: string; delegate?: { hairpinMode?: boolean } }[];
    delegate?: { hairpinMode?: boolean };
  };
  const flannel = conf.plugins?.find((p) => p.type === 'flannel') ?? conf;
  return flannel.delegate?.hairpinMode;
}

/** KEY=value lines of /run/flannel/subnet.env. */
export function parseEnvFile(text: string): Record<string, string> {
  return Object.fromEntries(
    text.split('\n').flatMap((l) => {
      const m = /^(\w+)=(.*)$/.exec(l.trim());
      return m ? [[m[1]!, m[2]!]] : [];
    }),
  );
}
