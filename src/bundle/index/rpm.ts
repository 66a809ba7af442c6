/**
 * rpm-md repositories, read the way dnf reads them: repodata/repomd.xml names the primary metadata file (with its
 * SHA-256); primary.xml lists every package with its name, arch, epoch/version/release, SHA-256 (pkgid) and
 * location href (relative to the repository base URL). Format: createrepo_c (samples in test/fixtures/repos).
 */
import { gunzipSync } from 'node:zlib';

const attr = (tag: string, name: string) => new RegExp(`\\b${name}="([^"]*)"`).exec(tag)?.[1];
const unescapeXml = (s: string) =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');

export interface RepomdEntry {
  href: string;
  sha256: string;
}

/** repomd.xml: the primary metadata file's location and checksum (of the file as stored, e.g. compressed). */
export function repomdPrimary(xml: string): RepomdEntry {
  const block = /<data\s+type="primary"\s*>([\s\S]*?)<\/data>/.exec(xml)?.[1];
  if (!block) throw new Error('repomd.xml has no <data type="primary">');
  const href = attr(/<location\b[^>]*>/.exec(block)?.[0] ?? '', 'href');
  const sum = /<checksum\s+type="sha256"\s*>\s*([a-f0-9]{64})\s*<\/checksum>/.exec(block)?.[1];
  if (!href || !sum) throw new Error('repomd.xml: the primary entry has no location href or sha256 checksum');
  return { href: unescapeXml(href), sha256: sum };
}

/** The primary file's XML: gzip-compressed (primary.xml.gz) or plain. */
export function primaryXml(bytes: Buffer, href: string): string {
  if (href.endsWith('.gz')) return gunzipSync(bytes).toString('utf8');
  if (href.endsWith('.xml')) return bytes.toString('utf8');
  throw new Error(`${href}: only gzip or plain primary metadata is supported`);
}

export interface RpmPackage {
  name: string;
  arch: string;
  epoch: string;
  ver: string;
  rel: string;
  sha256: string;
  /** Relative to the repository base URL. */
  href: string;
  size: number;
  /** Names this package requires (rpmlib() and file paths dropped). */
  requires: string[];
}

export function rpmPackages(xml: string): RpmPackage[] {
  const out: RpmPackage[] = [];
  for (const m of xml.matchAll(/<package\s+type="rpm"\s*>([\s\S]*?)<\/package>/g)) {
    const p = m[1]!;
    const text = (tag: string) => unescapeXml(new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(p)?.[1]?.trim() ?? '');
    const version = /<version\b[^>]*>/.exec(p)?.[0] ?? '';
    const sum = /<checksum\s+type="sha256"[^>]*>\s*([a-f0-9]{64})\s*<\/checksum>/.exec(p)?.[1];
    const href = attr(/<location\b[^>]*>/.exec(p)?.[0] ?? '', 'href');
    if (!sum || !href) continue;
    const requires = /<rpm:requires>([\s\S]*?)<\/rpm:requires>/.exec(p)?.[1] ?? '';
    out.push({
      name: text('name'),
      arch: text('arch'),
      epoch: attr(version, 'epoch') ?? '0',
      ver: attr(version, 'ver') ?? '',
      rel: attr(version, 'rel') ?? '',
      sha256: sum,
      href: unescapeXml(href),
      size: Number(attr(/<size\b[^>]*>/.exec(p)?.[0] ?? '', 'package') ?? NaN),
      requires: [...requires.matchAll(/<rpm:entry\b[^>]*>/g)]
        .map((e) => unescapeXml(attr(e[0], 'name') ?? ''))
        .filter((n) => n && !n.startsWith('rpmlib(') && !n.startsWith('/')),
    });
  }
  return out;
}
