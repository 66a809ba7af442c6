// apt-get (and apt): update, install (name=version pins, version globs, ./file.deb), remove/purge, upgrade,
// with apt's hold and downgrade refusals.
import { basename } from 'node:path';
import { readFileSync } from 'node:fs';
import { compareDeb } from './version-compare.js';
import { Exit, exists, hostPath, type Out } from './lab-fs.js';
import { globMatch, packageMeta, reposJson } from './repos.js';
import { aptUpdate, candidates } from './apt-index.js';
import { emulatedSystemctl, enablableUnits, loadDb, recordInstall, removeFiles, saveDb, type PkgDb } from './pkgdb.js';

interface Opts {
  yes: boolean;
  quiet: number;
  allowDowngrades: boolean;
  allowHeld: boolean;
  reinstall: boolean;
  simulate: boolean;
}
interface Step {
  name: string;
  version: string;
  from: string;
  old?: string | undefined;
  auto: boolean;
}

function parse(args: string[]): { verb: string; opts: Opts; names: string[] } {
  const opts: Opts = { yes: false, quiet: 0, allowDowngrades: false, allowHeld: false, reinstall: false, simulate: false };
  let verb = '';
  const names: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-y' || a === '--yes' || a === '--assume-yes' || a === '-qy' || a === '-yq') {
      opts.yes = true;
      if (a.includes('q')) opts.quiet++;
    } else if (a === '-q' || a === '--quiet') opts.quiet++;
    else if (a === '-qq') opts.quiet += 2;
    else if (a === '--allow-downgrades') opts.allowDowngrades = true;
    else if (a === '--allow-change-held-packages') opts.allowHeld = true;
    else if (a === '--reinstall') opts.reinstall = true;
    else if (a === '-s' || a === '--simulate' || a === '--dry-run') opts.simulate = true;
    else if (a === '-o' || a === '-t' || a === '--target-release') i++;
    else if (a.startsWith('-')) {
      /* --no-install-recommends, --fix-broken, -f, --allow-unauthenticated ... */
    } else if (!verb) verb = a;
    else names.push(a);
  }
  return { verb, opts, names };
}

function header(o: Out, opts: Opts): void {
  if (opts.quiet >= 2) return;
  o.out('Reading package lists...');
  o.out('Building dependency tree...');
  o.out('Reading state information...');
}

function list(o: Out, title: string, names: string[]): void {
  if (!names.length) return;
  o.out(title);
  o.out('  ' + [...names].sort().join(' '));
}

/**
 * A .deb's file name drops the version's epoch (docker-ce_29.0.1-1~debian.12~bookworm_amd64.deb is 5:29.0.1-…); real dpkg
 * reads it from the control file. The lab's packages have no control file: the epoch comes from the repository record.
 */
function withEpoch(name: string, version: string): string {
  if (version.includes(':')) return version;
  for (const r of reposJson().repos) {
    const hit = (r.packages[name] ?? []).find((v) => v.replace(/^\d+:/, '') === version);
    if (hit) return hit;
  }
  return version;
}

/** Decides the version for one spec; throws apt's errors. */
function resolveSpec(o: Out, db: PkgDb, spec: string): Step | undefined {
  if (spec.endsWith('.deb')) {
    if (!exists(hostPath(spec))) {
      o.err(`E: Unsupported file ${spec} given on commandline`);
      throw new Exit(100);
    }
    const m = /^([^_]+)_([^_]+)_([^_.]+)\.deb$/.exec(basename(spec));
    if (!m) {
      o.err(`E: Unsupported file ${spec} given on commandline`);
      throw new Exit(100);
    }
    return {
      name: m[1]!,
      version: withEpoch(m[1]!, decodeURIComponent(m[2]!.replace(/%3a/gi, ':'))),
      from: spec,
      old: db.packages[m[1]!]?.version,
      auto: false,
    };
  }
  const [name, want] = spec.includes('=') ? [spec.slice(0, spec.indexOf('=')), spec.slice(spec.indexOf('=') + 1)] : [spec, undefined];
  const avail = candidates(name);
  const installed = db.packages[name];
  if (!avail.length && !installed) {
    o.err(`E: Unable to locate package ${name}`);
    throw new Exit(100);
  }
  let pick = avail[0];
  if (want !== undefined) {
    pick = avail.find((c) => (want.includes('*') ? globMatch(want, c.version) : c.version === want));
    if (!pick && installed && (installed.version === want || (want.includes('*') && globMatch(want, installed.version)))) {
      pick = { name, version: installed.version, label: installed.repo };
    }
    if (!pick) {
      o.err(`E: Version '${want}' for '${name}' was not found`);
      throw new Exit(100);
    }
  }
  if (!pick) return { name, version: installed!.version, from: installed!.repo, old: installed!.version, auto: false }; // local install, no repo
  return { name, version: pick.version, from: pick.label, old: installed?.version, auto: false };
}

