// The lab's "internet" (repos.json) and the repository configuration of a host (apt sources, yum .repo files).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { emulatorsDir, listDir, readText } from './lab-fs.js';

export type Format = 'deb' | 'rpm';
interface RepoData {
  id: string;
  format: Format;
  os: string[];
  name?: string;
  urls: string[];
  suites?: string[];
  packages: Record<string, string[]>;
}
interface PackageMeta {
  description?: string;
  deps?: Partial<Record<Format, string[]>>;
}
export interface ReposJson {
  kubernetes: {
    urls: string[];
    release: Record<Format, string>;
    minors: Record<string, { patches: number; 'cri-tools': string[]; 'kubernetes-cni': string[] }>;
  };
  repos: RepoData[];
  deadUrls: string[];
  repoFiles: Record<string, string>;
  packages: Record<string, PackageMeta>;
  base: Record<string, string[]>;
}

let cache: ReposJson | undefined;
export function reposJson(): ReposJson {
  cache ??= JSON.parse(readFileSync(join(emulatorsDir(), 'repos.json'), 'utf8')) as ReposJson;
  return cache;
}

export const normUrl = (u: string): string =>
  u
    .trim()
    .replace(/\/+$/, '')
    .replace(/^(https?:\/\/[^/]+)/i, (h) => h.toLowerCase());

/** What a URL serves: its packages (name -> versions), "dead" (a removed repository), or undefined (unknown host). */
export function lookupUrl(format: Format, url: string, suite?: string): Record<string, string[]> | 'dead' | undefined {
  const data = reposJson();
  const u = normUrl(url);
  if (data.deadUrls.some((d) => u === normUrl(d) || u.startsWith(normUrl(d) + '/'))) return 'dead';
  for (const pattern of data.kubernetes.urls) {
    const re = new RegExp(
      '^' +
        normUrl(pattern)
          .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
          .replace('{minor}', '(1\\.\\d+)')
          .replace('{format}', '(deb|rpm)') +
        '$',
    );
    const m = re.exec(u);
    if (!m) continue;
    const minor = data.kubernetes.minors[m[1]!];
    if (!minor || m[2] !== format) return 'dead';
    const rel = data.kubernetes.release[format];
    const k8s = Array.from({ length: minor.patches + 1 }, (_, p) => `${m[1]}.${p}-${rel}`);
    return {
      kubeadm: k8s,
      kubelet: k8s,
      kubectl: k8s,
      'cri-tools': minor['cri-tools'].map((v) => `${v}-${rel}`),
      'kubernetes-cni': minor['kubernetes-cni'].map((v) => `${v}-${rel}`),
    };
  }
  for (const repo of data.repos) {
    if (repo.format !== format || !repo.urls.some((r) => normUrl(r) === u)) continue;
    if (format === 'deb' && suite && repo.suites && !repo.suites.includes(suite)) continue;
    return repo.packages;
  }
  return undefined;
}

export const packageMeta = (name: string): PackageMeta => reposJson().packages[name] ?? {};

/** A configured apt source. */
export interface AptSource {
  uri: string;
  suite: string;
  components: string[];
  signedBy?: string | undefined;
  file: string;
}

