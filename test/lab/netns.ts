/**
 * The lab's network: an `unreachable` route for 10.199.0.0/16 in the machine's namespace (installed before any host
 * exists, never removed), one bridge per instance, one netns + veth pair per host. Nothing here has a default route.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { LAB_SUPERNET, bridgeIp, bridgeOf, hostIp, hostIp6, netnsOf, subnetOf, vethOf } from './paths.js';
import { run, runOk } from './run.js';

/** Packets for lab addresses must never follow the default route out of the machine. */
export async function ensureUnreachableRoute(): Promise<void> {
  await runOk('ip', ['route', 'replace', 'unreachable', LAB_SUPERNET, 'metric', '4095']);
}

export async function hasUnreachableRoute(): Promise<boolean> {
  const out = await runOk('ip', ['route', 'show', 'type', 'unreachable']);
  return out.split('\n').some((l) => l.startsWith(`unreachable ${LAB_SUPERNET}`) && l.includes('metric 4095'));
}

export async function createBridge(index: number): Promise<void> {
  const br = bridgeOf(index);
  await ip(`link add ${br} address ${macOf(index, 1)} type bridge forward_delay 0 stp_state 0`);
  await ip(`addr add ${bridgeIp(index)}/24 dev ${br}`);
  await ip(`link set ${br} up`);
  // Defence in depth: even if a host adds a default route via the bridge and the machine forwards, not from here.
  writeFileSync(`/proc/sys/net/ipv4/conf/${br}/forwarding`, '0\n');
  // Delayed ACKs cost two ~40 ms stalls per new SSH connection (lab-notes.md).
  await run('ip', [
    'route',
    'change',
    subnetOf(index),
    'dev',
    br,
    'proto',
    'kernel',
    'scope',
    'link',
    'src',
    bridgeIp(index),
    'quickack',
    '1',
  ]);
}

/** One host's netns with eth0 on the instance's bridge; `lo` up, no default route. Two `ip -batch` runs. */
export async function createHostNet(index: number, i: number, host: string): Promise<void> {
  const ns = netnsOf(index, host);
  const veth = vethOf(index, i);
  const addr = hostIp(index, i);
  // A fixed MAC per address: neighbours' ARP caches stay right when the host reboots with a fresh netns.
  await batch(
    [],
    [
      `netns add ${ns}`,
      `link add ${veth} type veth peer name eth0 address ${macOf(index, 10 + i)} netns ${ns}`,
      `link set ${veth} master ${bridgeOf(index)} up`,
    ],
  );
  await batch(
    ['-n', ns],
    [
      'link set lo up',
      `addr add ${addr}/24 dev eth0`,
      // IPv6 too, as cloud images have it: dual-stack clusters need a node IP of each family (no route beyond the bridge).
      `addr add ${hostIp6(addr)}/64 dev eth0 nodad`,
      'link set eth0 up',
      `route change ${subnetOf(index)} dev eth0 proto kernel scope link src ${addr} quickack 1`,
    ],
  );
}

/** Removes one host's netns and veth pair (the host must not be running). */
export async function deleteHostNet(index: number, i: number, host: string): Promise<void> {
  await run('ip', ['link', 'del', vethOf(index, i)]);
  await run('ip', ['netns', 'del', netnsOf(index, host)]);
}

export async function setLink(index: number, i: number, up: boolean): Promise<void> {
  await ip(`link set ${vethOf(index, i)} ${up ? 'up' : 'down'}`);
}

/** Removes every netns, veth and the bridge of instance `index` (also leftovers of a crashed run). */
export async function deleteInstanceNet(index: number): Promise<void> {
  const prefix = `ksl${index}-`;
  let names: string[] = [];
  try {
    names = readdirSync('/run/netns').filter((n) => n.startsWith(prefix));
  } catch {
    /* no /run/netns yet */
  }
  for (const ns of names) await run('ip', ['netns', 'del', ns]);
  const links = await linksOf(index);
  for (const l of links) await run('ip', ['link', 'del', l]);
}

/** Machine-side links belonging to instance `index`: its bridge and veths. */
export async function linksOf(index: number): Promise<string[]> {
  const out = await runOk('ip', ['-o', 'link', 'show']);
  const re = new RegExp(`^ksl${index}(h\\d+)?$`);
  return out
    .split('\n')
    .map((l) => l.split(':')[1]?.trim().split('@')[0] ?? '')
    .filter((n) => re.test(n));
}

export function netnsNames(index: number): string[] {
  try {
    return readdirSync('/run/netns').filter((n) => n.startsWith(`ksl${index}-`));
  } catch {
    return [];
  }
}

/** Locally administered MAC for 10.199.<index>.<last>: 02:c7:<index>:00:00:<last>. */
export const macOf = (index: number, last: number) =>
  ['02', 'c7', index, 0, 0, last].map((b) => (typeof b === 'string' ? b : b.toString(16).padStart(2, '0'))).join(':');

async function batch(global: string[], lines: string[]): Promise<void> {
  const r = await run('ip', [...global, '-batch', '-'], { input: lines.join('\n') + '\n' });
  if (r.code !== 0) throw new Error(`lab: ip ${global.join(' ')} -batch failed: ${r.stderr.trim()}\n${lines.join('\n')}`);
}

const ip = (args: string) => runOk('ip', args.split(' '));
