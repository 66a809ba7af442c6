// Entry of the package-manager emulators: node main.js <tool> [args...] (launched by bin/<tool>).
import { aptGet } from './apt-get.js';
import { aptCache, aptMark, dpkg, dpkgQuery } from './apt-tools.js';
import { dnf } from './dnf.js';
import { rpm } from './rpm.js';
import { hostPackages } from './host-packages.js';
import { Exit, Out } from './lab-fs.js';

const tools: Record<string, (o: Out, args: string[], tool: string) => void> = {
  'apt-get': aptGet, apt: aptGet, 'apt-mark': aptMark, 'apt-cache': aptCache, dpkg, 'dpkg-query': dpkgQuery,
  dnf, yum: dnf, rpm, 'lab-host-packages': hostPackages,
  'yum-config-manager': (o, args) => dnf(o, ['config-manager', ...args]),
};

const [tool = '', ...args] = process.argv.slice(2);
const o = new Out();
let code = 0;
try {
  const run = tools[tool];
  if (!run) { o.err(`lab: unknown package tool ${tool}`); code = 2; } else run(o, args, tool);
} catch (e) {
  if (e instanceof Exit) code = e.code;
  else { o.err(`lab: ${tool} emulator failed: ${(e as Error).stack ?? e}`); code = 70; }
}
process.stdout.write(o.stdout);
process.stderr.write(o.stderr);
process.exitCode = code || process.exitCode || 0;
