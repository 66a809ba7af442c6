// dnf / yum (Rocky 9: yum is dnf): install/remove/upgrade/list/makecache/repolist/config-manager with exclude= honoured
// unless lifted by --disableexcludes=<repo|all> or --setopt=disable_excludes=<repo>.
import { basename } from 'node:path';
import { readFileSync } from 'node:fs';
import { compareRpm } from './version-compare.js';
import { Exit, exists, hostPath, writeText, type Out } from './lab-fs.js';
import { globMatch, lookupUrl, packageMeta, reposJson, yumRepos, type YumRepo } from './repos.js';
import { loadDb, recordInstall, removeFiles, saveDb, type PkgDb } from './pkgdb.js';

interface Avail {
  name: string;
  version: string;
  repo: string;
  excluded: boolean;
}
interface Opts {
  yes: boolean;
  quiet: boolean;
  disableExcludes: string[];
  showDuplicates: boolean;
  enableRepos: string[];
  disableRepos: string[];
}

export const stripEpoch = (v: string): string => v.replace(/^\d+:/, '');
export const nevra = (name: string, v: string): string => `${name}-${stripEpoch(v)}.x86_64`;

function parse(args: string[]): { verb: string; opts: Opts; rest: string[] } {
  const opts: Opts = { yes: false, quiet: false, disableExcludes: [], showDuplicates: false, enableRepos: [], disableRepos: [] };
  let verb = '';
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const val = (p: string) => (a === p ? (args[++i] ?? '') : a.slice(p.length + 1));
    if (a === '-y' || a === '--assumeyes') opts.yes = true;
    else if (a === '-q' || a === '--quiet') opts.quiet = true;
    else if (a === '--showduplicates') opts.showDuplicates = true;
    else if (
      a === '--disableexcludes' ||
      a.startsWith('--disableexcludes=') ||
      a === '--disableexcludepkgs' ||
      a.startsWith('--disableexcludepkgs=')
    )
      opts.disableExcludes.push(...val(a.startsWith('--disableexcludepkgs') ? '--disableexcludepkgs' : '--disableexcludes').split(','));
    else if (a === '--setopt' || a.startsWith('--setopt=')) {
      const kv = val('--setopt');
      const m = /^(?:disable_excludes|disableexcludes)=(.*)$/.exec(kv);
      if (m) opts.disableExcludes.push(...m[1]!.split(','));
    } else if (a === '--enablerepo' || a.startsWith('--enablerepo=')) opts.enableRepos.push(...val('--enablerepo').split(','));
    else if (a === '--disablerepo' || a.startsWith('--disablerepo=')) opts.disableRepos.push(...val('--disablerepo').split(','));
    else if (a === '-e' || a === '-d' || a === '--releasever' || a === '-x' || a === '--exclude') i++;
    else if (a.startsWith('-')) {
      /* --nogpgcheck, --best, --allowerasing, -v ... */
    } else if (!verb) verb = a;
    else rest.push(a);
  }
  return { verb, opts, rest };
}

function enabledRepos(opts: Opts): YumRepo[] {
  return yumRepos().filter(
    (r) => (r.enabled || opts.enableRepos.some((p) => globMatch(p, r.id))) && !opts.disableRepos.some((p) => globMatch(p, r.id)),
  );
}

/** Loads every enabled repo's metadata (failing like dnf on an unreachable one) and returns what it offers. */
function available(o: Out, opts: Opts): Avail[] {
  const out: Avail[] = [];
  for (const r of enabledRepos(opts)) {
    const served = r.urls.map((u) => lookupUrl('rpm', u)).find((s) => s !== undefined);
    if (!served || served === 'dead') {
      const url = r.urls[0] ?? '';
      const host = /^\w+:\/\/([^/]+)/.exec(url)?.[1] ?? url;
      o.err(`Errors during downloading metadata for repository '${r.id}':`);
      o.err(
        served === 'dead'
          ? `  - Status code: 404 for ${url.replace(/\/+$/, '')}/repodata/repomd.xml (IP: 10.199.255.254)`
          : `  - Curl error (6): Couldn't resolve host name for ${url.replace(/\/+$/, '')}/repodata/repomd.xml [Could not resolve host: ${host}]`,
      );
      o.err(
        `Error: Failed to download metadata for repo '${r.id}': Cannot download repomd.xml: Cannot download repodata/repomd.xml: All mirrors were tried`,
      );
      throw new Exit(1);
    }
    const lifted = opts.disableExcludes.some((d) => d === 'all' || d === r.id);
    for (const [name, versions] of Object.entries(served)) {
      const excluded = !lifted && r.excludes.some((p) => globMatch(p, name));
      for (const version of versions) out.push({ name, version, repo: r.id, excluded });
    }
  }
  return out;
}

