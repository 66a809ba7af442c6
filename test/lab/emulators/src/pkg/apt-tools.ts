// apt-mark, apt-cache, dpkg, dpkg-query over the package DB and the apt index.
import { basename } from 'node:path';
import { readFileSync } from 'node:fs';
import { Exit, exists, hostPath, type Out } from './lab-fs.js';
import { candidates } from './apt-index.js';
import { globMatch } from './repos.js';
import { loadDb, recordInstall, removeFiles, saveDb, type PkgDb, type PkgEntry } from './pkgdb.js';

export function aptMark(o: Out, args: string[]): void {
  const [verb, ...rest] = args.filter((a) => !a.startsWith('-'));
  const db = loadDb('deb');
  switch (verb) {
    case 'hold':
    case 'unhold':
      for (const n of rest) {
        const e = db.packages[n];
        if (!e && !candidates(n).length) {
          o.err(`E: Unable to locate package ${n}`);
          throw new Exit(100);
        }
        if (!e) {
          o.out(verb === 'hold' ? `${n} set on hold.` : `${n} was already not on hold.`);
          continue;
        }
        if (verb === 'hold') {
          o.out(e.hold ? `${n} was already set on hold.` : `${n} set on hold.`);
          e.hold = true;
        } else {
          o.out(e.hold ? `Canceled hold on ${n}.` : `${n} was already not on hold.`);
          delete e.hold;
        }
      }
      saveDb(db);
      return;
    case 'showhold':
    case 'showholds':
      Object.entries(db.packages)
        .filter(([n, e]) => e.hold && (!rest.length || rest.includes(n)))
        .forEach(([n]) => o.out(n));
      return;
    case 'manual':
    case 'auto':
    case 'showmanual':
    case 'showauto':
    case 'minimize-manual':
      return;
    default:
      o.err(`E: Invalid operation ${verb ?? ''}`);
      throw new Exit(100);
  }
}

export function aptCache(o: Out, args: string[]): void {
  const [verb, ...names] = args.filter((a) => !a.startsWith('-'));
  const db = loadDb('deb');
  switch (verb) {
    case 'madison':
      for (const n of names) {
        const c = candidates(n);
        if (!c.length) {
          o.err(`N: Unable to locate package ${n}`);
          continue;
        }
        for (const x of c) o.out(`${n.padStart(10)} | ${x.version.padStart(10)} | ${x.label}`);
      }
      return;
    case 'policy':
      for (const n of names) {
        const c = candidates(n),
          e = db.packages[n];
        if (!c.length && !e) continue;
        o.out(`${n}:`);
        o.out(`  Installed: ${e ? e.version : '(none)'}`);
        o.out(`  Candidate: ${c[0]?.version ?? e?.version ?? '(none)'}`);
        o.out('  Version table:');
        const versions = [...c];
        if (e && !versions.some((x) => x.version === e.version)) versions.push({ name: n, version: e.version, label: '' });
        for (const x of versions) {
          o.out(`${e?.version === x.version ? ' *** ' : '     '}${x.version} ${e?.hold && e.version === x.version ? 1001 : 500}`);
          if (x.label) o.out(`        500 ${x.label}`);
          if (e?.version === x.version) o.out('        100 /var/lib/dpkg/status');
        }
      }
      return;
    case 'show': {
      const c = candidates(names[0] ?? '')[0];
      if (!c) {
        o.err(`E: No packages found`);
        throw new Exit(100);
      }
      o.out(`Package: ${c.name}\nVersion: ${c.version}\nArchitecture: amd64\n`);
      return;
    }
    case 'search':
    case 'pkgnames':
    case 'depends':
    case 'rdepends':
      return;
    default:
      o.err(`E: Invalid operation ${verb ?? ''}`);
      throw new Exit(100);
  }
}

const status = (e: PkgEntry): string => `${e.hold ? 'hold' : 'install'} ok installed`;

function field(name: string, e: PkgEntry, key: string): string {
  switch (key.replace(/;.*$/, '')) {
    case 'Package':
    case 'binary:Package':
      return name;
    case 'Version':
      return e.version;
    case 'Status':
      return status(e);
    case 'db:Status-Abbrev':
      return `${e.hold ? 'h' : 'i'}i `;
    case 'db:Status-Want':
      return e.hold ? 'hold' : 'install';
    case 'db:Status-Status':
      return 'installed';
    case 'Architecture':
      return e.arch;
    case 'Description':
    case 'binary:Summary':
      return e.description ?? '';
    case 'Maintainer':
      return 'Kubernetes Authors <dev@kubernetes.io>';
    default:
      return '';
  }
}

const unescapeFormat = (f: string): string => f.replace(/\\n/g, '\n').replace(/\\t/g, '\t');

function matching(o: Out, db: PkgDb, patterns: string[]): [string, PkgEntry][] {
  const out: [string, PkgEntry][] = [];
  let missing = false;
  for (const p of patterns) {
    const hit = Object.entries(db.packages).filter(([n]) => globMatch(p, n));
    if (!hit.length) {
      o.err(`dpkg-query: no packages found matching ${p}`);
      missing = true;
    }
    out.push(...hit);
  }
  if (missing && !out.length) throw new Exit(1);
  if (missing) process.exitCode = 1;
  return out;
}