function install(o: Out, db: PkgDb, specs: string[], opts: Opts, upgradeAll: boolean): void {
  header(o, opts);
  const steps: Step[] = [];
  const newest: string[] = [];
  const keptBack: string[] = [];
  if (upgradeAll) {
    for (const [name, e] of Object.entries(db.packages)) {
      const c = candidates(name)[0];
      if (!c || compareDeb(c.version, e.version) <= 0) continue;
      if (e.hold) {
        keptBack.push(name);
        continue;
      }
      steps.push({ name, version: c.version, from: c.label, old: e.version, auto: false });
    }
  }
  for (const spec of specs) {
    const s = resolveSpec(o, db, spec);
    if (!s) continue;
    if (s.old === s.version && !opts.reinstall) {
      newest.push(`${s.name} is already the newest version (${s.version}).`);
      continue;
    }
    steps.push(s);
  }
  // dependencies that are not installed yet come along at their newest version; one without a candidate (no
  // configured, fetched repository offers it) stops the install, as in real apt
  const unmet: string[] = [];
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i]!;
    for (const dep of packageMeta(s.name).deps?.deb ?? []) {
      if (db.packages[dep] || steps.some((x) => x.name === dep)) continue;
      const c = candidates(dep)[0];
      if (c) steps.push({ name: dep, version: c.version, from: c.label, auto: true });
      else unmet.push(` ${s.name} : Depends: ${dep} but it is not installable`);
    }
  }
  if (unmet.length) {
    o.out('Some packages could not be installed. This may mean that you have');
    o.out('requested an impossible situation or if you are using the unstable');
    o.out('distribution that some required packages have not yet been created');
    o.out('or been moved out of Incoming.');
    o.out('The following information may help to resolve the situation:');
    o.out('');
    o.out('The following packages have unmet dependencies:');
    unmet.forEach((l) => o.out(l));
    o.err('E: Unable to correct problems, you have held broken packages.');
    throw new Exit(100);
  }
  for (const line of newest) if (opts.quiet < 2) o.out(line);
  const fresh = steps.filter((s) => !s.old),
    up = steps.filter((s) => s.old && compareDeb(s.version, s.old) > 0);
  const down = steps.filter((s) => s.old && compareDeb(s.version, s.old) < 0);
  const held = steps.filter((s) => s.old && s.old !== s.version && db.packages[s.name]?.hold).map((s) => s.name);
  if (opts.quiet < 2) {
    list(
      o,
      'The following additional packages will be installed:',
      steps.filter((s) => s.auto).map((s) => s.name),
    );
    list(o, 'The following packages have been kept back:', keptBack);
    list(o, 'The following held packages will be changed:', held);
    list(
      o,
      'The following NEW packages will be installed:',
      fresh.map((s) => s.name),
    );
    list(
      o,
      'The following packages will be upgraded:',
      up.map((s) => s.name),
    );
    list(
      o,
      'The following packages will be DOWNGRADED:',
      down.map((s) => s.name),
    );
    o.out(
      `${up.length} upgraded, ${fresh.length} newly installed, ${down.length} downgraded, 0 to remove and ${keptBack.length} not upgraded.`,
    );
  }
  if (held.length && !opts.allowHeld) {
    o.err('E: Held packages were changed and -y was used without --allow-change-held-packages.');
    throw new Exit(100);
  }
  if (down.length && !opts.allowDowngrades) {
    o.err('E: Packages were downgraded and -y was used without --allow-downgrades.');
    throw new Exit(100);
  }
  if (!steps.length || opts.simulate) return;
  if (!opts.yes) confirm(o);
  for (const s of steps) {
    if (opts.quiet < 2) {
      o.out(s.old ? `Preparing to unpack .../${s.name}_${s.version}_amd64.deb ...` : `Selecting previously unselected package ${s.name}.`);
      o.out(`Unpacking ${s.name} (${s.version})${s.old ? ` over (${s.old})` : ''} ...`);
    }
    const e = recordInstall(db, s.name, s.version, s.from, 'amd64');
    saveDb(db);
    if (opts.quiet < 2) o.out(`Setting up ${s.name} (${s.version}) ...`);
    // deb maintainer scripts: enable + start services on first install, restart them on upgrade
    const units = enablableUnits(e);
    if (!units.length) continue;
    if (!s.old) {
      const said = emulatedSystemctl(['enable', '--now', ...units]);
      if (opts.quiet < 2)
        said
          .split('\n')
          .filter((l) => l.startsWith('Created symlink'))
          .forEach((l) => o.out(l));
    } else {
      emulatedSystemctl(['daemon-reload']);
      emulatedSystemctl(['try-restart', ...units.filter((u) => u.endsWith('.service'))]);
    }
  }
}

