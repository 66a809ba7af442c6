/** Where the lab keeps things, and how instances map to addresses (see test/lab/README.md). */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Os = 'debian12' | 'ubuntu2204' | 'ubuntu2404' | 'rocky9';
export const OSES: readonly Os[] = ['debian12', 'ubuntu2204', 'ubuntu2404', 'rocky9'];

export const LAB_BASE = '/var/lib/kubesmith-lab';
export const LAB_SUPERNET = '10.199.0.0/16';
export const MAX_INSTANCES = 100;
export const MAX_HOSTS = 240;

export const NAME_RE = /^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$/;

export const labRoot = (name: string) => join(LAB_BASE, name);
export const subnetOf = (index: number) => `10.199.${index}.0/24`;
export const bridgeOf = (index: number) => `ksl${index}`;
export const bridgeIp = (index: number) => `10.199.${index}.1`;
export const hostIp = (index: number, i: number) => `10.199.${index}.${10 + i}`;
/** Each host's IPv6 address (a ULA on the same eth0, for dual-stack clusters): 10.199.X.Y → fd00:199:X::Y. */
export const hostIp6 = (ipv4: string) => {
  const [, , x, y] = ipv4.split('.');
  return `fd00:199:${x}::${y}`;
};
export const netnsOf = (index: number, host: string) => `ksl${index}-${host}`;
/** Machine-side end of a host's veth pair (≤ 15 characters). */
export const vethOf = (index: number, i: number) => `ksl${index}h${i}`;

/** The repository root: the nearest parent with package.json (works from test/lab and dist/test/lab). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('lab: cannot find the repository root (package.json)');
    dir = up;
  }
  return resolve(dir);
}

export const initScript = () => join(repoRoot(), 'test/lab/helpers/host-init.sh');
export const manifestPath = () => join(repoRoot(), 'test/lab/emulators/manifest.json');
