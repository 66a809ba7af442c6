/**
 * What a bundle may hold: regular files only (no symlink anywhere on a listed path), and only the artifacts
 * `bundle create` makes for the manifest's version, platforms and runtime. A file's name decides where it is
 * installed on a node (/usr/local/bin/<name>, which archive members unpack where), so a name that is not one of the
 * known artifacts is refused, not trusted.
 */
import { lstatSync } from 'node:fs';
import { posix, join } from 'node:path';
import { artifactsFor } from './artifacts.js';
import type { BundleManifest } from './manifest.js';

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
    if (st.isSymbolicLink()) return `${path}: ${at === join(dir, path) ? 'is' : `goes through ${at.slice(dir.length + 1)}, which is`} a symlink (a bundle holds regular files only)`;
  }
  const st = lstatSync(join(dir, path));
  return st.isFile() ? undefined : `${path}: not a regular file`;
}

/** Every listed file that is not one of the artifacts `bundle create` makes for this manifest. */
export function unknownFiles(m: BundleManifest): string[] {
  let known;
  try {
    known = artifactsFor({ kubernetesVersion: m.kubernetes.version, platforms: m.platforms, packages: ['debian', 'rhel'], runtime: m.containerRuntime });
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
    const same = known.filter((a) => a.kind === f.kind && a.name === f.name && a.platform === f.platform && a.family === f.family);
    // binaries are installed by name: exact path; archives and packages: same directory, a plain file name
    const ok = same.some((a) => (f.kind === 'binary' ? a.path === f.path : posix.dirname(a.path) === posix.dirname(f.path) && /^[A-Za-z0-9][A-Za-z0-9._+~-]*$/.test(posix.basename(f.path))));
    if (!ok) problems.push(`${f.path}: ${f.kind} ${JSON.stringify(f.name)} (${f.platform}) is not one of the artifacts a bundle for Kubernetes ${m.kubernetes.version} holds`);
  }
  return problems;
}
