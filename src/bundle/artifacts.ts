/**
 * The node files a bundle carries for each platform, found where the real servers keep them and each with the
 * checksum its publisher vouches for:
 * - kubeadm/kubelet/kubectl binaries from dl.k8s.io (<binary>.sha256), crictl / CNI plugins / containerd / runc
 *   release files from GitHub with the checksum files their releases publish;
 * - per distro release asked for (`--packages debian-12,rhel-9`), the OS packages, resolved the way apt and dnf do:
 *   the repository's index (InRelease → Packages for deb, repodata/repomd.xml → primary for rpm) for that release and
 *   architecture gives each file's path and SHA-256 (pkgs.k8s.io per minor, Docker's repository for containerd.io and
 *   docker-ce); cri-dockerd from its GitHub release's asset list (GitHub's per-asset sha256 digest).
 * `--files-url` rewrites https://HOST/PATH to FILES_URL/HOST/PATH (a plain HTTP mirror of the same layout, like
 * kubespray's files_repo), which is also how the lab serves its "internet".
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { byMinor, minorTag, nodeArtifactVersionsByMinor, parseKubeVersion, runtimePackages } from '../data/versions.js';
import { CODENAMES, criDockerdRelease, criDockerdReleaseApi } from '../data/runtime-repos.js';
import type { Facts } from '../model/facts.js';
import { DownloadError } from './download.js';
import { checksumFor } from './index/checksums.js';
import { debPackages, releaseSums, type DebPackage } from './index/deb.js';
import { primaryXml, repomdPrimary, rpmPackages, type RpmPackage } from './index/rpm.js';
import { compareVersions, upstreamOf } from './index/version.js';

export type Family = 'debian' | 'rhel';

export interface Artifact {
  /** Path inside the bundle. */
  path: string;
  url: string;
  kind: 'binary' | 'archive' | 'package';
  platform: string;
  name: string;
  /** The version the package manager reports once installed (deb: with epoch; rpm: VERSION-RELEASE). */
  version: string;
  family?: Family;
  /** Packages: the distro release they are for ("debian-12", "ubuntu-22.04", "rhel-9"). */
  release?: string;
  /** From the repository index or the publisher's checksum file: every download is checked against it. */
  sha256: string;
  /** Packages: the names it depends on (Depends / rpm requires), from the index. */
  depends?: string[];
}

/** A distro release OS packages are fetched for. */
export interface PackageTarget {
  release: string;
  family: Family;
  distro: 'debian' | 'ubuntu' | 'rhel';
  /** "12", "22.04", "9". */
  version: string;
  codename?: string;
}

export const PACKAGE_RELEASES = [
  'debian-11',
  'debian-12',
  'debian-13',
  'ubuntu-20.04',
  'ubuntu-22.04',
  'ubuntu-24.04',
  'rhel-8',
  'rhel-9',
] as const;

export function packageTarget(release: string): PackageTarget {
  const m = /^(debian|ubuntu|rhel)-(\d+(?:\.\d+)?)$/.exec(release);
  if (!m || !(PACKAGE_RELEASES as readonly string[]).includes(release)) {
    throw new Error(`--packages ${release}: expected one of ${PACKAGE_RELEASES.join(', ')}`);
  }
  const distro = m[1] as PackageTarget['distro'];
  if (distro === 'rhel') return { release, family: 'rhel', distro, version: m[2]! };
  return { release, family: 'debian', distro, version: m[2]!, codename: CODENAMES[`${distro} ${m[2]}`]! };
}

/** The package release a host installs from ("rhel-9" for Rocky/Alma/RHEL 9.x). */
export function hostRelease(facts: Facts): string {
  const id = facts.os.id;
  if (id === 'debian' || id === 'ubuntu') return `${id}-${facts.os.versionId}`;
  return `rhel-${facts.os.versionId.split('.')[0]}`;
}

