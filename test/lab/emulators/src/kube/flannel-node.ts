// flanneld's choice of this node's external address, as flannel's LookupExtIface makes it (pkg/ipmatch/match.go,
// v0.28): the interface named by --iface (a name, or an IP the host holds), else the interface of the default route;
// its first IPv4 address. flanneld publishes it as the node annotation flannel.alpha.coreos.com/public-ip
// (pkg/subnet/kube/annotations.go). Read in the host's own network namespace with the real iproute2.
// Not emulated: flanneld exits when it finds no interface ("failed to get default interface"); the lab then
// publishes no address and keeps the node Ready as before.
import type { KubeObject } from './cluster-state.js';
import { runEmulator } from './lab.js';

/** The --iface value of the flannel DaemonSet's flanneld (args or command, `--iface=X` or `--iface X`). */
export function ifaceArg(ds: KubeObject): string | undefined {
  const spec = (ds as { spec?: { template?: { spec?: { containers?: { args?: string[]; command?: string[] }[] } } } }).spec;
  const containers = spec?.template?.spec?.containers ?? [];
  for (const c of containers) {
    const argv = [...(c.command ?? []), ...(c.args ?? [])].map(String);
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!.replace(/^--?/, '-');
      if (a.startsWith('-iface=')) return a.slice('-iface='.length);
      if (a === '-iface') return argv[i + 1];
    }
  }
  return undefined;
}

/** From `ip -o -4 addr show` and `ip -4 route show default`: the address flanneld would use. */
export function externalIp(iface: string | undefined, addrs: string, defaultRoute: string): string | undefined {
  const rows = addrs.split('\n').flatMap((l) => {
    const m = /^\d+:\s+(\S+)\s+inet\s+([\d.]+)\//.exec(l);
    return m ? [{ dev: m[1]!.split('@')[0]!, ip: m[2]! }] : [];
  });
  if (iface && /^[\d.]+$/.test(iface)) return rows.find((r) => r.ip === iface)?.ip;
  const dev = iface ?? /\bdev\s+(\S+)/.exec(defaultRoute.split('\n')[0] ?? '')?.[1];
  return dev ? rows.find((r) => r.dev === dev)?.ip : undefined;
}

/** This host's flannel address, or undefined (not in a lab host, no such interface, no default route). */
export function flannelPublicIp(ds: KubeObject): string | undefined {
  const addrs = runEmulator('ip', ['-o', '-4', 'addr', 'show']);
  const route = runEmulator('ip', ['-4', 'route', 'show', 'default']);
  if (addrs?.code !== 0) return undefined;
  return externalIp(ifaceArg(ds), addrs.stdout, route?.code === 0 ? route.stdout : '');
}
