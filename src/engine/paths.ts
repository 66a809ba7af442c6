import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cachedRoot: string | undefined;

/**
 * Where the package's files are when they are not next to the code: the single executable unpacks its embedded
 * playbooks, templates and example inventories into a directory and names it here before the CLI starts.
 */
export function usePackageRoot(dir: string): void {
  cachedRoot = dir;
}

/** The kubesmith package root (holds playbooks/ and templates/), found from this file in src/ or dist/src/. */
export function packageRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'kubesmith') {
      cachedRoot = dir;
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the kubesmith package root (package.json)');
    dir = parent;
  }
}

export function playbooksDir(): string {
  return join(packageRoot(), 'playbooks');
}

/** The version in package.json. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}
