/**
 * A bundle is a directory or a .tar of one. A tar is unpacked once next to itself (BUNDLE.tar.d/) with the
 * system tar (argv, no shell) and then checked like a directory: the manifest, not the tar, is the authority.
 */
import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdir, rm, writeFile, readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { BundleError } from './manifest.js';

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

/** Pack a bundle directory into a tar (without the download cache). */
export async function packBundle(dir: string, tarPath: string): Promise<void> {
  await run('tar', ['-cf', tarPath, '--exclude=./.cache', '--exclude=./.unpacked-from', '-C', dir, '.'], { maxBuffer: 1 << 20 });
}
