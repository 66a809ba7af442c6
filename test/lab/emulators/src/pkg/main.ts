// Entry of the package-manager emulators: node main.js <tool> [args...] (launched by bin/<tool>).
import { Exit, Out } from './lab-fs.js';

type Tool = (o: Out, args: string[], tool: string) => void;

// Each tool's module is loaded on demand: emulators run thousands of times, so start-up cost matters.
const tools: Record<string, () => Promise<Tool>> = {
  'apt-get': async () => (await import('./apt-get.js')).aptGet,
  'apt-mark': async () => (await import('./apt-tools.js')).aptMark,
  'apt-cache': async () => (await import('./apt-tools.js')).aptCache,
  dpkg: async () => (await import('./apt-tools.js')).dpkg,
  'dpkg-query': async () => (await import('./apt-tools.js')).dpkgQuery,
  dnf: async () => (await import('./dnf.js')).dnf,
  rpm: async () => (await import('./rpm.js')).rpm,
  'lab-host-packages': async () => (await import('./host-packages.js')).hostPackages,
  'yum-config-manager': async () => {
    const { dnf } = await import('./dnf.js');
    return (o, args) => dnf(o, ['config-manager', ...args]);
  },
};
tools.apt = tools['apt-get']!;
tools.yum = tools.dnf!;

const [tool = '', ...args] = process.argv.slice(2);
const o = new Out();
let code = 0;
try {
  const load = tools[tool];
  if (!load) {
    o.err(`lab: unknown package tool ${tool}`);
    code = 2;
  } else (await load())(o, args, tool);
} catch (e) {
  if (e instanceof Exit) code = e.code;
  else {
    o.err(`lab: ${tool} emulator failed: ${(e as Error).stack ?? e}`);
    code = 70;
  }
}
process.stdout.write(o.stdout);
process.stderr.write(o.stderr);
process.exitCode = code || process.exitCode || 0;
