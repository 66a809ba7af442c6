/**
 * A bundle is a directory or a .tar of one. A tar is unpacked once next to itself (BUNDLE.tar.d/) with the
 * system tar (argv, no shell) and then checked like a directory: the manifest, not the tar, is the authority.
 * Before unpacking, its member list is read: anything but regular files and directories (symlinks, hard links,
 * devices) and any name that is absolute or climbs with ".." refuses the whole tar.
 */
import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdir, rm, writeFile, readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { BundleError } from './manifest.js';
import { tarMembers } from './tar.js';

const run = promisify(execFile);

export function bundlePath(spec: string, baseDir: string): string {
  return isAbsolute(spec) ? spec : resolve(baseDir, spec);
}

/** The directory holding manifest.json for a bundle path (directory or .tar). */
export async function openBundle(path: string): Promise<string> {
  if (!existsSync(path)) throw new BundleError(path, ['no such file or directory']);
  if (statSync(path).isDirectory()) return path;
  const dir = `${path}.d`;
  const stamp = join(dir, '.unpacked-from');
  const id = `${statSync(path).size} ${statSync(path).mtimeMs}`;
  if (existsSync(stamp) && (await readFile(stamp, 'utf8')) === id) return dir;
  const unsafe = await tarProblems(path);
  if (unsafe.length) throw new BundleError(path, unsafe);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  try {
    await run('tar', ['-xf', path, '-C', dir], { maxBuffer: 1 << 20 });
  } catch (err) {
    throw new BundleError(path, [`cannot unpack: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`]);
  }
  await writeFile(stamp, id);
  return dir;
}

/** Members of a bundle tar that may not be unpacked. */
async function tarProblems(path: string): Promise<string[]> {
  let members;
  try {
    members = await tarMembers(path);
  } catch (err) {
    return [`cannot read as a tar: ${(err as Error).message}`];
  }
  const problems: string[] = [];
  for (const m of members) {
    if (m.type !== '0' && m.type !== '5')
      problems.push(
        `${m.name}: a ${m.type === '2' ? 'symlink' : m.type === '1' ? 'hard link' : `type ${m.type} member`} (a bundle holds regular files only)`,
      );
    else if (m.name.startsWith('/') || m.name.split('/').includes('..')) problems.push(`${m.name}: a name outside the bundle`);
  }
  return problems;
}

/** Pack a bundle directory into a tar (without the download cache). */
export async function packBundle(dir: string, tarPath: string): Promise<void> {
  await run('tar', ['-cf', tarPath, '--exclude=./.cache', '--exclude=./.unpacked-from', '-C', dir, '.'], { maxBuffer: 1 << 20 });
}
