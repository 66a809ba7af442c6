/**
 * `npm run package`: builds the single executable `build/kubesmith-linux-<arch>` with Node's single executable
 * applications: the CLI bundled into one CommonJS file (esbuild), the playbooks, templates, example inventories and
 * package.json embedded as assets, injected into a copy of the node binary that runs this script (postject).
 * The result runs on a machine without Node.js. Only the running node's own architecture can be built.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { packageRoot } from '../src/engine/paths.js';
import { FILE_LIST_ASSET, filesDigest, type FileList } from '../src/cli/embedded-files.js';

const EMBEDDED_DIRS = ['playbooks', 'templates', 'inventory'];
/** The sentinel Node's binaries carry for single executable applications (nodejs.org/api/single-executable-applications.html). */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/**
 * ssh2's optional native crypto and cpu-features: a single executable cannot load addons. Their require() becomes a
 * module that throws, which ssh2 catches to use its JavaScript crypto (as when the addons were never built).
 */
const noNativeAddons: Plugin = {
  name: 'no-native-addons',
  setup(b) {
    b.onResolve({ filter: /\.node$/ }, (args) => ({ path: args.path, namespace: 'no-native-addon' }));
    b.onLoad({ filter: /.*/, namespace: 'no-native-addon' }, () => ({
      contents: 'throw new Error("native addons are not part of the single executable");',
    }));
  },
};

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

/** Every embedded file, relative to the package root, sorted; and the digest sea-main.ts checks on unpacking. */
export function embeddedFiles(root: string): FileList {
  const files = [...EMBEDDED_DIRS.flatMap((d) => walk(join(root, d))), join(root, 'package.json')].map((p) => relative(root, p)).sort();
  const hash = filesDigest();
  for (const file of files) hash.add(file, readFileSync(join(root, file)));
  return { digest: hash.hex(), files };
}

async function main(): Promise<void> {
  const root = packageRoot();
  const out = join(root, 'build');
  const work = join(out, 'sea');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });

  const bundle = join(work, 'kubesmith.cjs');
  await build({
    entryPoints: [join(root, 'src/cli/sea-main.ts')],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'warning',
    plugins: [noNativeAddons],
    // A CommonJS bundle has no import.meta: give the modules that ask for it this file's URL.
    define: { 'import.meta.url': '__kubesmithModuleUrl' },
    banner: { js: 'var __kubesmithModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
  });

  const list = embeddedFiles(root);
  writeFileSync(join(work, FILE_LIST_ASSET), JSON.stringify(list));
  const assets: Record<string, string> = { [FILE_LIST_ASSET]: join(work, FILE_LIST_ASSET) };
  for (const file of list.files) assets[file] = join(root, file);
  const blob = join(work, 'sea-prep.blob');
  writeFileSync(
    join(work, 'sea-config.json'),
    JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true, assets }, null, 2),
  );
  const made = spawnSync(process.execPath, ['--experimental-sea-config', join(work, 'sea-config.json')], { stdio: 'inherit' });
  if (made.status !== 0) throw new Error(`node --experimental-sea-config exited ${made.status}`);

  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  const exe = join(out, `kubesmith-linux-${arch}`);
  copyFileSync(process.execPath, exe);
  chmodSync(exe, 0o755);
  const { inject } = await import('postject');
  await inject(exe, 'NODE_SEA_BLOB', readFileSync(blob), { sentinelFuse: SEA_FUSE });
  process.stdout.write(
    `wrote ${relative(process.cwd(), exe) || exe} (${(statSync(exe).size / 1048576).toFixed(0)} MiB, ${list.files.length} embedded files)\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`package: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