export interface ArtifactOptions {
  kubernetesVersion: string;
  platforms: string[];
  /** Distro releases to fetch OS packages for (empty: binaries only). */
  packages: string[];
  runtime: 'containerd' | 'docker';
  /** Base URL of the Kubernetes package repositories (default pkgs.k8s.io). */
  packageRepository?: string;
  /** Rewrite every URL to this HTTP mirror: https://HOST/PATH → FILES_URL/HOST/PATH. */
  filesUrl?: string;
  fetch?: typeof fetch;
}

const DEB_ARCH: Record<string, string> = { amd64: 'amd64', arm64: 'arm64' };
const RPM_ARCH: Record<string, string> = { amd64: 'x86_64', arm64: 'aarch64' };

export function mirrored(url: string, filesUrl: string | undefined): string {
  if (!filesUrl) return url;
  return `${filesUrl.replace(/\/+$/, '')}/${url.replace(/^https?:\/\//, '')}`;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Index and checksum files, fetched once per run (through the files mirror when there is one). */
class Upstream {
  private cache = new Map<string, Promise<Buffer>>();
  constructor(private o: ArtifactOptions) {}

  url(upstream: string): string {
    return mirrored(upstream, this.o.filesUrl);
  }

  get(upstream: string): Promise<Buffer> {
    let p = this.cache.get(upstream);
    if (!p) {
      const url = this.url(upstream);
      p = (async () => {
        let res: Response;
        try {
          res = await (this.o.fetch ?? fetch)(url, { redirect: 'follow', signal: AbortSignal.timeout(120_000) });
        } catch (err) {
          throw new DownloadError(url, `cannot connect: ${(err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message}`);
        }
        if (!res.ok) {
          await res.body?.cancel();
          throw new DownloadError(url, `HTTP ${res.status}`);
        }
        return Buffer.from(await res.arrayBuffer());
      })();
      this.cache.set(upstream, p);
    }
    return p;
  }

  /** An index file whose SHA-256 a parent index vouches for. */
  async verified(upstream: string, want: string): Promise<Buffer> {
    const bytes = await this.get(upstream);
    if (sha256(bytes) !== want)
      throw new DownloadError(this.url(upstream), `sha256 ${sha256(bytes)} does not match ${want} from the repository's index`);
    return bytes;
  }

  /** A release file's checksum from its publisher's checksum file. */
  async publishedSum(checksumUrl: string, file: string): Promise<string> {
    const sum = checksumFor((await this.get(checksumUrl)).toString('utf8'), file);
    if (!sum) throw new DownloadError(this.url(checksumUrl), `no sha256 for ${file} in the publisher's checksum file`);
    return sum;
  }

  /** Packages of a deb repository: `base` is the sources line's URI, `suite` its suite ("/" for a flat repository). */
  async debIndex(base: string, suite: string, component: string | undefined, arch: string): Promise<DebPackage[]> {
    const dir = suite === '/' ? base : `${base}/dists/${suite}`;
    const sums = releaseSums((await this.get(`${dir}/InRelease`)).toString('utf8'));
    const rel = component ? `${component}/binary-${arch}/Packages` : 'Packages';
    const sum = sums.get(rel);
    if (!sum) throw new DownloadError(this.url(`${dir}/InRelease`), `lists no ${rel}`);
    return debPackages((await this.verified(`${dir}/${rel}`, sum.sha256)).toString('utf8'));
  }

  async rpmIndex(base: string): Promise<RpmPackage[]> {
    const primary = repomdPrimary((await this.get(`${base}/repodata/repomd.xml`)).toString('utf8'));
    return rpmPackages(primaryXml(await this.verified(`${base}/${primary.href}`, primary.sha256), primary.href));
  }
}

const newest = <T>(xs: T[], version: (x: T) => string) => [...xs].sort((a, b) => compareVersions(version(b), version(a)))[0];

function pickDeb(index: DebPackage[], name: string, arch: string, upstream: string | undefined, where: string): DebPackage {
  const hit = newest(
    index.filter(
      (p) => p.name === name && (p.arch === arch || p.arch === 'all') && (upstream === undefined || upstreamOf(p.version) === upstream),
    ),
    (p) => p.version,
  );
  if (!hit) throw new Error(`${where} has no ${name}${upstream ? ` ${upstream}` : ''} for ${arch}`);
  return hit;
}

function pickRpm(index: RpmPackage[], name: string, arch: string, upstream: string | undefined, where: string): RpmPackage {
  const hit = newest(
    index.filter((p) => p.name === name && (p.arch === arch || p.arch === 'noarch') && (upstream === undefined || p.ver === upstream)),
    (p) => `${p.epoch}:${p.ver}-${p.rel}`,
  );
  if (!hit) throw new Error(`${where} has no ${name}${upstream ? ` ${upstream}` : ''} for ${arch}`);
  return hit;
}

export interface Wanted {
  name: string;
  /** Upstream version to match; undefined: the newest, as apt/dnf would pick. */
  upstream?: string;
}

/**
 * The OS packages bundle create takes for a family: from the Kubernetes repository (`kube`), from Docker's (`docker`),
 * and with the docker runtime cri-dockerd from its GitHub release. Also what a bundle's packages are checked against.
 */
export function packagesWanted(
  kubernetesVersion: string,
  runtime: ArtifactOptions['runtime'],
  family: Family,
): { kube: Wanted[]; docker: Wanted[]; release: Wanted[] } {
  const k = parseKubeVersion(kubernetesVersion).text;
  const v = byMinor(nodeArtifactVersionsByMinor, k, 'node artifact versions');
  const names = runtimePackages[family];
  const kube: Wanted[] = [
    { name: 'kubeadm', upstream: k },
    { name: 'kubelet', upstream: k },
    { name: 'kubectl', upstream: k },
    { name: 'cri-tools', upstream: v.criToolsPkg },
    { name: 'kubernetes-cni', upstream: v.kubernetesCniPkg },
  ];
  const docker: Wanted[] = [{ name: names.containerd, upstream: v.containerd }];
  if (runtime === 'docker') docker.push({ name: names.docker }, { name: 'docker-ce-cli' });
  return { kube, docker, release: runtime === 'docker' ? [{ name: names.criDockerd }] : [] };
}

async function osPackages(up: Upstream, o: ArtifactOptions, t: PackageTarget, platform: string, arch: string): Promise<Artifact[]> {
  const k = parseKubeVersion(o.kubernetesVersion).text;
  const kubeRepo = `${(o.packageRepository ?? 'https://pkgs.k8s.io/core:/stable:').replace(/\/+$/, '')}/${minorTag(k)}`;
  const names = runtimePackages[t.family];
  const { kube, docker } = packagesWanted(o.kubernetesVersion, o.runtime, t.family);
  const dir = `packages/${t.release}/${arch}`;
  const out: Artifact[] = [];
  const add = (name: string, version: string, url: string, sum: string, depends: string[]) =>
    out.push({
      path: `${dir}/${posix.basename(url)}`,
      url,
      kind: 'package',
      platform,
      name,
      version,
      family: t.family,
      release: t.release,
      sha256: sum,
      depends,
    });

  if (t.family === 'debian') {
    const debArch = DEB_ARCH[arch]!;
    const kubeIndex = await up.debIndex(`${kubeRepo}/deb`, '/', undefined, debArch);
    for (const w of kube) {
      const p = pickDeb(kubeIndex, w.name, debArch, w.upstream, `${kubeRepo}/deb/Packages`);
      add(p.name, p.version, `${kubeRepo}/deb/${p.filename}`, p.sha256, p.depends);
    }
    const dockerBase = `https://download.docker.com/linux/${t.distro}`;
    const dockerIndex = await up.debIndex(dockerBase, t.codename!, 'stable', debArch);
    let dockerVersion: string | undefined;
    for (const w of docker) {
      const p = pickDeb(dockerIndex, w.name, debArch, w.upstream ?? dockerVersion, `${dockerBase} ${t.codename} stable`);
      if (w.name === names.docker) dockerVersion = upstreamOf(p.version); // docker-ce-cli at docker-ce's version
      add(p.name, p.version, `${dockerBase}/${p.filename}`, p.sha256, p.depends);
    }
  } else {
    const rpmArch = RPM_ARCH[arch]!;
    const kubeIndex = await up.rpmIndex(`${kubeRepo}/rpm`);
    for (const w of kube) {
      const p = pickRpm(kubeIndex, w.name, rpmArch, w.upstream, `${kubeRepo}/rpm`);
      add(p.name, `${p.ver}-${p.rel}`, `${kubeRepo}/rpm/${p.href}`, p.sha256, p.requires);
    }
    const dockerBase = `https://download.docker.com/linux/rhel/${t.version}/${rpmArch}/stable`;
    const dockerIndex = await up.rpmIndex(dockerBase);
    let dockerVersion: string | undefined;
    for (const w of docker) {
      const p = pickRpm(dockerIndex, w.name, rpmArch, w.upstream ?? dockerVersion, dockerBase);
      if (w.name === names.docker) dockerVersion = p.ver;
      add(p.name, `${p.ver}-${p.rel}`, `${dockerBase}/${p.href}`, p.sha256, p.requires);
    }
  }
  if (o.runtime === 'docker') out.push(await criDockerd(up, t, platform, arch, dir));
  return out;
}

interface GithubRelease {
  assets: { name: string; browser_download_url: string; digest?: string | null }[];
}

/**
 * cri-dockerd is in no package repository: its GitHub release carries per-distro packages whose names hold a build
 * number (cri-dockerd_0.3.24.3-0.debian-bookworm_amd64.deb, cri-dockerd-0.3.24-3.el8.x86_64.rpm). The name comes from
 * the release's asset list, the checksum from GitHub's digest of that asset (the release publishes no checksum file;
 * GitHub lists a digest only for assets uploaded since June 2025, hence the pinned release's date).
 */
async function criDockerd(up: Upstream, t: PackageTarget, platform: string, arch: string, dir: string): Promise<Artifact> {
  const { version } = criDockerdRelease;
  const api = criDockerdReleaseApi(version);
  const release = JSON.parse((await up.get(api)).toString('utf8')) as GithubRelease;
  const esc = version.replace(/\./g, '\\.');
  let asset: GithubRelease['assets'][number] | undefined;
  let installed = '';
  if (t.family === 'debian') {
    const re = new RegExp(`^cri-dockerd_(${esc}\\.\\d+-\\d+\\.${t.distro}-${t.codename})_${DEB_ARCH[arch]}\\.deb$`);
    asset = release.assets.find((a) => re.test(a.name));
    installed = asset ? re.exec(asset.name)![1]! : '';
  } else {
    // the newest el<N> build not newer than the host's release (el8 packages install on 9)
    const re = new RegExp(`^cri-dockerd-(${esc}-\\d+\\.el(\\d+))\\.${RPM_ARCH[arch]}\\.rpm$`);
    asset = release.assets
      .filter((a) => re.test(a.name) && Number(re.exec(a.name)![2]) <= Number(t.version))
      .sort((a, b) => Number(re.exec(b.name)![2]) - Number(re.exec(a.name)![2]))[0];
    installed = asset ? re.exec(asset.name)![1]! : '';
  }
  if (!asset) throw new Error(`cri-dockerd v${version} has no package for ${t.release} ${arch} (${api})`);
  const sum = /^sha256:([a-f0-9]{64})$/.exec(asset.digest ?? '')?.[1];
  if (!sum) {
    // GitHub computes digests only for assets uploaded since June 2025: an older release's assets list none
    throw new DownloadError(
      up.url(api),
      `GitHub lists no sha256 digest for ${asset.name} (it records digests only for release assets uploaded since June 2025), so it cannot be verified and the bundle is not made; pin a cri-dockerd release whose assets carry one (criDockerdRelease in src/data/runtime-repos.ts) or make the bundle for containerRuntime containerd`,
    );
  }
  return {
    path: `${dir}/${asset.name}`,
    url: asset.browser_download_url,
    kind: 'package',
    platform,
    name: 'cri-dockerd',
    version: installed,
    family: t.family,
    release: t.release,
    sha256: sum,
  };
}

/** A release file of a platform: where it is published, the checksum file that vouches for it, its path in the bundle. */
export interface ReleaseFile {
  path: string;
  name: string;
  version: string;
  kind: Artifact['kind'];
  url: string;
  sums: string;
}

/** The release files (binaries, archives) bundle create takes for a platform; also what a bundle's files are checked against. */
export function releaseFileList(kubernetesVersion: string, runtime: ArtifactOptions['runtime'], platform: string): ReleaseFile[] {
  const arch = platform.split('/')[1]!;
  const k = parseKubeVersion(kubernetesVersion).text;
  const v = byMinor(nodeArtifactVersionsByMinor, k, 'node artifact versions');
  const dir = `files/linux-${arch}`;
  const gh = (repo: string, tag: string, file: string) => `https://github.com/${repo}/releases/download/${tag}/${file}`;
  const wanted: (Omit<ReleaseFile, 'path'> & { as?: string })[] = [];
  for (const bin of ['kubeadm', 'kubelet', 'kubectl']) {
    const url = `https://dl.k8s.io/release/v${k}/bin/linux/${arch}/${bin}`;
    wanted.push({ name: bin, version: k, kind: 'binary', url, sums: `${url}.sha256` });
  }
  const crictl = gh('kubernetes-sigs/cri-tools', `v${v.crictl}`, `crictl-v${v.crictl}-linux-${arch}.tar.gz`);
  wanted.push({ name: 'crictl', version: v.crictl, kind: 'archive', url: crictl, sums: `${crictl}.sha256` });
  const cni = gh('containernetworking/plugins', `v${v.cniPlugins}`, `cni-plugins-linux-${arch}-v${v.cniPlugins}.tgz`);
  wanted.push({ name: 'cni-plugins', version: v.cniPlugins, kind: 'archive', url: cni, sums: `${cni}.sha256` });
  if (runtime === 'containerd') {
    const containerd = gh('containerd/containerd', `v${v.containerd}`, `containerd-${v.containerd}-linux-${arch}.tar.gz`);
    wanted.push({ name: 'containerd', version: v.containerd, kind: 'archive', url: containerd, sums: `${containerd}.sha256sum` });
    wanted.push({
      name: 'runc',
      version: v.runc,
      kind: 'binary',
      url: gh('opencontainers/runc', `v${v.runc}`, `runc.${arch}`),
      sums: gh('opencontainers/runc', `v${v.runc}`, 'runc.sha256sum'),
      as: 'runc',
    });
  }
  return wanted.map(({ as, ...w }) => ({ ...w, path: `${dir}/${as ?? posix.basename(w.url)}` }));
}

async function releaseFiles(up: Upstream, o: ArtifactOptions, platform: string): Promise<Artifact[]> {
  return Promise.all(
    releaseFileList(o.kubernetesVersion, o.runtime, platform).map(async (w) => ({
      path: w.path,
      url: w.url,
      kind: w.kind,
      platform,
      name: w.name,
      version: w.version,
      sha256: await up.publishedSum(w.sums, posix.basename(w.url)),
    })),
  );
}

/** Every node file of the bundle, with its checksum; URLs are upstream ones, rewritten to the files mirror when set. */
export async function resolveArtifacts(o: ArtifactOptions): Promise<Artifact[]> {
  const up = new Upstream(o);
  const targets = o.packages.map(packageTarget);
  const out: Artifact[] = [];
  for (const platform of o.platforms) {
    const arch = platform.split('/')[1]!;
    out.push(...(await releaseFiles(up, o, platform)));
    for (const t of targets) out.push(...(await osPackages(up, o, t, platform, arch)));
  }
  return out.map((a) => ({ ...a, url: up.url(a.url) }));
}