export function aptSources(): AptSource[] {
  const out: AptSource[] = [];
  const files = ['/etc/apt/sources.list', ...listDir('/etc/apt/sources.list.d').map((f) => `/etc/apt/sources.list.d/${f}`)];
  for (const file of files) {
    const text = readText(file);
    if (text === undefined) continue;
    if (file.endsWith('.list')) {
      for (const raw of text.split('\n')) {
        const line = raw.replace(/#.*/, '').trim();
        const m = /^deb\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s*(.*)$/.exec(line);
        if (!m) continue;
        const signedBy = /signed-by=(\S+)/.exec(m[1] ?? '')?.[1];
        out.push({ uri: m[2]!, suite: m[3]!, components: m[4]!.split(/\s+/).filter(Boolean), signedBy, file });
      }
    } else if (file.endsWith('.sources')) {
      for (const stanza of text.split(/\n\s*\n/)) {
        const field = (k: string) => new RegExp(`^${k}:\\s*(.*)$`, 'mi').exec(stanza)?.[1]?.trim();
        if (!/\bdeb\b/.test(field('Types') ?? '') || /^no$/i.test(field('Enabled') ?? '')) continue;
        for (const uri of (field('URIs') ?? '').split(/\s+/).filter(Boolean)) {
          for (const suite of (field('Suites') ?? '').split(/\s+/).filter(Boolean)) {
            out.push({
              uri,
              suite,
              components: (field('Components') ?? '').split(/\s+/).filter(Boolean),
              signedBy: field('Signed-By'),
              file,
            });
          }
        }
      }
    }
  }
  return out;
}

/** How apt names a source in its output: "https://pkgs.k8s.io/core:/stable:/v1.34/deb  InRelease". */
export function aptLabel(s: AptSource, what: string): string {
  const base = normUrl(s.uri);
  if (s.suite === '/' || s.suite.endsWith('/')) return `${base} ${s.suite === '/' ? '' : s.suite} ${what}`;
  return `${base} ${s.suite}${what === 'Packages' ? `/${s.components[0] ?? 'main'} amd64` : ''} ${what}`;
}

/** A yum/dnf repository from /etc/yum.repos.d. */
export interface YumRepo {
  id: string;
  name: string;
  urls: string[];
  enabled: boolean;
  excludes: string[];
  file: string;
}

export function yumRepos(): YumRepo[] {
  const out: YumRepo[] = [];
  const vars = (s: string) =>
    s
      .replace(/\$releasever/g, '9')
      .replace(/\$basearch/g, 'x86_64')
      .replace(/\$arch/g, 'x86_64')
      .replace(/\$contentdir/g, 'pub/rocky')
      .replace(/\$rltype/g, '')
      .replace(/\$infra/g, '');
  for (const f of listDir('/etc/yum.repos.d').filter((n) => n.endsWith('.repo'))) {
    const text = readText(`/etc/yum.repos.d/${f}`) ?? '';
    let cur: YumRepo | undefined;
    let lastKey = '';
    for (const raw of text.split('\n')) {
      const line = raw.replace(/^\s*[#;].*$/, '');
      const sec = /^\s*\[([^\]]+)\]\s*$/.exec(line);
      if (sec) {
        cur = { id: sec[1]!, name: sec[1]!, urls: [], enabled: true, excludes: [], file: f };
        out.push(cur);
        continue;
      }
      if (!cur) continue;
      const kv = /^([A-Za-z_]+)\s*=\s*(.*)$/.exec(line);
      const cont = /^\s+(\S.*)$/.exec(line);
      if (kv) {
        lastKey = kv[1]!.toLowerCase();
        const v = vars(kv[2]!.trim());
        if (lastKey === 'name') cur.name = v;
        else if (lastKey === 'baseurl' || lastKey === 'mirrorlist' || lastKey === 'metalink')
          cur.urls.push(...v.split(/[\s,]+/).filter(Boolean));
        else if (lastKey === 'enabled') cur.enabled = !/^(0|false|no)$/i.test(v);
        else if (lastKey === 'exclude' || lastKey === 'excludepkgs') cur.excludes.push(...v.split(/[\s,]+/).filter(Boolean));
      } else if (cont && lastKey === 'baseurl')
        cur.urls.push(
          ...vars(cont[1]!)
            .split(/[\s,]+/)
            .filter(Boolean),
        );
    }
  }
  return out;
}

/** Shell-style glob match (* ? [..]) used by dnf specs, excludes and dpkg patterns. */
export function globMatch(pattern: string, s: string): boolean {
  const re =
    '^' +
    pattern
      .replace(/[.+^$(){}|\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.') +
    '$';
  return new RegExp(re).test(s);
}
