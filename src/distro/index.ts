/** Pick the distro strategy from /etc/os-release. Tasks call the strategy and never branch on distro names. */
import type { Facts } from '../model/facts.js';
import { debianDistro } from './debian.js';
import { rhelDistro } from './rhel.js';
import type { Distro } from './types.js';

export { debianDistro } from './debian.js';
export { rhelDistro, EXCLUDED_PACKAGES } from './rhel.js';
export { DEFAULT_PACKAGE_BASE, minorOf, packageBase } from './repo.js';
export type { Distro } from './types.js';

const DEBIAN_IDS = ['debian', 'ubuntu'];
const RHEL_IDS = ['rhel', 'rocky', 'almalinux', 'centos', 'ol', 'fedora'];

export const SUPPORTED_OS = 'Debian, Ubuntu, RHEL, Rocky Linux, AlmaLinux, CentOS Stream';

export class UnsupportedOsError extends Error {
  constructor(readonly os: Facts['os']) {
    super(`unsupported OS "${os.prettyName || os.id || 'unknown'}" (ID=${os.id || '?'}); kubesmith supports ${SUPPORTED_OS}`);
    this.name = 'UnsupportedOsError';
  }
}

/** The package family of an os-release ID / ID_LIKE. */
export function osFamily(id: string, idLike: readonly string[]): Facts['os']['family'] {
  const ids = [id, ...idLike].map((s) => s.toLowerCase());
  if (ids.some((i) => DEBIAN_IDS.includes(i))) return 'debian';
  if (ids.some((i) => RHEL_IDS.includes(i))) return 'rhel';
  return 'unknown';
}

export function detectDistro(os: Facts['os']): Distro {
  const family = os.family === 'unknown' ? osFamily(os.id, os.idLike) : os.family;
  const name = os.prettyName || `${os.id} ${os.versionId}`.trim();
  if (family === 'debian') return debianDistro(name);
  if (family === 'rhel') {
    const major = Number.parseInt(os.versionId, 10);
    return rhelDistro(name, Number.isFinite(major) && major < 8 && os.id !== 'fedora' ? 'yum' : 'dnf');
  }
  throw new UnsupportedOsError(os);
}
