// The host's package database ($LAB_FS_ROOT/var/lib/lab/pkgdb.json) and what installing a package puts on disk.
// Emulated binaries read their version with `lab-pkg-version <package>` (plain file /var/lib/lab/pkgversions/<package>)
// or from pkgdb.json: { "format": "deb"|"rpm", "packages": { "<name>": { "version": "1.34.1-1.1", ... } } }.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { at, emulatorsDir, readText, writeText } from './lab-fs.js';
import { packageMeta, type Format } from './repos.js';

export interface PkgEntry {
  version: string;
  arch: string;
  /** where it came from: a repo URL / repo id, "@System" (base image) or "@commandline" (a local file) */
  repo: string;
  hold?: boolean;
  files: string[];
  description?: string | undefined;
}
export interface PkgDb {
  format: Format;
  packages: Record<string, PkgEntry>;
}

const DB = '/var/lib/lab/pkgdb.json';

export function loadDb(format: Format): PkgDb {
  const text = readText(DB);
  if (!text) return { format, packages: {} };
  const db = JSON.parse(text) as PkgDb;
  db.packages ??= {};
  return db;
}

export function saveDb(db: PkgDb): void {
  const sorted = Object.fromEntries(Object.entries(db.packages).sort(([a], [b]) => a.localeCompare(b)));
  writeText(DB, JSON.stringify({ format: db.format, packages: sorted }, null, 1) + '\n');
  // compatibility view for emulators that read a flat name -> {version} map
  writeText(
    '/var/lib/lab/packages.json',
    JSON.stringify(Object.fromEntries(Object.entries(sorted).map(([n, e]) => [n, { version: e.version }]))) + '\n',
  );
}

interface Manifest {
  packages?: Record<string, { bin?: string[] }>;
}
function manifestBins(pkg: string): string[] {
  try {
    const m = JSON.parse(readFileSync(join(emulatorsDir(), 'manifest.json'), 'utf8')) as Manifest;
    return m.packages?.[pkg]?.bin ?? [];
  } catch {
    return [];
  }
}

const upstream = (v: string): string =>
  v
    .replace(/^\d+:/, '')
    .replace(/-[^-]*$/, '')
    .replace(/~ds\d+$/, '');

function placeholder(bin: string, pkg: string, version: string): string {
  return (
    `#!/bin/bash\n# lab placeholder: ${bin} from package ${pkg} ${version} (no emulator provides it)\n` +
    `case "\${1:-}" in --version|-v|version|-V) echo "${bin} version v${upstream(version)}" ;; esac\nexit 0\n`
  );
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

/** Puts a package's files in place: emulated binaries in /usr/bin (symlinks to the repo's emulators, or a placeholder),
 *  its unit files and config from test/lab/emulators/pkgfiles/<pkg>[@deb|@rpm]/. Returns the installed paths. */
export function placeFiles(pkg: string, version: string, format: Format): string[] {
  const files: string[] = [];
  for (const bin of manifestBins(pkg)) {
    const dest = `/usr/bin/${bin}`;
    rmSync(at(dest), { force: true });
    mkdirSync(dirname(at(dest)), { recursive: true });
    const src = join(emulatorsDir(), 'bin', bin);
    if (existsSync(src)) symlinkSync(src, at(dest));
    else writeFileSync(at(dest), placeholder(bin, pkg, version), { mode: 0o755 });
    files.push(dest);
  }
  for (const tree of [pkg, `${pkg}@${format}`]) {
    const root = join(emulatorsDir(), 'pkgfiles', tree);
    if (!existsSync(root)) continue;
    for (const f of walk(root)) {
      const dest = '/' + relative(root, f);
      const keep = dest.startsWith('/etc/') && existsSync(at(dest)); // conffiles the admin already has are kept
      if (!keep) {
        mkdirSync(dirname(at(dest)), { recursive: true });
        cpSync(f, at(dest));
      }
      files.push(dest);
    }
  }
  writeText(`/var/lib/lab/pkgversions/${pkg}`, version + '\n');
  return files;
}

/** Removes a package's files; purge also removes its files under /etc. */
export function removeFiles(pkg: string, entry: PkgEntry, purge: boolean): void {
  for (const f of entry.files) {
    if (f.startsWith('/etc/') && !purge) continue;
    try {
      lstatSync(at(f));
      rmSync(at(f), { force: true });
    } catch {
      /* already gone */
    }
  }
  rmSync(at(`/var/lib/lab/pkgversions/${pkg}`), { force: true });
}

export function recordInstall(db: PkgDb, name: string, version: string, repo: string, arch: string): PkgEntry {
  const old = db.packages[name];
  if (old) removeFiles(name, old, false);
  const entry: PkgEntry = { version, arch, repo, files: placeFiles(name, version, db.format), description: packageMeta(name).description };
  if (old?.hold) entry.hold = true;
  db.packages[name] = entry;
  // package scripts reload systemd when they ship unit files (no "changed on disk" warning afterwards)
  if (entry.files.some((f) => f.startsWith('/usr/lib/systemd/'))) emulatedSystemctl(['daemon-reload']);
  return entry;
}

/** Unit files a package installed that have an [Install] section (enabled + started by deb maintainer scripts). */
export function enablableUnits(entry: PkgEntry): string[] {
  return entry.files
    .filter((f) => /^\/usr\/lib\/systemd\/system\/[^/]+\.(service|socket)$/.test(f))
    .filter((f) => /^\[Install\]/m.test(readText(f) ?? ''))
    .map((f) => f.slice(f.lastIndexOf('/') + 1));
}

/** Runs the systemctl emulator (never the real one) without journaling: package scripts are not the tool's calls. */
export function emulatedSystemctl(args: string[]): string {
  const r = spawnSync(join(emulatorsDir(), 'bin', 'systemctl'), args, { encoding: 'utf8', env: { ...process.env, LAB_JOURNAL_OFF: '1' } });
  return r.stderr ?? '';
}