/** Does a dnf/rpm argument (name, name-version[-release][.arch], epoch, globs) select this package version? */
export function specMatches(spec: string, name: string, version: string): boolean {
  const v = stripEpoch(version),
    e = /^(\d+):/.exec(version)?.[1] ?? '0';
  return [name, `${name}.x86_64`, `${name}-${v}`, `${name}-${v}.x86_64`, `${name}-${e}:${v}`, `${name}-${v.replace(/-[^-]*$/, '')}`].some(
    (s) => globMatch(spec, s),
  );
}

function metadataLine(o: Out, opts: Opts): void {
  if (!opts.quiet) o.out('Last metadata expiration check: 0:00:07 ago.');
}

interface Step {
  name: string;
  version: string;
  repo: string;
  old?: string | undefined;
  dep: boolean;
}

function table(o: Out, sections: [string, Step[]][]): void {
  o.out('Dependencies resolved.');
  o.out('='.repeat(80));
  o.out(` ${'Package'.padEnd(24)} ${'Architecture'.padEnd(12)} ${'Version'.padEnd(26)} ${'Repository'.padEnd(12)} Size`);
  o.out('='.repeat(80));
  for (const [title, steps] of sections) {
    if (!steps.length) continue;
    o.out(`${title}:`);
    for (const s of steps)
      o.out(` ${s.name.padEnd(24)} ${'x86_64'.padEnd(12)} ${stripEpoch(s.version).padEnd(26)} ${s.repo.padEnd(12)} 10 M`);
  }
  o.out('');
  o.out('Transaction Summary');
  o.out('='.repeat(80));
}

function confirm(o: Out, opts: Opts): void {
  if (opts.yes) return;
  o.stdout += 'Is this ok [y/N]: ';
  let answer = '';
  try {
    answer = readFileSync(0, 'utf8').trim();
  } catch {
    /* no stdin */
  }
  if (!/^y/i.test(answer)) {
    o.out('Operation aborted.');
    throw new Exit(1);
  }
}

