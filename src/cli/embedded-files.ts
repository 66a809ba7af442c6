/**
 * The package's own files as the single executable carries them: a list with a digest, unpacked once into a
 * directory named after that digest. scripts/package.ts writes the list; src/cli/sea-main.ts unpacks it.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** The asset that lists every embedded file (written by scripts/package.ts). */
export const FILE_LIST_ASSET = 'kubesmith-files.json';

export interface FileList {
  /** SHA-256 over every path and content, so a changed executable never reuses an older unpacked tree. */
  digest: string;
  files: string[];
}

export function cacheBase(env: NodeJS.ProcessEnv): string {
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'kubesmith');
  const home = homedir();
  return home ? join(home, '.cache', 'kubesmith') : join(tmpdir(), `kubesmith-${process.getuid?.() ?? 'user'}`);
}

/** Unpack the embedded files unless this digest's tree is already there; returns its directory. */
export function unpackAssets(base: string, list: FileList, read: (name: string) => ArrayBuffer): string {
  const root = join(base, `files-${list.digest.slice(0, 16)}`);
  if (existsSync(join(root, '.complete'))) return root;
  const staging = `${root}.${process.pid}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  const hash = filesDigest();
  for (const file of list.files) {
    const bytes = Buffer.from(read(file));
    hash.add(file, bytes);
    const target = join(staging, file);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, bytes);
  }
  if (hash.hex() !== list.digest) {
    rmSync(staging, { recursive: true, force: true });
    throw new Error('the embedded files do not match their digest: the executable is damaged');
  }
  writeFileSync(join(staging, '.complete'), `${list.digest}\n`);
  try {
    renameSync(staging, root);
  } catch (err) {
    // Another kubesmith process unpacked the same tree first: use theirs.
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(join(root, '.complete'))) throw err;
  }
  return root;
}

/** The digest of a file list: every path and its bytes, in list order. */
export function filesDigest() {
  const hash = createHash('sha256');
  return {
    add(file: string, bytes: Uint8Array) {
      hash.update(file).update('\0').update(bytes).update('\0');
    },
    hex: () => hash.digest('hex'),
  };
}