export function dpkgQuery(o: Out, args: string[]): void {
  let mode = '',
    format = '${binary:Package}\t${Version}\n';
  const names: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-W' || a === '--show') mode = 'W';
    else if (a === '-l' || a === '--list') mode = 'l';
    else if (a === '-s' || a === '--status') mode = 's';
    else if (a === '-L' || a === '--listfiles') mode = 'L';
    else if (a === '-f' || a === '--showformat') format = args[++i] ?? '';
    else if (a.startsWith('--showformat=')) format = a.slice(13);
    else if (a.startsWith('-f') && a.length > 2) format = a.slice(2).replace(/^=/, '');
    else if (a === '-Wf') {
      mode = 'W';
      format = args[++i] ?? '';
    } else if (!a.startsWith('-')) names.push(a);
  }
  const db = loadDb('deb');
  if (mode === 'W') {
    const rows = names.length ? matching(o, db, names) : Object.entries(db.packages);
    for (const [n, e] of rows) o.stdout += unescapeFormat(format).replace(/\$\{([^}]+)\}/g, (_, k: string) => field(n, e, k));
    return;
  }
  if (mode === 's') {
    let bad = false;
    for (const n of names) {
      const e = db.packages[n];
      if (!e) {
        o.err(`dpkg-query: package '${n}' is not installed and no information is available`);
        bad = true;
        continue;
      }
      o.out(
        `Package: ${n}\nStatus: ${status(e)}\nPriority: optional\nSection: admin\nMaintainer: Kubernetes Authors <dev@kubernetes.io>\nArchitecture: ${e.arch}\nVersion: ${e.version}\nDescription: ${e.description ?? n}\n`,
      );
    }
    if (bad) {
      o.err('Use dpkg --info (= dpkg-deb --info) to examine archive files.');
      throw new Exit(1);
    }
    return;
  }
  if (mode === 'L') {
    for (const n of names) {
      const e = db.packages[n];
      if (!e) {
        o.err(`dpkg-query: package '${n}' is not installed`);
        throw new Exit(1);
      }
      e.files.forEach((f) => o.out(f));
    }
    return;
  }
  // -l
  const rows = names.length ? matching(o, db, names) : Object.entries(db.packages);
  const w = Math.max(14, ...rows.map(([n]) => n.length)),
    v = Math.max(12, ...rows.map(([, e]) => e.version.length));
  o.out('Desired=Unknown/Install/Remove/Purge/Hold');
  o.out('| Status=Not/Inst/Conf-files/Unpacked/halF-conf/Half-inst/trig-aWait/Trig-pend');
  o.out('|/ Err?=(none)/Reinst-required (Status,Err: uppercase=bad)');
  o.out(`||/ ${'Name'.padEnd(w)} ${'Version'.padEnd(v)} Architecture Description`);
  o.out(`+++-${'='.repeat(w)}-${'='.repeat(v)}-============-${'='.repeat(40)}`);
  for (const [n, e] of rows)
    o.out(`${e.hold ? 'hi' : 'ii'}  ${n.padEnd(w)} ${e.version.padEnd(v)} ${e.arch.padEnd(12)} ${e.description ?? ''}`);
}

export function dpkg(o: Out, args: string[]): void {
  const a0 = args[0] ?? '';
  if (['-l', '--list', '-s', '--status', '-L', '--listfiles', '-W'].includes(a0)) return dpkgQuery(o, args);
  if (a0 === '--print-architecture') {
    o.out('amd64');
    return;
  }
  const db = loadDb('deb');
  if (a0 === '-i' || a0 === '--install') {
    for (const f of args.slice(1).filter((x) => !x.startsWith('-'))) {
      const path = hostPath(f);
      const m = /^([^_]+)_([^_]+)_([^_.]+)\.deb$/.exec(basename(f));
      if (!m || !exists(path)) {
        o.err(`dpkg: error: cannot access archive '${f}': No such file or directory`);
        throw new Exit(2);
      }
      const old = db.packages[m[1]!];
      o.out(old ? `Preparing to unpack ${f} ...` : `Selecting previously unselected package ${m[1]}.`);
      o.out(`Unpacking ${m[1]} (${m[2]}) ...`);
      recordInstall(db, m[1]!, m[2]!, '@commandline', m[3]!);
      o.out(`Setting up ${m[1]} (${m[2]}) ...`);
    }
    saveDb(db);
    return;
  }
  if (a0 === '-r' || a0 === '--remove' || a0 === '-P' || a0 === '--purge') {
    for (const n of args.slice(1)) {
      const e = db.packages[n];
      if (!e) {
        o.err(`dpkg: warning: ignoring request to remove ${n} which isn't installed`);
        continue;
      }
      o.out(`Removing ${n} (${e.version}) ...`);
      removeFiles(n, e, a0 === '-P' || a0 === '--purge');
      delete db.packages[n];
    }
    saveDb(db);
    return;
  }
  if (a0 === '--set-selections') {
    const text = readFileSync(0, 'utf8');
    for (const line of text.split('\n')) {
      const [n, sel] = line.trim().split(/\s+/);
      const e = n ? db.packages[n] : undefined;
      if (!e) continue;
      if (sel === 'hold') e.hold = true;
      else if (sel === 'install') delete e.hold;
    }
    saveDb(db);
    return;
  }
  if (a0 === '--get-selections') {
    for (const [n, e] of Object.entries(db.packages)) o.out(`${n.padEnd(48)}${e.hold ? 'hold' : 'install'}`);
    return;
  }
  o.err(`dpkg: error: unknown option ${a0}`);
  throw new Exit(2);
}