function install(o: Out, db: PkgDb, specs: string[], opts: Opts, upgrade: boolean): void {
  const avail = available(o, opts);
  metadataLine(o, opts);
  const steps: Step[] = [];
  const unmatched: string[] = [];
  const targets = upgrade && !specs.length ? Object.keys(db.packages) : specs;
  for (const spec of targets) {
    if (spec.endsWith('.rpm')) {
      const m = /^(.+)-([^-]+-[^-]+)\.([^.]+)\.rpm$/.exec(basename(spec));
      if (!m || !exists(hostPath(spec))) {
        o.err(`Can not load RPM file: ${spec}.`);
        o.err(`Could not open: ${spec}`);
        throw new Exit(1);
      }
      steps.push({ name: m[1]!, version: m[2]!, repo: '@commandline', old: db.packages[m[1]!]?.version, dep: false });
      continue;
    }
    const all = avail.filter((a) => specMatches(spec, a.name, a.version));
    const ok = all.filter((a) => !a.excluded).sort((a, b) => compareRpm(b.version, a.version));
    if (!ok.length) {
      const installed = Object.entries(db.packages).find(([n, e]) => specMatches(spec, n, e.version));
      if (installed && !upgrade) {
        o.out(`Package ${nevra(installed[0], installed[1].version)} is already installed.`);
        continue;
      }
      if (upgrade && db.packages[spec]) continue;
      o.err(all.length ? `All matches were filtered out by exclude filtering for argument: ${spec}` : `No match for argument: ${spec}`);
      unmatched.push(spec);
      continue;
    }
    const pick = ok[0]!;
    const old = db.packages[pick.name];
    if (old && (old.version === pick.version || (!upgrade && !/[-*]/.test(spec.slice(pick.name.length)) && spec === pick.name))) {
      if (!upgrade) o.out(`Package ${nevra(pick.name, old.version)} is already installed.`);
      continue;
    }
    if (old && upgrade && compareRpm(pick.version, old.version) <= 0) continue;
    steps.push({ name: pick.name, version: pick.version, repo: pick.repo, old: old?.version, dep: false });
  }
  if (unmatched.length) {
    o.err(`Error: Unable to find a match: ${unmatched.join(' ')}`);
    throw new Exit(1);
  }
  // requirements come from the enabled repositories; one nothing provides stops the transaction, as in real dnf
  const unmet: string[] = [];
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i]!;
    for (const dep of packageMeta(s.name).deps?.rpm ?? []) {
      if (db.packages[dep] || steps.some((x) => x.name === dep)) continue;
      const c = avail.filter((a) => a.name === dep && !a.excluded).sort((a, b) => compareRpm(b.version, a.version))[0];
      if (c) steps.push({ name: dep, version: c.version, repo: c.repo, dep: true });
      else unmet.push(`  - nothing provides ${dep} needed by ${nevra(s.name, s.version)} from ${s.repo}`);
    }
  }
  if (unmet.length) {
    o.err('Error: ');
    o.err(' Problem: conflicting requests');
    unmet.forEach((l) => o.err(l));
    o.err("(try to add '--skip-broken' to skip uninstallable packages or '--nobest' to use not only best candidate packages)");
    throw new Exit(1);
  }
  if (!steps.length) {
    o.out('Dependencies resolved.');
    o.out('Nothing to do.');
    o.out('Complete!');
    return;
  }
  const fresh = steps.filter((s) => !s.old && !s.dep),
    deps = steps.filter((s) => s.dep);
  const up = steps.filter((s) => s.old && compareRpm(s.version, s.old) > 0),
    down = steps.filter((s) => s.old && compareRpm(s.version, s.old) < 0);
  table(o, [
    ['Installing', fresh],
    ['Upgrading', up],
    ['Installing dependencies', deps],
    ['Downgrading', down],
  ]);
  if (fresh.length + deps.length) o.out(`Install  ${fresh.length + deps.length} Package${fresh.length + deps.length > 1 ? 's' : ''}`);
  if (up.length) o.out(`Upgrade  ${up.length} Package${up.length > 1 ? 's' : ''}`);
  if (down.length) o.out(`Downgrade  ${down.length} Package${down.length > 1 ? 's' : ''}`);
  o.out('');
  confirm(o, opts);
  o.out('Downloading Packages:');
  o.out('Running transaction');
  for (const s of steps) recordInstall(db, s.name, s.version, s.repo, 'x86_64');
  saveDb(db);
  o.out('');
  if (up.length) {
    o.out('Upgraded:');
    o.out('  ' + up.map((s) => nevra(s.name, s.version)).join(' '));
  }
  if (down.length) {
    o.out('Downgraded:');
    o.out('  ' + down.map((s) => nevra(s.name, s.version)).join(' '));
  }
  if (fresh.length + deps.length) {
    o.out('Installed:');
    o.out('  ' + [...fresh, ...deps].map((s) => nevra(s.name, s.version)).join(' '));
  }
  o.out('');
  o.out('Complete!');
}

