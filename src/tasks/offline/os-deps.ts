/**
 * Before anything changes on a host of an offline install: what the bundle's files need from the OS is there.
 * - binaries (no packages for the host's release in the bundle): every tool of data/os-tools.ts this inventory needs
 *   is in PATH; the missing ones are named, with the exact install command.
 * - packages: every dependency of the bundle's .deb/.rpm files that the bundle does not carry is installed, or
 *   installable from the host's configured OS repositories (apt's candidate / dnf's available list; dnf contacts
 *   the repositories, so an unreachable one shows here); else the install would stop half way.
 * - either way: every package a task of the run installs from the OS repositories (Task.osPackages, e.g. chrony for
 *   hostPrep.timeSync) is installed or installable the same way.
 */
import { defineTask } from '../common/define.js';
import { onlyOffline } from '../common/gates.js';
import { sh } from '../../transport/command.js';
import { osInstallCommand, osTools } from '../../data/os-tools.js';
import { filesFor, runBundle } from './bundle.js';
import type { TaskContext } from '../../engine/types.js';
import type { BundleFile } from '../../bundle/manifest.js';

export class OsDependencyError extends Error {
  constructor(
    readonly host: string,
    readonly problems: string[],
  ) {
    super(`${host} lacks what the bundle needs from the OS (nothing was changed):\n  - ${problems.join('\n  - ')}`);
    this.name = 'OsDependencyError';
  }
}

async function missingTools(ctx: TaskContext): Promise<string[]> {
  const family = ctx.host.requireDistro().family;
  const needed = osTools.filter((t) => t.needed(ctx.inventory));
  const r = await ctx.transport.exec(sh`for c in ${needed.map((t) => t.command)}; do command -v "$c" >/dev/null 2>&1 || echo "$c"; done`, {
    allowFailure: true,
  });
  const absent = new Set(
    r.stdout
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean),
  );
  const missing = needed.filter((t) => absent.has(t.command));
  if (!missing.length) return [];
  return [
    ...missing.map((t) => `${t.command} is not installed (${t.why})`),
    `install: ${osInstallCommand(
      family,
      missing.map((t) => t.packages[family]),
    )}`,
  ];
}

/** Parse `apt-cache policy` blocks: name → installed / candidate ("(none)" when none). */
function aptPolicy(stdout: string): Map<string, { installed: string; candidate: string }> {
  const out = new Map<string, { installed: string; candidate: string }>();
  for (const block of stdout.split(/\n(?=\S)/)) {
    const name = /^(\S+):\s*$/m.exec(block)?.[1];
    if (!name) continue;
    out.set(name, {
      installed: /Installed:\s*(\S+)/.exec(block)?.[1] ?? '(none)',
      candidate: /Candidate:\s*(\S+)/.exec(block)?.[1] ?? '(none)',
    });
  }
  return out;
}

/** Of these package names, the ones neither installed nor installable from the host's configured OS repositories. */
async function uninstallable(ctx: TaskContext, names: readonly string[], neededBy: (name: string) => string): Promise<string[]> {
  const t = ctx.transport;
  const distro = ctx.host.requireDistro();
  if (!names.length) return [];
  const installed = distro.parsePackageStates((await t.exec(distro.packageStates(names), { allowFailure: true })).stdout);
  const absent = names.filter((d) => !installed.has(d));
  if (!absent.length) return [];
  let unavailable: string[];
  let why = '';
  if (distro.family === 'debian') {
    const policy = aptPolicy((await t.exec(['apt-cache', 'policy', ...absent], { allowFailure: true })).stdout);
    unavailable = absent.filter((d) => (policy.get(d)?.candidate ?? '(none)') === '(none)');
    why = 'no configured apt source offers it (apt-get update with the OS mirror reachable)';
  } else {
    const r = await t.exec([distro.packageManager, '-q', 'list', '--available', ...absent], { allowFailure: true });
    const listed = new Set(
      r.stdout
        .split('\n')
        .map((l) => /^(\S+)\.(?:x86_64|aarch64|noarch)\s/.exec(l)?.[1])
        .filter(Boolean),
    );
    unavailable = absent.filter((d) => !listed.has(d));
    why =
      r.stderr
        .split('\n')
        .find((l) => /error|fail/i.test(l))
        ?.trim() || 'no enabled repository offers it';
  }
  return unavailable.map((d) => `${d} (needed by ${neededBy(d)}) is neither installed nor installable: ${why}`);
}

/** Dependencies of the bundle's packages that the bundle does not carry. */
function unmetDependencies(ctx: TaskContext, packages: BundleFile[]): Promise<string[]> {
  const bundled = new Set(packages.map((f) => f.name));
  const deps = [...new Set(packages.flatMap((f) => f.depends ?? []))].filter((d) => !bundled.has(d)).sort();
  const needers = (d: string) =>
    packages
      .filter((f) => f.depends?.includes(d))
      .map((f) => f.name)
      .join(', ');
  return uninstallable(ctx, deps, needers);
}

/** Packages the run's other tasks install from the OS repositories (Task.osPackages), for the tasks that apply here. */
async function taskPackages(ctx: TaskContext): Promise<string[]> {
  // Imported when it runs: the registry imports this module, so a static import would be a cycle.
  const { allTasks } = await import('../index.js');
  const family = ctx.host.requireDistro().family;
  const needers = new Map<string, string[]>();
  for (const task of allTasks) {
    if (!task.osPackages || task.skip?.(ctx)) continue;
    for (const name of task.osPackages[family]) needers.set(name, [...(needers.get(name) ?? []), task.id]);
  }
  return uninstallable(ctx, [...needers.keys()].sort(), (name) => needers.get(name)!.join(', '));
}

export const offlineOsDeps = defineTask({
  id: 'offline.osdeps',
  title: 'Offline | Check what the bundle needs from the OS, before anything changes',
  skip: onlyOffline,
  async plan(ctx) {
    const need = filesFor(await runBundle(ctx), ctx.host);
    const problems = [
      ...(need.packages.length ? await unmetDependencies(ctx, need.packages) : await missingTools(ctx)),
      ...(await taskPackages(ctx)),
    ];
    if (problems.length) throw new OsDependencyError(ctx.host.name, problems);
    return [];
  },
});
