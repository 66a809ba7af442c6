/**
 * Which Kubernetes releases the package repository offers, per minor, read the way the node would install them.
 *
 * Decision: the index is read ON the first control plane (`curl -fsSL`, printed to stdout, nothing written), not on
 * the admin machine: the nodes install from `kubernetes.packageRepository` (often a mirror only they reach), and the
 * repository signing key is fetched the same way (src/tasks/common/signing-key.ts). pkgs.k8s.io has one repository per
 * minor: a flat deb repository (`<base>/v1.34/deb/Packages`) and an rpm-md one (`<base>/v1.34/rpm/repodata/repomd.xml`
 * → primary.xml.gz), parsed with the bundle's readers (src/bundle/index/). A release counts as offered when kubeadm,
 * kubelet and kubectl all exist at that upstream version for the node's architecture. A cluster mixing distribution
 * families or architectures reads each one's repository on its first node, and a release counts when every one
 * offers it (offeredEverywhere).
 */
import { debPackages } from '../bundle/index/deb.js';
import { repomdPrimary, rpmPackages } from '../bundle/index/rpm.js';
import { upstreamOf } from '../bundle/index/version.js';
import { defaultPackageRepository, kubernetesPackages } from '../data/versions.js';
import { sh } from '../transport/command.js';
import type { Transport } from '../transport/types.js';
import type { Offered } from './route.js';

const DEB_ARCH: Record<string, string> = { amd64: 'amd64', arm64: 'arm64', x86_64: 'amd64', aarch64: 'arm64' };
const RPM_ARCH: Record<string, string> = { amd64: 'x86_64', arm64: 'aarch64', x86_64: 'x86_64', aarch64: 'aarch64' };

/** Upstream versions at which every one of kubeadm, kubelet and kubectl is listed. */
function complete(entries: { name: string; version: string }[]): string[] {
  const by = new Map<string, Set<string>>();
  for (const e of entries) {
    if (!(kubernetesPackages as readonly string[]).includes(e.name)) continue;
    by.set(e.version, (by.get(e.version) ?? new Set()).add(e.name));
  }
  return [...by].filter(([, names]) => names.size === kubernetesPackages.length).map(([v]) => v);
}

export function offeredInDeb(packagesText: string, arch: string): string[] {
  const want = DEB_ARCH[arch] ?? arch;
  return complete(
    debPackages(packagesText)
      .filter((p) => p.arch === want)
      .map((p) => ({ name: p.name, version: upstreamOf(p.version) })),
  );
}

export function offeredInRpm(primary: string, arch: string): string[] {
  const want = RPM_ARCH[arch] ?? arch;
  return complete(
    rpmPackages(primary)
      .filter((p) => p.arch === want)
      .map((p) => ({ name: p.name, version: p.ver })),
  );
}

export interface OfferedSource {
  /** kubernetes.packageRepository (default pkgs.k8s.io's core:/stable:). */
  base?: string | undefined;
  family: 'debian' | 'rhel';
  arch: string;
}

/** The repository of one minor, as the distro's repository file names it. */
export function minorRepository(source: OfferedSource, major: number, minor: number): string {
  const base = (source.base ?? defaultPackageRepository).replace(/\/+$/, '');
  return `${base}/v${major}.${minor}/${source.family === 'debian' ? 'deb' : 'rpm'}`;
}

async function curl(t: Transport, url: string, gunzip = false): Promise<string | undefined> {
  const r = await t.exec(gunzip ? sh`curl -fsSL ${url} | gzip -dc` : ['curl', '-fsSL', url], { allowFailure: true, timeoutMs: 120_000 });
  return r.code === 0 && r.stdout.trim() ? r.stdout : undefined;
}

/** One minor's offered releases; [] when its repository does not answer (the route then refuses, naming it). */
export async function offeredForMinor(t: Transport, source: OfferedSource, major: number, minor: number): Promise<string[]> {
  const repo = minorRepository(source, major, minor);
  try {
    if (source.family === 'debian') {
      const text = await curl(t, `${repo}/Packages`);
      return text ? offeredInDeb(text, source.arch) : [];
    }
    const repomd = await curl(t, `${repo}/repodata/repomd.xml`);
    if (!repomd) return [];
    const { href } = repomdPrimary(repomd);
    const primary = await curl(t, `${repo}/${href}`, href.endsWith('.gz'));
    return primary ? offeredInRpm(primary, source.arch) : [];
  } catch {
    return []; // an index we cannot parse offers nothing we could install
  }
}

/** Every minor from `fromMinor` to `toMinor` (inclusive), read one after the other over the same connection. */
export async function offeredVersions(
  t: Transport,
  source: OfferedSource,
  major: number,
  fromMinor: number,
  toMinor: number,
): Promise<Offered> {
  const offered = new Map<number, string[]>();
  for (let m = fromMinor; m <= toMinor; m++) offered.set(m, await offeredForMinor(t, source, major, m));
  return offered;
}

/** Per minor, the releases every one of several sources offers (what every node of a mixed cluster can install). */
export function offeredEverywhere(all: readonly Offered[]): Offered {
  const out = new Map<number, string[]>();
  for (const minor of new Set(all.flatMap((o) => [...o.keys()])))
    out.set(
      minor,
      (all[0]?.get(minor) ?? []).filter((v) => all.every((o) => (o.get(minor) ?? []).includes(v))),
    );
  return out;
}
