/**
 * The admin machine's "internet" for `bundle create`: an HTTP files mirror (FILES_URL/HOST/PATH, like kubespray's
 * files_repo) that serves only the real upstream layouts, index files included; any other path is a 404, as on the
 * real servers. What exists comes from the lab's record of the internet (emulators/repos.json: the same versions the
 * emulated apt/dnf offer) and from RELEASES below (GitHub / dl.k8s.io release assets, named as published).
 * Layouts (kubeadm-facts §14; formats pinned in test/unit/bundle/index.test.ts against recorded real samples):
 * - pkgs.k8s.io/core:/stable:/v1.X/deb/{InRelease,Packages,<arch>/<name>_<ver>_<arch>.deb} (flat repository)
 * - pkgs.k8s.io/core:/stable:/v1.X/rpm/{repodata/repomd.xml,repodata/<sha>-primary.xml.gz,<arch>/<name>-<ver>-<rel>.<arch>.rpm}
 * - download.docker.com/linux/<distro>/dists/<codename>/{InRelease,stable/binary-<arch>/Packages,pool/stable/<arch>/<file>.deb}
 * - download.docker.com/linux/rhel/<major>/<arch>/stable/{repodata/…,Packages/<file>.rpm}
 * - dl.k8s.io/release/v<k>/bin/linux/<arch>/<bin>{,.sha256}; GitHub release assets with their checksum files;
 *   api.github.com/repos/Mirantis/cri-dockerd/releases/tags/v<v> (asset list with GitHub's sha256 digests, null for
 *   assets uploaded before June 2025 as on GitHub: emulators/src/pkg/github-release.ts).
 * Package bytes are fixtures (or what `content` returns): the lab's dpkg/rpm read name and version from file names.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  type DebEntry,
  debPackagesText,
  inRelease,
  KUBE_ARCHES,
  kubernetesRepo,
  placeholderBytes,
  type RpmEntry,
  rpmRepodata,
} from './emulators/src/pkg/repo-index.js';
import { releaseApiUrl, releaseRecord, releases, type ReleaseAssets } from './emulators/src/pkg/github-release.js';
import { startFileServer, type FileServer } from '../unit/bundle/file-server.js';

const EMULATORS = join(import.meta.dirname, 'emulators');
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface ReposJson {
  kubernetes: {
    urls: string[];
    release: Record<'deb' | 'rpm', string>;
    minors: Record<string, { patches: number; 'cri-tools': string[]; 'kubernetes-cni': string[] }>;
  };
  repos: { id: string; format: 'deb' | 'rpm'; urls: string[]; suites?: string[]; packages: Record<string, string[]> }[];
  packages: Record<string, { description?: string; deps?: Partial<Record<'deb' | 'rpm', string[]>> }>;
  releaseAssets: ReleaseAssets;
}

/**
 * Release versions served, with the asset names their publishers use (cri-dockerd's asset list: repos.json
 * releaseAssets, shared with the hosts' curl front). Checksum files: dl.k8s.io <bin>.sha256 (bare hex), crictl/CNI
 * <file>.sha256, containerd <file>.sha256sum, runc one runc.sha256sum.
 */
export const RELEASES = {
  crictl: ['1.33.0', '1.34.0', '1.35.0'],
  cniPlugins: ['1.6.2', '1.7.1', '1.8.0'],
  containerd: ['2.1.4', '2.2.0'],
  runc: ['1.3.0'],
};

const ARCHES = KUBE_ARCHES;

/** What a served file is, for `content`. */
export interface MirrorFile {
  /** /HOST/PATH */
  path: string;
  kind: 'binary' | 'archive' | 'package';
  name: string;
  arch: string;
}

export interface MirrorOptions {
  /** Kubernetes minors whose pkgs.k8s.io repositories and dl.k8s.io binaries to serve ("1.34"). */
  minors: string[];
  /** Bytes for a file (default: deterministic fixture bytes). */
  content?: (f: MirrorFile) => Buffer | undefined;
  bindIp?: string;
}

