// lab-host-packages init: the persona's base package DB (versions from its distro repo in repos.json), the files
// of those packages (unit files...), and, on Debian/Ubuntu, an apt index as left by the image's last `apt-get update`.
import { Exit, isRpmOs, labOs, type Out } from './lab-fs.js';
import { aptUpdate } from './apt-index.js';
import { reposJson } from './repos.js';
import { loadDb, recordInstall, saveDb } from './pkgdb.js';

export function hostPackages(o: Out, args: string[]): void {
  if (args[0] !== 'init') {
    o.err('usage: lab-host-packages init');
    throw new Exit(2);
  }
  const os = labOs();
  const format = isRpmOs(os) ? 'rpm' : 'deb';
  const data = reposJson();
  const distro = data.repos.find((r) => r.format === format && r.os.includes(os) && !r.id.startsWith('docker'));
  const db = loadDb(format);
  db.format = format;
  for (const name of data.base[os] ?? []) {
    const version = distro?.packages[name]?.[0];
    if (!version || db.packages[name]) continue;
    recordInstall(db, name, version, '@System', format === 'deb' ? 'amd64' : 'x86_64');
    db.packages[name]!.repo = format === 'deb' ? '/var/lib/dpkg/status' : '@anaconda';
  }
  saveDb(db);
  if (format === 'deb') aptUpdate(2);
}