function confirm(o: Out): void {
  o.stdout += 'Do you want to continue? [Y/n] ';
  let answer = '';
  try {
    answer = readFileSync(0, 'utf8').trim();
  } catch {
    /* no stdin */
  }
  if (!/^y/i.test(answer)) {
    o.out('Abort.');
    throw new Exit(1);
  }
}

function remove(o: Out, db: PkgDb, names: string[], opts: Opts, purge: boolean): void {
  header(o, opts);
  const gone: string[] = [];
  for (const name of names) {
    if (!db.packages[name]) {
      if (!candidates(name).length) {
        o.err(`E: Unable to locate package ${name}`);
        throw new Exit(100);
      }
      if (opts.quiet < 2) o.out(`Package '${name}' is not installed, so not removed`);
      continue;
    }
    gone.push(name);
  }
  const held = gone.filter((n) => db.packages[n]!.hold);
  if (opts.quiet < 2) {
    list(o, 'The following held packages will be changed:', held);
    list(
      o,
      'The following packages will be REMOVED:',
      gone.map((n) => (purge ? `${n}*` : n)),
    );
    o.out(`0 upgraded, 0 newly installed, ${gone.length} to remove and 0 not upgraded.`);
  }
  if (held.length && !opts.allowHeld) {
    o.err('E: Held packages were changed and -y was used without --allow-change-held-packages.');
    throw new Exit(100);
  }
  if (!gone.length || opts.simulate) return;
  if (!opts.yes) confirm(o);
  for (const name of gone) {
    const e = db.packages[name]!;
    const units = enablableUnits(e);
    if (units.length) emulatedSystemctl(['disable', '--now', ...units]);
    if (opts.quiet < 2) o.out(`Removing ${name} (${e.version}) ...`);
    removeFiles(name, e, purge);
    delete db.packages[name];
    saveDb(db);
  }
}

export function aptGet(o: Out, args: string[], tool: string): void {
  const { verb, opts, names } = parse(args);
  if (tool === 'apt') o.err('\nWARNING: apt does not have a stable CLI interface. Use with caution in scripts.\n');
  const db = loadDb('deb');
  switch (verb) {
    case 'update': {
      const r = aptUpdate(opts.quiet);
      if (opts.quiet < 2) r.lines.forEach((l) => o.out(l));
      r.warnings.forEach((w) => o.err(w));
      r.errors.forEach((e) => o.err(e));
      if (r.errors.length) throw new Exit(100);
      return;
    }
    case 'install':
      return install(o, db, names, opts, false);
    case 'upgrade':
    case 'dist-upgrade':
    case 'full-upgrade':
      return install(o, db, names, opts, true);
    case 'remove':
    case 'autoremove':
      return remove(o, db, names, opts, false);
    case 'purge':
      return remove(o, db, names, opts, true);
    case 'clean':
    case 'autoclean':
    case 'check':
      return;
    case '':
      o.err('E: No command given');
      throw new Exit(100);
    default:
      o.err(`E: Invalid operation ${verb}`);
      throw new Exit(100);
  }
}
