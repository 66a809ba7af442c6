/** pkgs.k8s.io layout shared by both package families: one repository per minor. */
export const DEFAULT_PACKAGE_BASE = 'https://pkgs.k8s.io/core:/stable:';

/** "1.34", "v1.34" or "1.34.1" → "v1.34". */
export function minorOf(version: string): string {
  const m = /^v?(\d+)\.(\d+)/.exec(version);
  if (!m) throw new Error(`not a Kubernetes version: "${version}"`);
  return `v${m[1]}.${m[2]}`;
}

/** Base URL without a trailing slash: the mirror when given, else pkgs.k8s.io. */
export function packageBase(baseUrl: string | undefined): string {
  return (baseUrl && baseUrl.length > 0 ? baseUrl : DEFAULT_PACKAGE_BASE).replace(/\/+$/, '');
}

/** "1.34.1" or "v1.34.1" → "1.34.1"; a full package version ("1.34.1-1.1") is kept. */
export function bareVersion(version: string): string {
  return version.replace(/^v/, '');
}
