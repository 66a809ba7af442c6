import { defineTask, action, type Action } from '../common/define.js';
import { forgetInstalledVersions } from '../common/installed.js';
import { onlyOffline } from '../common/gates.js';
import { fileAction } from '../common/files.js';
import { ensureRunning, unitEnabled } from '../common/services.js';
import { sh, type Command } from '../../transport/command.js';
import type { Transport } from '../../transport/types.js';
import type { TaskContext } from '../../engine/types.js';
import type { BundleFile } from '../../bundle/manifest.js';
import { kubernetesPackages } from '../../data/versions.js';
import { RELEASE_ARCHIVES, releaseMembers } from '../../bundle/release-archive.js';
import { join } from 'node:path';
import { filesFor, remotePath, runBundle, type OpenBundle } from './bundle.js';
import { hostRelease } from '../../bundle/artifacts.js';
import { UNIT_DIR, containerdService, kubeadmDropIn, kubeletService } from './units.js';

/** Install local package files: the family's package manager resolves them from their paths (no repository). */
const localInstall: Record<'debian' | 'rhel', (paths: string[]) => Command> = {
  debian: (paths) => [
    'env',
    'DEBIAN_FRONTEND=noninteractive',
    'apt-get',
    'install',
    '-y',
    '--allow-downgrades',
    '--allow-change-held-packages',
    ...paths,
  ],
  rhel: (paths) => ['dnf', 'install', '-y', '--disableexcludes=all', ...paths],
};

/** Records of what the binaries path unpacked: <name> → sha256 of the archive it came from. */
const MARKS = '/var/lib/kubesmith/installed';

async function packageActions(ctx: TaskContext, pkgs: BundleFile[]): Promise<Action[]> {
  const t = ctx.transport;
  const distro = ctx.host.requireDistro();
  // One query: every bundled package's installed version, and the holds.
  const names = [...new Set([...pkgs.map((f) => f.name), ...kubernetesPackages])];
  const states = distro.parsePackageStates((await t.exec(distro.packageStates(names), { allowFailure: true })).stdout);
  const stale = pkgs.filter((f) => {
    const installed = states.get(f.name)?.version ?? '';
    return installed !== f.version && !installed.startsWith(`${f.version}-`);
  });
  const actions: Action[] = [];
  if (stale.length) {
    actions.push(
      action(`install ${stale.map((f) => `${f.name} ${f.version}`).join(', ')} from the bundle`, async () => {
        await t.exec(localInstall[distro.family](stale.map(remotePath)), { timeoutMs: 900_000 });
        forgetInstalledVersions(ctx);
      }),
    );
  }
  const hold = distro.holdPackages(kubernetesPackages);
  if (hold) {
    const notHeld = kubernetesPackages.filter((p) => !states.get(p)?.held);
    if (notHeld.length) actions.push(action(`hold ${notHeld.join(' ')} at this version`, async () => void (await t.exec(hold))));
  }
  return actions;
}

async function fileSum(t: Transport, path: string): Promise<string> {
  return (await t.exec(sh`sha256sum -- ${path} 2>/dev/null | cut -d' ' -f1`, { allowFailure: true })).stdout.trim();
}

async function binaryActions(ctx: TaskContext, bundle: OpenBundle, files: BundleFile[]): Promise<Action[]> {
  const t = ctx.transport;
  const actions: Action[] = [];
  for (const f of files) {
    if (f.kind === 'binary') {
      const dest = `${f.name === 'runc' ? '/usr/local/sbin' : '/usr/local/bin'}/${f.name}`;
      if ((await fileSum(t, dest)) === f.sha256) continue;
      actions.push(
        action(
          `install ${f.name} ${f.version} to ${dest}`,
          async () => void (await t.exec(['install', '-m', '0755', remotePath(f), dest]), forgetInstalledVersions(ctx)),
        ),
      );
      continue;
    }
    const unpack = RELEASE_ARCHIVES[f.name];
    if (!unpack || (f.name === 'containerd' && ctx.inventory.spec.containerRuntime.type !== 'containerd')) continue;
    const mark = `${MARKS}/${f.name}`;
    const had = (await t.exec(['cat', mark], { allowFailure: true })).stdout.trim();
    if (had === f.sha256) continue;
    // an explicit member list, read from the bundle's copy (offline.upload put the same bytes, sha256-checked, on the host)
    const members = await releaseMembers(join(bundle.dir, f.path), f.name);
    actions.push(
      action(`unpack ${f.path.split('/').pop()} into ${unpack.dir}`, async () => {
        await t.exec(
          sh`set -e; mkdir -p ${unpack.dir} ${MARKS}; tar -xzf ${remotePath(f)} -C ${unpack.dir} --no-same-owner ${members}; echo ${f.sha256} > ${mark}`,
        );
        forgetInstalledVersions(ctx);
      }),
    );
  }
  const units: [string, string][] = [
    [`${UNIT_DIR}/kubelet.service`, kubeletService],
    [`${UNIT_DIR}/kubelet.service.d/10-kubeadm.conf`, kubeadmDropIn(ctx.host.requireDistro().kubeletDefaultsPath)],
  ];
  if (ctx.inventory.spec.containerRuntime.type === 'containerd') units.push([`${UNIT_DIR}/containerd.service`, containerdService]);
  const writes: Action[] = [];
  for (const [path, content] of units) {
    const w = await fileAction(t, path, content);
    if (w) writes.push(w);
  }
  if (writes.length) writes.push(action('systemctl daemon-reload', async () => void (await t.exec(['systemctl', 'daemon-reload']))));
  return [...actions, ...writes];
}

/**
 * Install the runtime and kubeadm/kubelet/kubectl from the files offline.upload put on the host: the distro
 * family's packages when the bundle has them, else the binaries and release archives with systemd units.
 * Then containerd runs and kubelet is enabled (it crash-loops until kubeadm init/join, as usual).
 */
export const offlineInstall = defineTask({
  id: 'offline.install',
  title: 'Offline | Install containerd, kubeadm, kubelet and kubectl from the bundle',
  skip: onlyOffline,
  async plan(ctx) {
    const bundle = await runBundle(ctx);
    const need = filesFor(bundle, ctx.host);
    if (ctx.inventory.spec.containerRuntime.type === 'docker' && need.packages.length === 0) {
      throw new Error(
        `containerRuntime docker installs offline from packages only: make the bundle with --packages ${hostRelease(ctx.host.requireFacts())}`,
      );
    }
    const actions = need.packages.length ? await packageActions(ctx, need.packages) : await binaryActions(ctx, bundle, need.binaries);
    const t = ctx.transport;
    if (actions.length && ctx.dryRun) return { unknown: 'depends on offline.upload', changes: actions.map((a) => a.change) };
    if (ctx.inventory.spec.containerRuntime.type === 'containerd') {
      const installed = actions.length > 0 || (await t.exec(['containerd', '--version'], { allowFailure: true })).code !== 0;
      if (installed)
        actions.push(
          action('enable and start containerd', async () => void (await t.exec(['systemctl', 'enable', '--now', 'containerd']))),
        );
      else actions.push(...(await ensureRunning(t, 'containerd')));
    }
    if (actions.length || !(await unitEnabled(t, 'kubelet'))) {
      actions.push(action('enable kubelet', async () => void (await t.exec(['systemctl', 'enable', 'kubelet']))));
    }
    return actions;
  },
});
