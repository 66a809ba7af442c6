/**
 * Repository index files as the real servers publish them, built from the lab's record of the internet
 * (repos.json). Shared by the admin machine's mirror (test/lab/mirror.ts) and the hosts' curl front (bin/curl), so
 * a node reading `https://pkgs.k8s.io/core:/stable:/v1.34/deb/Packages` gets the same bytes `bundle create` reads.
 * Layouts (kubeadm-facts §14; samples in test/fixtures/repos, pinned in test/unit/bundle/index.test.ts):
 * - a flat deb repository (pkgs.k8s.io `core:/stable:/v1.X/deb/`): `InRelease` (clear-signed, SHA256 of every index),
 *   `Packages` and `Packages.gz` (one stanza per package version and architecture, Filename `<arch>/<file>.deb`);
 * - an rpm-md repository (`core:/stable:/v1.X/rpm/`): `repodata/repomd.xml` naming `repodata/<sha256>-primary.xml.gz`.
 * Package bytes are deterministic placeholders unless the caller gives them (the mirror's `content`).
 *
 *   node repo-index.js URL   prints the file at URL (exit 0), or exits 1 when the lab serves none there.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { emulatorsDir } from './lab-fs.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export interface RepoMeta {
  description?: (name: string) => string;
  deps?: (name: string) => string[];
}

export interface DebEntry {
  name: string;
  version: string;
  arch: string;
  /** Relative to the repository root. */
  filename: string;
  bytes: Buffer;
}

export interface RpmEntry {
  name: string;
  epoch: string;
  ver: string;
  rel: string;
  arch: string;
  href: string;
  bytes: Buffer;
}

/** Deterministic placeholder bytes for a served file (`path`: /HOST/PATH). */
export function placeholderBytes(path: string, size = 5_000): Buffer {
  const seed = createHash('sha256').update(path).digest();
  return Buffer.concat(Array.from({ length: Math.ceil(size / 32) }, () => seed)).subarray(0, size);
}

const stanza = (s: Record<string, string | number | undefined>) =>
  Object.entries(s)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n');

/** One Packages file's text. */
export function debPackagesText(entries: DebEntry[], meta: RepoMeta = {}): Buffer {
  const stanzas = entries.map((p) =>
    stanza({
      Package: p.name,
      Version: p.version,
      Architecture: p.arch,
      Maintainer: 'lab',
      'Installed-Size': 1000,
      Depends: (meta.deps?.(p.name) ?? []).join(', '),
      Filename: p.filename,
      Size: p.bytes.length,
      MD5sum: createHash('md5').update(p.bytes).digest('hex'),
      SHA1: createHash('sha1').update(p.bytes).digest('hex'),
      SHA256: sha(p.bytes),
      Section: 'admin',
      Priority: 'optional',
      Description: meta.description?.(p.name) ?? p.name,
    }),
  );
  return Buffer.from(`${stanzas.join('\n\n')}\n`);
}

/** A clear-signed InRelease listing the given index files (the signature block is a lab placeholder). */
export function inRelease(fields: Record<string, string>, files: ReadonlyMap<string, Buffer>): Buffer {
  const head = Object.entries(fields)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n');
  const sums = [...files].map(([p, b]) => ` ${sha(b)} ${String(b.length).padStart(16)} ${p}`).join('\n');
  return Buffer.from(
    `-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n${head}\nSHA256:\n${sums}\n-----BEGIN PGP SIGNATURE-----\n\nlab placeholder\n-----END PGP SIGNATURE-----\n`,
  );
}

function primaryXml(entries: RpmEntry[], meta: RepoMeta): Buffer {
  const pkgs = entries.map((p) => {
    const requires = (meta.deps?.(p.name) ?? []).map((d) => `      <rpm:entry name="${d}"/>`).join('\n');
    return [
      '<package type="rpm">',
      `  <name>${p.name}</name>`,
      `  <arch>${p.arch}</arch>`,
      `  <version epoch="${p.epoch}" ver="${p.ver}" rel="${p.rel}"/>`,
      `  <checksum type="sha256" pkgid="YES">${sha(p.bytes)}</checksum>`,
      `  <summary>${meta.description?.(p.name) ?? p.name}</summary>`,
      `  <size package="${p.bytes.length}" installed="1000" archive="1000"/>`,
      `  <location href="${p.href}"/>`,
      '  <format>',
      '    <rpm:license>Apache-2.0</rpm:license>',
      ...(requires ? ['    <rpm:requires>', requires, '    </rpm:requires>'] : []),
      '  </format>',
      '</package>',
    ].join('\n');
  });
  return Buffer.from(
    `<?xml version="1.0" encoding="UTF-8"?>\n<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="${entries.length}">\n${pkgs.join('\n')}\n</metadata>\n`,
  );
}

/** An rpm-md repository's metadata: relative path → bytes (repodata/repomd.xml and the primary it names). */
export function rpmRepodata(entries: RpmEntry[], meta: RepoMeta = {}): Map<string, Buffer> {
  const xml = primaryXml(entries, meta);
  const gz = gzipSync(xml);
  const href = `repodata/${sha(gz)}-primary.xml.gz`;
  const repomd =
    `<?xml version="1.0" encoding="UTF-8"?>\n<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">\n` +
    `  <revision>1700000000</revision>\n  <data type="primary">\n    <checksum type="sha256">${sha(gz)}</checksum>\n` +
    `    <open-checksum type="sha256">${sha(xml)}</open-checksum>\n    <location href="${href}"/>\n    <timestamp>1700000000</timestamp>\n` +
    `    <size>${gz.length}</size>\n    <open-size>${xml.length}</open-size>\n  </data>\n</repomd>\n`;
  return new Map([
    [href, gz],
    ['repodata/repomd.xml', Buffer.from(repomd)],
  ]);
}