function remove(o: Out, db: PkgDb, names: string[], opts: Opts): void {
  const gone = names.flatMap((n) => {
    const hit = Object.keys(db.packages).filter((p) => specMatches(n, p, db.packages[p]!.version));
    if (!hit.length) o.out(`No match for argument: ${n}`);
    return hit;
  });
  if (!gone.length) {
    o.err('Error: No packages marked for removal.');
    throw new Exit(1);
  }
  table(o, [['Removing', gone.map((n) => ({ name: n, version: db.packages[n]!.version, repo: '@System', dep: false }))]]);
  o.out(`Remove  ${gone.length} Package${gone.length > 1 ? 's' : ''}`);
  o.out('');
  confirm(o, opts);
  o.out('Running transaction');
  o.out('');
  o.out('Removed:');
  o.out('  ' + gone.map((n) => nevra(n, db.packages[n]!.version)).join(' '));
  for (const n of gone) {
    removeFiles(n, db.packages[n]!, false);
    delete db.packages[n];
  }
  saveDb(db);
  o.out('');
  o.out('Complete!');
}

function list(o: Out, db: PkgDb, rest: string[], opts: Opts): void {
  let which = 'all';
  if (['installed', 'available', 'all', 'updates', 'upgrades'].includes(rest[0] ?? '')) which = rest.shift()!;
  const pats = rest.length ? rest : ['*'];
  const row = (n: string, v: string, repo: string) => o.out(`${`${n}.x86_64`.padEnd(39)} ${stripEpoch(v).padEnd(29)} ${repo}`);
  const inst = Object.entries(db.packages).filter(([n]) => pats.some((p) => globMatch(p, n)));
  let printed = 0;
  if (which === 'all' || which === 'installed') {
    if (inst.length) {
      o.out('Installed Packages');
      inst.forEach(([n, e]) => row(n, e.version, e.repo.startsWith('@') ? e.repo : `@${e.repo}`));
      printed++;
    }
  }
  if (which !== 'installed') {
    let av = available(o, opts)
      .filter((a) => !a.excluded && pats.some((p) => globMatch(p, a.name)))
      .filter((a) => opts.showDuplicates || db.packages[a.name]?.version !== a.version);
    av.sort((a, b) => a.name.localeCompare(b.name) || compareRpm(a.version, b.version));
    if (!opts.showDuplicates) av = av.filter((a, i) => av[i + 1]?.name !== a.name);
    if (av.length) {
      o.out('Available Packages');
      av.forEach((a) => row(a.name, a.version, a.repo));
      printed++;
    }
  }
  if (!printed) {
    o.err('Error: No matching Packages to list');
    throw new Exit(1);
  }
}

export function dnf(o: Out, args: string[]): void {
  const { verb, opts, rest } = parse(args);
  const db = loadDb('rpm');
  switch (verb) {
    case 'install':
    case 'reinstall':
      return install(o, db, rest, opts, false);
    case 'upgrade':
    case 'update':
    case 'downgrade':
      return install(o, db, rest, opts, verb !== 'downgrade');
    case 'remove':
    case 'erase':
      return remove(o, db, rest, opts);
    case 'list':
      return list(o, db, rest, opts);
    case 'makecache':
      available(o, opts);
      o.out('Metadata cache created.');
      return;
    case 'clean':
      o.out('0 files removed');
      return;
    case 'repolist':
      o.out(`${'repo id'.padEnd(30)} repo name`);
      for (const r of enabledRepos(opts)) o.out(`${r.id.padEnd(30)} ${r.name}`);
      return;
    case 'config-manager': {
      if (!db.packages['dnf-plugins-core']) {
        o.err('No such command: config-manager. Please use /usr/bin/dnf --help');
        o.err(`It could be a DNF plugin command, try: "dnf install 'dnf-command(config-manager)'"`);
        throw new Exit(1);
      }
      const i = args.indexOf('--add-repo');
      const url = i >= 0 ? args[i + 1] : args.find((a) => a.startsWith('--add-repo='))?.slice(11);
      if (url) {
        const text = reposJson().repoFiles[url];
        if (!text) {
          o.err(`Error: Configuration of repo failed`);
          throw new Exit(1);
        }
        o.out(`Adding repo from: ${url}`);
        writeText(`/etc/yum.repos.d/${basename(url)}`, text);
      }
      return;
    }
    case 'versionlock':
    case 'check-update':
    case 'history':
      return;
    case '':
      o.err('Error: No command given');
      throw new Exit(1);
    default:
      o.err(`No such command: ${verb}. Please use /usr/bin/dnf --help`);
      throw new Exit(1);
  }
}
