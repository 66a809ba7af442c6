/**
 * Entry point of the single executable (`npm run package`): Node's single executable application runs this file,
 * bundled with the whole CLI. The package's own files (playbooks, templates, example inventories, package.json) are
 * embedded as assets; they are unpacked once into a directory named after their content hash, and the CLI then
 * finds them there as it finds them next to the code in a clone.
 */
import { mkdirSync } from 'node:fs';
import { getAsset, isSea } from 'node:sea';
import { usePackageRoot } from '../engine/paths.js';
import { FILE_LIST_ASSET, cacheBase, unpackAssets, type FileList } from './embedded-files.js';
import { main } from './main.js';

if (isSea()) {
  const list = JSON.parse(getAsset(FILE_LIST_ASSET, 'utf8')) as FileList;
  const base = cacheBase(process.env);
  mkdirSync(base, { recursive: true, mode: 0o700 });
  usePackageRoot(unpackAssets(base, list, (name) => getAsset(name)));
  // In a single executable argv[1] is the executable again; the user's arguments follow it.
  void main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`kubesmith: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