// ---- pkgs.k8s.io (and its mirrors listed in repos.json kubernetes.urls): one deb and one rpm repository per minor

interface KubeRepos {
  kubernetes: {
    urls: string[];
    release: Record<'deb' | 'rpm', string>;
    minors: Record<string, { patches: number; 'cri-tools': string[]; 'kubernetes-cni': string[] }>;
  };
  packages: Record<string, { description?: string; deps?: Partial<Record<'deb' | 'rpm', string[]>> }>;
}

export const KUBE_ARCHES = [
  { deb: 'amd64', rpm: 'x86_64', go: 'amd64' },
  { deb: 'arm64', rpm: 'aarch64', go: 'arm64' },
];

/** Every [package, upstream version] a minor's repository offers. */
function kubeVersions(repos: KubeRepos, minor: string): [string, string][] | undefined {
  const m = repos.kubernetes.minors[minor];
  if (!m) return undefined;
  return [
    ...['kubeadm', 'kubelet', 'kubectl'].flatMap((n) =>
      Array.from({ length: m.patches + 1 }, (_, p): [string, string] => [n, `${minor}.${p}`]),
    ),
    ...m['cri-tools'].map((v): [string, string] => ['cri-tools', v]),
    ...m['kubernetes-cni'].map((v): [string, string] => ['kubernetes-cni', v]),
  ];
}

const metaOf = (repos: KubeRepos, format: 'deb' | 'rpm'): RepoMeta => ({
  description: (n) => repos.packages[n]?.description ?? n,
  deps: (n) => repos.packages[n]?.deps?.[format] ?? [],
});

/**
 * The files of one minor's repository rooted at `root` (/HOST/PATH of the `.../v1.X/deb` or `/rpm` directory):
 * relative path → bytes, package files included. `bytes(path)` gives a package's content (default placeholders).
 */
export function kubernetesRepo(
  repos: KubeRepos,
  root: string,
  minor: string,
  format: 'deb' | 'rpm',
  bytes: (path: string, name: string, arch: string) => Buffer = (p) => placeholderBytes(p),
): Map<string, Buffer> | undefined {
  const versions = kubeVersions(repos, minor);
  if (!versions) return undefined;
  const rel = repos.kubernetes.release[format];
  const files = new Map<string, Buffer>();
  if (format === 'deb') {
    const entries = KUBE_ARCHES.flatMap((a) =>
      versions.map(([name, v]) => {
        const filename = `${a.deb}/${name}_${v}-${rel}_${a.deb}.deb`;
        return { name, version: `${v}-${rel}`, arch: a.deb, filename, bytes: bytes(`${root}/${filename}`, name, a.deb) };
      }),
    );
    for (const e of entries) files.set(e.filename, e.bytes);
    const packages = debPackagesText(entries, metaOf(repos, 'deb'));
    const indexes = new Map([
      ['Packages', packages],
      ['Packages.gz', gzipSync(packages)],
    ]);
    const label = `isv:kubernetes:core:stable:v${minor}`;
    files.set(
      'InRelease',
      inRelease({ Origin: `obs://build.opensuse.org/${label}/deb`, Label: label, Architectures: 'amd64 arm64' }, indexes),
    );
    for (const [p, b] of indexes) files.set(p, b);
    return files;
  }
  const entries = KUBE_ARCHES.flatMap((a) =>
    versions.map(([name, v]) => {
      const href = `${a.rpm}/${name}-${v}-${rel}.${a.rpm}.rpm`;
      return { name, epoch: '0', ver: v, rel, arch: a.rpm, href, bytes: bytes(`${root}/${href}`, name, a.rpm) };
    }),
  );
  for (const e of entries) files.set(e.href, e.bytes);
  for (const [p, b] of rpmRepodata(entries, metaOf(repos, 'rpm'))) files.set(p, b);
  return files;
}

/** The file (index or package placeholder) the lab serves at `url` in a Kubernetes repository, if any. */
export function kubernetesIndexAt(repos: KubeRepos, url: string): Buffer | undefined {
  for (const pattern of repos.kubernetes.urls) {
    const re = new RegExp(
      `^${pattern
        .replace(/\/+$/, '')
        .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
        .replace('{minor}', '(1\\.\\d+)')
        .replace('{format}', '(deb|rpm)')}/(.+)$`,
    );
    const m = re.exec(url);
    if (!m) continue;
    const [, minor, format, rel] = m as unknown as [string, string, 'deb' | 'rpm', string];
    const root = `/${url.slice(url.indexOf('://') + 3, url.length - rel.length - 1)}`;
    return kubernetesRepo(repos, root, minor, format)?.get(rel);
  }
  return undefined;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const repos = JSON.parse(readFileSync(join(emulatorsDir(), 'repos.json'), 'utf8')) as KubeRepos;
  const body = kubernetesIndexAt(repos, process.argv[2] ?? '');
  if (body) process.stdout.write(body);
  else process.exitCode = 1;
}
