/**
 * GitHub release assets of the lab's internet (repos.json releaseAssets) and GitHub's API record of a release
 * (GET https://api.github.com/repos/<owner>/<repo>/releases/tags/<tag>: `tag_name`, `assets[]` with `name`, `size`,
 * `digest`, `browser_download_url`). GitHub computes an asset's `digest` ("sha256:<hex>") only for assets uploaded
 * since its changelog of 2025-06-03 ("Releases now expose digests for release assets"); older assets have
 * `digest: null` (PyGithub #3324, taiki-e/install-action #1136). So the record gives a digest only when the release's
 * `published` date (repos.json) is on or after that day. Shared by the hosts' curl front and the admin's mirror.
 *
 *   node github-release.js asset URL   prints the asset at URL (exit 0), or exits 1 when the release has none of that name
 *   node github-release.js api URL     prints the release record at URL (exit 0), or exits 1
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emulatorsDir } from './lab-fs.js';

/** The first day GitHub records sha256 digests of newly uploaded release assets. */
export const DIGESTS_SINCE = '2025-06-03';

export type ReleaseAssets = Record<string, string[] | string | Record<string, string>>;

interface Release {
  base: string;
  tag: string;
  names: string[];
  published: string;
}

/** The releases repos.json records: base URL (…/releases/download/<tag>/), tag, asset names, publication date. */
export function releases(assets: ReleaseAssets): Release[] {
  const published = (assets.published ?? {}) as Record<string, string>;
  return Object.entries(assets).flatMap(([base, names]) => {
    const m = /^https:\/\/github\.com\/[^/]+\/[^/]+\/releases\/download\/([^/]+)\/$/.exec(base);
    if (!m || !Array.isArray(names)) return [];
    const date = published[base];
    if (!date) throw new Error(`repos.json releaseAssets.published has no date for ${base}`);
    return [{ base, tag: m[1]!, names, published: date }];
  });
}

/** GitHub's digest field for an asset of a release published on `published`: null before digests existed. */
export function assetDigest(published: string, bytes: Buffer): string | null {
  return published >= DIGESTS_SINCE ? `sha256:${createHash('sha256').update(bytes).digest('hex')}` : null;
}

/** The API record's URL for a release base URL: https://api.github.com/repos/<owner>/<repo>/releases/tags/<tag>. */
export function releaseApiUrl(base: string): string {
  const m = /^https:\/\/github\.com\/([^/]+\/[^/]+)\/releases\/download\/([^/]+)\/$/.exec(base)!;
  return `https://api.github.com/repos/${m[1]}/releases/tags/${m[2]}`;
}

/** The release record GitHub's API answers, with each asset's bytes from `bytesOf(url, name)`. */
export function releaseRecord(r: Release, bytesOf: (url: string, name: string) => Buffer): string {
  const assets = r.names.map((name) => {
    const url = `${r.base}${name}`;
    const bytes = bytesOf(url, name);
    return { name, size: bytes.length, digest: assetDigest(r.published, bytes), browser_download_url: url };
  });
  return JSON.stringify({ tag_name: r.tag, published_at: `${r.published}T00:00:00Z`, assets }, null, 2);
}

/** What the hosts' curl front serves for a release asset: a placeholder (the emulated dpkg/rpm read only the file name). */
export const hostAssetBytes = (_url: string, name: string): Buffer => Buffer.from(`lab package archive ${name}\n`);

/** The hosts' view: an asset's bytes or a release record at URL; undefined when GitHub would answer 404. */
export function hostAnswer(assets: ReleaseAssets, kind: 'asset' | 'api', url: string): Buffer | undefined {
  for (const r of releases(assets)) {
    if (kind === 'api' && url === releaseApiUrl(r.base)) return Buffer.from(releaseRecord(r, hostAssetBytes));
    if (kind === 'asset' && url.startsWith(r.base) && r.names.includes(url.slice(r.base.length)))
      return hostAssetBytes(url, url.slice(r.base.length));
  }
  return undefined;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const repos = JSON.parse(readFileSync(join(emulatorsDir(), 'repos.json'), 'utf8')) as { releaseAssets?: ReleaseAssets };
  const body = hostAnswer(repos.releaseAssets ?? {}, process.argv[2] === 'api' ? 'api' : 'asset', process.argv[3] ?? '');
  if (body) process.stdout.write(body);
  else process.exitCode = 1;
}
