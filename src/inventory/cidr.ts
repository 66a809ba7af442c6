/** IPv4 and IPv6 address and CIDR arithmetic on bigints (no dependencies, no DNS). */
import { isIPv4, isIPv6 } from 'node:net';

export interface Cidr {
  family: 4 | 6;
  /** First address of the network. */
  base: bigint;
  prefix: number;
}

const bitsOf = (family: 4 | 6) => (family === 4 ? 32 : 128);

/** An IP as {family, value}, or undefined for host names and garbage. Zone ids (%eth0) are ignored. */
export function parseIp(text: string): { family: 4 | 6; value: bigint } | undefined {
  const ip = text.replace(/%.*$/, '');
  if (isIPv4(ip)) return { family: 4, value: ip.split('.').reduce((acc, o) => (acc << 8n) | BigInt(o), 0n) };
  if (!isIPv6(ip)) return undefined;
  let head = ip;
  let tail = '';
  // An embedded IPv4 tail (::ffff:10.0.0.1) becomes two hextets.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  if (v4) {
    const n = parseIp(v4[1]!)!.value;
    head = ip.slice(0, -v4[1]!.length) + `${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  [head = '', tail = ''] = head.includes('::') ? head.split('::') : [head, ''];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return { family: 6, value: groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n) };
}

export function parseCidr(text: string): Cidr | undefined {
  const [ip = '', bits = ''] = text.split('/');
  const parsed = parseIp(ip);
  const prefix = Number(bits);
  if (!parsed || !/^\d+$/.test(bits) || prefix > bitsOf(parsed.family)) return undefined;
  const hostBits = BigInt(bitsOf(parsed.family) - prefix);
  return { family: parsed.family, base: (parsed.value >> hostBits) << hostBits, prefix };
}

/** Number of addresses in the network. */
export function size(c: Cidr): bigint {
  return 1n << BigInt(bitsOf(c.family) - c.prefix);
}

export function contains(c: Cidr, ip: string): boolean {
  const parsed = parseIp(ip);
  return !!parsed && parsed.family === c.family && parsed.value >= c.base && parsed.value < c.base + size(c);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.family === b.family && a.base < b.base + size(b) && b.base < a.base + size(a);
}

/** How many subnets of /`nodePrefix` fit in `c` (0 when the network is smaller than one). */
export function subnetCount(c: Cidr, nodePrefix: number): bigint {
  return c.prefix > nodePrefix ? 0n : 1n << BigInt(nodePrefix - c.prefix);
}

/** "10.244.0.0/16" or kubeadm's dual-stack "10.244.0.0/16,fd00:10:244::/56" → the CIDRs that parse (in order). */
export function parseCidrs(text: string): Cidr[] {
  return text.split(',').flatMap((part) => parseCidr(part.trim()) ?? []);
}

/** The written CIDR of each list entry, for messages. */
export const cidrTexts = (text: string): string[] => text.split(',').map((part) => part.trim());
