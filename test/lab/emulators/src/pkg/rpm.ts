// rpm: -q [--qf FORMAT], -qa, -i/-U name-version-release.arch.rpm, -e, --import (a no-op).
import { basename } from 'node:path';
import { Exit, exists, hostPath, type Out } from './lab-fs.js';
import { globMatch } from './repos.js';
import { loadDb, recordInstall, removeFiles, saveDb } from './pkgdb.js';
import { nevra, specMatches, stripEpoch } from './dnf.js';

export function rpm(o: Out, args: string[]): void {
  const db = loadDb('rpm');
  let qf = '';
  const names: string[] = [];
  let mode = '';
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--qf' || a === '--queryformat') qf = args[++i] ?? '';
    else if (a.startsWith('--qf=') || a.startsWith('--queryformat=')) qf = a.slice(a.indexOf('=') + 1);
    else if (/^-q/.test(a)) mode = a.includes('a') ? 'qa' : 'q';
    else if (/^-[iU]/.test(a) || a === '--install' || a === '--upgrade') mode = 'i';
    else if (a === '-e' || a === '--erase') mode = 'e';
    else if (a === '--import') mode = 'import';
    else if (!a.startsWith('-')) names.push(a);
  }
  const fmt = (n: string, v: string) => {
    const e = /^(\d+):/.exec(v)?.[1],
      sv = stripEpoch(v),
      ver = sv.replace(/-[^-]*$/, ''),
      rel = sv.slice(ver.length + 1);
    if (!qf) return nevra(n, v) + '\n';
    return qf
      .replace(/\\n/g, '\n')
      .replace(/\\t/g, '\t')
      .replace(
        /%\{(\w+)\}/g,
        (_, k: string) =>
          (({ NAME: n, VERSION: ver, RELEASE: rel, ARCH: 'x86_64', EPOCH: e ?? '(none)', EPOCHNUM: e ?? '0' }) as Record<string, string>)[
            k.toUpperCase()
          ] ?? '(none)',
      );
  };
  if (mode === 'import') return;
  if (mode === 'qa') {
    for (const [n, e] of Object.entries(db.packages))
      if (!names.length || names.some((p) => globMatch(p, n))) o.stdout += fmt(n, e.version);
    return;
  }
  if (mode === 'q') {
    let bad = 0;
    for (const n of names) {
      const hit = Object.entries(db.packages).find(([p, e]) => specMatches(n, p, e.version));
      if (hit) o.stdout += fmt(hit[0], hit[1].version);
      else {
        o.out(`package ${n} is not installed`);
        bad++;
      }
    }
    if (bad) throw new Exit(bad);
    return;
  }
  if (mode === 'i') {
    for (const f of names) {
      const m = /^(.+)-([^-]+-[^-]+)\.([^.]+)\.rpm$/.exec(basename(f));
      if (!m || !exists(hostPath(f))) {
        o.err(`error: open of ${f} failed: No such file or directory`);
        throw new Exit(1);
      }
      recordInstall(db, m[1]!, m[2]!, '@commandline', m[3]!);
    }
    saveDb(db);
    return;
  }
  if (mode === 'e') {
    for (const n of names) {
      const e = db.packages[n];
      if (!e) {
        o.err(`error: package ${n} is not installed`);
        throw new Exit(1);
      }
      removeFiles(n, e, false);
      delete db.packages[n];
    }
    saveDb(db);
    return;
  }
  o.err('rpm: no operation specified');
  throw new Exit(1);
}
