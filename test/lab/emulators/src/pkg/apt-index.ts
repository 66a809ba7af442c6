// What apt knows: the sources fetched by the last `apt-get update` (/var/lib/apt/lists/lab-index.json) and the
// versions they offer, plus the dpkg status (pkgdb).
import { compareDeb } from './version-compare.js';
import { aptLabel, aptSources, lookupUrl, type AptSource } from './repos.js';
import { exists, readText, writeText } from './lab-fs.js';

const INDEX = '/var/lib/apt/lists/lab-index.json';

export interface AptCandidate {
  name: string;
  version: string;
  label: string;
}

export function indexedSources(): AptSource[] {
  try {
    return (JSON.parse(readText(INDEX) ?? '{}') as { sources?: AptSource[] }).sources ?? [];
  } catch {
    return [];
  }
}

/** apt-get update: fetches every configured source; returns the output lines and whether an error (E:) occurred. */
export function aptUpdate(quiet: number): { lines: string[]; errors: string[]; warnings: string[] } {
  const lines: string[] = [],
    errors: string[] = [],
    warnings: string[] = [];
  const ok: AptSource[] = [];
  let n = 0;
  for (const s of aptSources()) {
    n++;
    const served = lookupUrl('deb', s.uri, s.suite);
    if (served === undefined) {
      const host = /^\w+:\/\/([^/]+)/.exec(s.uri)?.[1] ?? s.uri;
      lines.push(`Ign:${n} ${aptLabel(s, 'InRelease')}`, `Err:${n} ${aptLabel(s, 'InRelease')}`, `  Could not resolve '${host}'`);
      const path = s.suite.endsWith('/') ? `${s.suite === '/' ? '' : s.suite}InRelease` : `dists/${s.suite}/InRelease`;
      warnings.push(`W: Failed to fetch ${s.uri.replace(/\/+$/, '')}/${path}  Could not resolve '${host}'`);
      continue;
    }
    if (served === 'dead') {
      lines.push(`Ign:${n} ${aptLabel(s, 'InRelease')}`, `Err:${n} ${aptLabel(s, 'Release')}`, '  404  Not Found [IP: 10.199.255.254 443]');
      errors.push(`E: The repository '${s.uri.replace(/\/+$/, '')} ${s.suite} Release' does not have a Release file.`);
      continue;
    }
    if (s.signedBy && !exists(s.signedBy)) {
      lines.push(
        `Get:${n} ${aptLabel(s, 'InRelease')} [1,186 B]`,
        `Err:${n} ${aptLabel(s, 'InRelease')}`,
        `  The following signatures couldn't be verified because the public key is not available: NO_PUBKEY 234654DA9A296436`,
      );
      errors.push(`E: The repository '${s.uri.replace(/\/+$/, '')} ${s.suite} InRelease' is not signed.`);
      continue;
    }
    lines.push(`Get:${n} ${aptLabel(s, 'InRelease')} [1,186 B]`);
    ok.push(s);
  }
  if (!quiet) lines.push('Fetched 1,186 B in 0s (12.0 kB/s)');
  lines.push('Reading package lists...');
  if (warnings.length) warnings.push('W: Some index files failed to download. They have been ignored, or old ones used instead.');
  // like apt, a failed source keeps the lists it had (none here); the others are replaced
  writeText(INDEX, JSON.stringify({ sources: ok }, null, 1) + '\n');
  return { lines, errors, warnings };
}

/** All versions apt can install, newest first. */
export function candidates(name: string): AptCandidate[] {
  const out: AptCandidate[] = [];
  for (const s of indexedSources()) {
    const served = lookupUrl('deb', s.uri, s.suite);
    if (!served || served === 'dead') continue;
    for (const v of served[name] ?? []) {
      if (!out.some((c) => c.version === v)) out.push({ name, version: v, label: aptLabel(s, 'Packages') });
    }
  }
  return out.sort((a, b) => compareDeb(b.version, a.version));
}
