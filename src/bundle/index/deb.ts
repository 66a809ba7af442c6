/**
 * Debian repository indexes, read the way apt reads them: the suite's Release/InRelease lists every index file
 * with its SHA-256; a Packages file is a set of RFC 822-style stanzas, one per package version and architecture,
 * each naming its file (Filename, relative to the repository root) and that file's SHA256 and Size.
 * Format: https://wiki.debian.org/DebianRepository/Format (samples in test/fixtures/repos).
 */

/** The stanzas of a control-style file: field name → value (continuation lines joined with "\n"). */
export function parseStanzas(text: string): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  let cur: Record<string, string> | undefined;
  let last = '';
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') {
      cur = undefined;
      continue;
    }
    if (/^[ \t]/.test(line)) {
      if (cur && last) cur[last] += `\n${line.trim()}`;
      continue;
    }
    const m = /^([A-Za-z0-9][A-Za-z0-9-]*):\s*(.*)$/.exec(line);
    if (!m) continue;
    if (!cur) out.push((cur = {}));
    last = m[1]!;
    cur[last] = m[2]!;
  }
  return out;
}

/** The signed text of an InRelease (clear-signed) file, or a Release file as is. */
function releaseBody(text: string): string {
  const start = text.indexOf('-----BEGIN PGP SIGNED MESSAGE-----');
  if (start < 0) return text;
  const body = text.slice(text.indexOf('\n\n', start) + 2);
  const end = body.indexOf('-----BEGIN PGP SIGNATURE-----');
  return (end < 0 ? body : body.slice(0, end)).replace(/^- /gm, '');
}

export interface IndexSum {
  sha256: string;
  size: number;
}

/** Release/InRelease: index path (relative to the suite directory) → its SHA-256 and size. */
export function releaseSums(text: string): Map<string, IndexSum> {
  const sums = new Map<string, IndexSum>();
  const release = parseStanzas(releaseBody(text))[0] ?? {};
  for (const line of (release.SHA256 ?? '').split('\n')) {
    const m = /^([a-f0-9]{64})\s+(\d+)\s+(\S+)$/.exec(line.trim());
    if (m) sums.set(m[3]!, { sha256: m[1]!, size: Number(m[2]) });
  }
  return sums;
}

export interface DebPackage {
  name: string;
  /** Full version as dpkg shows it, epoch included ("5:27.5.1-1~debian.12~bookworm"). */
  version: string;
  arch: string;
  /** Relative to the repository root (the URI of the sources line). */
  filename: string;
  size: number;
  sha256: string;
  /** Package names this one Depends on (alternatives and version constraints dropped: the first alternative). */
  depends: string[];
}

export function debPackages(text: string): DebPackage[] {
  const out: DebPackage[] = [];
  for (const s of parseStanzas(text)) {
    if (!s.Package || !s.Version || !s.Filename || !/^[a-f0-9]{64}$/.test(s.SHA256 ?? '')) continue;
    out.push({
      name: s.Package,
      version: s.Version,
      arch: s.Architecture ?? '',
      filename: s.Filename,
      size: Number(s.Size ?? NaN),
      sha256: s.SHA256!,
      depends: (s.Depends ?? '')
        .split(',')
        .map((d) => d.split('|')[0]!.trim().split(/[\s(]/)[0]!)
        .filter(Boolean),
    });
  }
  return out;
}