export interface Mirror extends FileServer {
  /** Paths of index and checksum files (the rest are artifacts). */
  indexPaths: Set<string>;
}

function fixture(f: MirrorFile): Buffer {
  return placeholderBytes(f.path, f.kind === 'binary' ? 200_000 : 5_000);
}

export async function startMirror(o: MirrorOptions): Promise<Mirror> {
  const server = await startFileServer(o.bindIp);
  const files = server.files;
  const indexPaths = new Set<string>();
  const repos = JSON.parse(readFileSync(join(EMULATORS, 'repos.json'), 'utf8')) as ReposJson;
  const content = (f: MirrorFile) => o.content?.(f) ?? fixture(f);
  const put = (path: string, b: Buffer) => files.set(path, b);
  const putIndex = (path: string, b: Buffer) => (put(path, b), indexPaths.add(path));
  const meta = (fmt: 'deb' | 'rpm') => ({
    description: (n: string) => repos.packages[n]?.description ?? n,
    deps: (n: string) => repos.packages[n]?.deps?.[fmt] ?? [],
  });

  /** A deb repository: `dir` holds InRelease; `indexes` maps its relative Packages path to stanzas. */
  const debRepo = (
    root: string,
    dir: string,
    suiteFields: Record<string, string>,
    pkgs: { name: string; version: string; arch: string; filename: string }[],
    indexRel: (arch: string) => string,
  ) => {
    const byIndex = new Map<string, DebEntry[]>();
    for (const p of pkgs) {
      const bytes = content({ path: `${root}/${p.filename}`, kind: 'package', name: p.name, arch: p.arch });
      put(`${root}/${p.filename}`, bytes);
      const rel = indexRel(p.arch);
      byIndex.set(rel, [...(byIndex.get(rel) ?? []), { ...p, bytes }]);
    }
    const listed = new Map<string, Buffer>();
    for (const [rel, entries] of byIndex) {
      const text = debPackagesText(entries, meta('deb'));
      listed.set(rel, text);
      listed.set(`${rel}.gz`, gzipSync(text));
      putIndex(`${dir}/${rel}`, text);
      putIndex(`${dir}/${rel}.gz`, gzipSync(text));
    }
    putIndex(`${dir}/InRelease`, inRelease(suiteFields, listed));
  };

  /** An rpm-md repository at `base`. */
  const rpmRepo = (base: string, pkgs: Omit<RpmEntry, 'bytes'>[]) => {
    const entries = pkgs.map((p) => {
      const bytes = content({ path: `${base}/${p.href}`, kind: 'package', name: p.name, arch: p.arch });
      put(`${base}/${p.href}`, bytes);
      return { ...p, bytes };
    });
    for (const [rel, b] of rpmRepodata(entries, meta('rpm'))) putIndex(`${base}/${rel}`, b);
  };

  // pkgs.k8s.io: one deb and one rpm repository per minor
  for (const minor of o.minors) {
    const m = repos.kubernetes.minors[minor];
    if (!m) throw new Error(`repos.json has no Kubernetes ${minor}`);
    const root = `/pkgs.k8s.io/core:/stable:/v${minor}`;
    for (const format of ['deb', 'rpm'] as const) {
      const dir = `${root}/${format}`;
      const served = kubernetesRepo(repos, dir, minor, format, (path, name, arch) => content({ path, kind: 'package', name, arch }))!;
      for (const [rel, b] of served) (/\.(deb|rpm)$/.test(rel) ? put : putIndex)(`${dir}/${rel}`, b);
    }
    for (let p = 0; p <= m.patches; p++) {
      for (const a of ARCHES) {
        for (const bin of ['kubeadm', 'kubelet', 'kubectl']) {
          const path = `/dl.k8s.io/release/v${minor}.${p}/bin/linux/${a.go}/${bin}`;
          const bytes = content({ path, kind: 'binary', name: bin, arch: a.go });
          put(path, bytes);
          putIndex(`${path}.sha256`, Buffer.from(sha(bytes)));
        }
      }
    }
  }

  // Docker's repositories (download.docker.com only; the aliyun copies are not needed by bundle create)
  for (const r of repos.repos.filter((x) => x.id.startsWith('docker'))) {
    const base = r.urls.find((u) => u.startsWith('https://download.docker.com/'))!.replace(/^https:\/\//, '/');
    if (r.format === 'deb') {
      const codename = r.suites![0]!;
      const pkgs = ARCHES.flatMap((a) =>
        Object.entries(r.packages).flatMap(([name, vs]) =>
          vs.map((version) => ({
            name,
            version,
            arch: a.deb,
            filename: `dists/${codename}/pool/stable/${a.deb}/${name}_${version.replace(/^\d+:/, '')}_${a.deb}.deb`,
          })),
        ),
      );
      debRepo(
        base,
        `${base}/dists/${codename}`,
        { Origin: 'Docker', Label: 'Docker CE', Suite: codename, Codename: codename, Architectures: 'amd64 arm64', Components: 'stable' },
        pkgs,
        (arch) => `stable/binary-${arch}/Packages`,
      );
    } else if (base.includes('/linux/rhel/')) {
      const pkgs = Object.entries(r.packages).flatMap(([name, vs]) =>
        vs.map((v) => {
          const [, epoch = '0', ver, rel] = /^(?:(\d+):)?([^-]+)-(.+)$/.exec(v)!;
          return { name, epoch, ver: ver!, rel: rel!, arch: 'x86_64', href: `Packages/${name}-${ver}-${rel}.x86_64.rpm` };
        }),
      );
      rpmRepo(base, pkgs);
    }
  }

  // GitHub release assets and their checksum files
  const gh = (repo: string, tag: string, file: string) => `/github.com/${repo}/releases/download/${tag}/${file}`;
  const asset = (path: string, kind: MirrorFile['kind'], name: string, arch: string) => {
    const bytes = content({ path, kind, name, arch });
    put(path, bytes);
    return bytes;
  };
  for (const a of ARCHES) {
    for (const v of RELEASES.crictl) {
      const f = `crictl-v${v}-linux-${a.go}.tar.gz`;
      putIndex(
        `${gh('kubernetes-sigs/cri-tools', `v${v}`, f)}.sha256`,
        Buffer.from(`${sha(asset(gh('kubernetes-sigs/cri-tools', `v${v}`, f), 'archive', 'crictl', a.go))}  ${f}\n`),
      );
    }
    for (const v of RELEASES.cniPlugins) {
      const f = `cni-plugins-linux-${a.go}-v${v}.tgz`;
      putIndex(
        `${gh('containernetworking/plugins', `v${v}`, f)}.sha256`,
        Buffer.from(`${sha(asset(gh('containernetworking/plugins', `v${v}`, f), 'archive', 'cni-plugins', a.go))}  ${f}\n`),
      );
    }
    for (const v of RELEASES.containerd) {
      const f = `containerd-${v}-linux-${a.go}.tar.gz`;
      putIndex(
        `${gh('containerd/containerd', `v${v}`, f)}.sha256sum`,
        Buffer.from(`${sha(asset(gh('containerd/containerd', `v${v}`, f), 'archive', 'containerd', a.go))}  ${f}\n`),
      );
    }
  }
  for (const v of RELEASES.runc) {
    const lines = ARCHES.map(
      (a) => `${sha(asset(gh('opencontainers/runc', `v${v}`, `runc.${a.go}`), 'binary', 'runc', a.go))}  runc.${a.go}`,
    );
    putIndex(gh('opencontainers/runc', `v${v}`, 'runc.sha256sum'), Buffer.from(lines.join('\n') + '\n'));
  }
  for (const r of releases(repos.releaseAssets)) {
    const path = (url: string) => `/${url.slice('https://'.length)}`;
    const bytesOf = (url: string, name: string) =>
      asset(path(url), name.endsWith('.tgz') ? 'archive' : 'package', 'cri-dockerd', /arm64|aarch64/.test(name) ? 'arm64' : 'amd64');
    putIndex(path(releaseApiUrl(r.base)), Buffer.from(releaseRecord(r, bytesOf)));
  }
  return Object.assign(server, { indexPaths });
}
