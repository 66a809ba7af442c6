/**
 * What a bundle may hold: regular files only (no symlink anywhere on a listed path), and only the artifacts
 * `bundle create` makes for the manifest's version, platforms, runtime and package releases. A file's name decides where it is
 * installed on a node (/usr/local/bin/<name>, which archive members unpack where), so a name that is not one of the
 * known artifacts is refused, not trusted.
 */
import { lstatSync } from 'node:fs';
import { posix, join } from 'node:path';
import { PACKAGE_RELEASES, packagesWanted, packageTarget, releaseFileList, type ReleaseFile } from './artifacts.js';
import { upstreamOf } from './index/version.js';
import type { BundleFile, BundleManifest } from './manifest.js';

/** Problems with a listed path on disk: a symlink on the way, or not a regular file. Missing files are left to the caller. */
export function pathProblems(dir: string, path: string): string | undefined {
  let at = dir;
  for (const part of path.split('/')) {
    at = join(at, part);
    let st;
    try {
      st = lstatSync(at);
    } catch {
      return undefined;
    }
    if (st.isSymbolicLink())
      return `${path}: ${at === join(dir, path) ? 'is' : `goes through ${at.slice(dir.length + 1)}, which is`} a symlink (a bundle holds regular files only)`;
  }
  const st = lstatSync(join(dir, path));
  return st.isFile() ? undefined : `${path}: not a regular file`;
}

/**
 * Every listed file that is not an artifact `bundle create` could have made for this manifest. Release files
 * (binaries, archives) are fixed by the manifest's Kubernetes version, runtime and platforms. OS packages were picked
 * from repository indexes, which the admin machine cannot read offline, so a package must be what create would pick
 * for the release it records: a release create fetches, of the package's family, under packages/<release>/<arch of
 * its platform>/ as a plain .deb/.rpm file name, one of the package names create takes for that family and runtime,
 * at the upstream version create pins (Kubernetes packages at the manifest's version, containerd.io at the runtime's).
 */
export function unknownFiles(m: BundleManifest): string[] {
  let release: (ReleaseFile & { platform: string })[];
  try {
    release = m.platforms.flatMap((p) => releaseFileList(m.kubernetes.version, m.containerRuntime, p).map((a) => ({ ...a, platform: p })));
  } catch (err) {
    return [`manifest.json kubernetes.version ${m.kubernetes.version}: ${(err as Error).message}`];
  }
  const images = new Map<string, string>();
  for (const i of m.images) for (const [platform, p] of Object.entries(i.platforms)) images.set(`${platform} ${p.file}`, i.ref);
  const problems: string[] = [];
  for (const f of m.files) {
    if (f.kind === 'image') {
      if (images.get(`${f.platform} ${f.path}`) !== f.name || !f.path.startsWith('images/') || !f.path.endsWith('.tar')) {
        problems.push(`${f.path}: image file ${JSON.stringify(f.name)} is not the archive of an image the manifest lists`);
      }
      continue;
    }
    if (f.kind === 'package') {
      const why = packageProblem(m, f);
      if (why) problems.push(`${f.path}: package ${JSON.stringify(f.name)} (${f.platform}) ${why}`);
      continue;
    }
    const same = f.family || f.release ? [] : release.filter((a) => a.kind === f.kind && a.name === f.name && a.platform === f.platform);
    // binaries are installed by name: exact path; archives: same directory, a plain file name
    const ok = same.some((a) =>
      f.kind === 'binary' ? a.path === f.path : posix.dirname(a.path) === posix.dirname(f.path) && PLAIN_NAME.test(posix.basename(f.path)),
    );
    if (!ok)
      problems.push(
        `${f.path}: ${f.kind} ${JSON.stringify(f.name)} (${f.platform}) is not one of the artifacts a bundle for Kubernetes ${m.kubernetes.version} holds`,
      );
  }
  return problems;
}

const PLAIN_NAME = /^[A-Za-z0-9][A-Za-z0-9._+~-]*$/;

/** Why a package entry is not one bundle create could have made for the release it records (undefined: it could). */
function packageProblem(m: BundleManifest, f: BundleFile): string | undefined {
  if (!f.release || !(PACKAGE_RELEASES as readonly string[]).includes(f.release)) {
    return `records release ${JSON.stringify(f.release ?? '')}, not one bundle create fetches (${PACKAGE_RELEASES.join(', ')})`;
  }
  const t = packageTarget(f.release);
  if (f.family !== t.family) return `records family ${JSON.stringify(f.family ?? '')}, but ${t.release} is ${t.family}`;
  const arch = m.platforms.includes(f.platform) ? f.platform.split('/')[1] : undefined;
  const ext = t.family === 'debian' ? '.deb' : '.rpm';
  if (
    !arch ||
    posix.dirname(f.path) !== `packages/${t.release}/${arch}` ||
    !PLAIN_NAME.test(posix.basename(f.path)) ||
    !f.path.endsWith(ext)
  ) {
    return `is not a ${ext} file in packages/${t.release}/<arch> of a platform the manifest lists`;
  }
  const wanted = packagesWanted(m.kubernetes.version, m.containerRuntime, t.family);
  const w = [...wanted.kube, ...wanted.docker, ...wanted.release].find((x) => x.name === f.name);
  if (!w) return `is not one of the packages a ${m.containerRuntime} bundle for Kubernetes ${m.kubernetes.version} holds`;
  // deb: [epoch:]upstream[-revision]; rpm (as recorded): VERSION-RELEASE
  const version = f.version ?? '';
  const upstream = t.family === 'debian' ? upstreamOf(version) : version.split('-')[0];
  if (w.upstream && upstream !== w.upstream)
    return `is version ${version}; a bundle for Kubernetes ${m.kubernetes.version} holds ${w.upstream}`;
  return undefined;
}
