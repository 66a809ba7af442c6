import { defineTask, action, type Action } from '../common/define.js';
import { forgetInstalledVersions } from '../common/installed.js';
import { ensureFreshPackageIndex } from '../common/package-index.js';
import { fileAction } from '../common/files.js';
import { RESTART_OWED_REASON, ensureRunning, owingRestart, restartClearingOwed, restartOwedPath } from '../common/services.js';
import { lookups, run } from '../../transport/lookups.js';
import { runtimePackages } from '../../data/versions.js';
import { criDockerdPackage, criDockerdRelease, type ReleasePackage } from '../../data/runtime-repos.js';
import { renderCriDockerDropIn, renderCrictl, renderDockerDaemon } from '../../render/index.js';
import { sh, type Command } from '../../transport/command.js';
import type { Transport } from '../../transport/types.js';
import type { TaskContext } from '../../engine/types.js';
import { CRICTL_CONFIG } from './containerd-configure.js';
import { verifiedReleaseDownload } from './release-digest.js';

export const DOCKER_DAEMON = '/etc/docker/daemon.json';
export const CRI_DOCKER_DROPIN = '/etc/systemd/system/cri-docker.service.d/10-kubesmith.conf';

/** "0.3.15.3-0.ubuntu-jammy" (deb), "0.3.15-3.el8" (rpm) and "0.3.15-1" (a bundle's) are all release 0.3.15. */
export function isRelease(installed: string, version: string): boolean {
  return installed === version || installed.startsWith(`${version}.`) || installed.startsWith(`${version}-`);
}

/**
 * Download a release package on the host into a temp dir (keeping its file name), verify it against GitHub's digest
 * of the asset (release-digest.ts: no digest, no install), install it, clean up.
 */
export function installReleasePackage(family: 'debian' | 'rhel', pkg: ReleasePackage): Command {
  const install =
    family === 'debian'
      ? sh`env DEBIAN_FRONTEND=noninteractive apt-get install -y --allow-downgrades "$d"/${pkg.file}`
      : sh`dnf install -y "$d"/${pkg.file}`;
  return sh`set -e; d=$(mktemp -d); trap 'rm -rf "$d"' EXIT; ${verifiedReleaseDownload(pkg)} ${install}`;
}

async function installed(t: Transport, ctx: TaskContext, pkg: string): Promise<string> {
  return (await t.exec(ctx.host.requireDistro().installedVersion(pkg), { allowFailure: true })).stdout.trim();
}

/** docker-ce from Docker's repository (runtime.repo adds it), cri-dockerd from its GitHub release package. Offline, offline.install did both. */
async function installActions(ctx: TaskContext): Promise<Action[]> {
  if (ctx.inventory.spec.offline?.bundle) return [];
  const t = ctx.transport;
  const distro = ctx.host.requireDistro();
  const names = runtimePackages[distro.family];
  const actions: Action[] = [];
  if (!(await installed(t, ctx, names.docker))) {
    actions.push(
      action(`install ${names.docker}`, async () => {
        await ensureFreshPackageIndex(ctx);
        await t.exec(distro.installPackages([[names.docker, undefined]]), { timeoutMs: 900_000 });
        forgetInstalledVersions(ctx);
      }),
    );
  }
  const { version } = criDockerdRelease;
  if (!isRelease(await installed(t, ctx, names.criDockerd), version)) {
    const pkg = criDockerdPackage(distro.family, ctx.host.requireFacts());
    actions.push(
      action(`install ${names.criDockerd} ${version} from its release package ${pkg.file}`, async () => {
        await t.exec(installReleasePackage(distro.family, pkg), { timeoutMs: 900_000 });
      }),
    );
  }
  return actions;
}

export const runtimeDocker = defineTask({
  id: 'runtime.docker',
  title: 'Container runtime | Install Docker with cri-dockerd (systemd cgroups)',
  skip: (ctx) => ctx.inventory.spec.containerRuntime.type !== 'docker' && 'containerRuntime.type is not docker',
  async plan(ctx) {
    const t = ctx.transport;
    const actions: Action[] = await installActions(ctx);
    // Before a configuration changes, the host notes that its daemon owes a restart (cleared by the restart), so a
    // run killed in between restarts it next time, when the file already matches (as runtime.containerd.configure).
    const [dockerOwed, criOwed] = await lookups(t, [
      run(['test', '-e', restartOwedPath('docker')]),
      run(['test', '-e', restartOwedPath('cri-docker.service')]),
    ]);
    const daemon = await fileAction(t, DOCKER_DAEMON, renderDockerDaemon(ctx.inventory));
    if (daemon) actions.push(owingRestart(t, 'docker', daemon));
    const dropIn = await fileAction(t, CRI_DOCKER_DROPIN, renderCriDockerDropIn(ctx.inventory));
    if (dropIn) {
      actions.push(owingRestart(t, 'cri-docker.service', dropIn));
      actions.push(action('reload systemd units', async () => void (await t.exec(['systemctl', 'daemon-reload']))));
    }
    const crictl = await fileAction(t, CRICTL_CONFIG, renderCrictl(ctx.inventory));
    if (crictl) actions.push(crictl);
    const dockerWhy = daemon ? `${DOCKER_DAEMON} changed` : dockerOwed.code === 0 ? RESTART_OWED_REASON : undefined;
    if (dockerWhy) actions.push(restartClearingOwed(t, 'docker', dockerWhy));
    const criWhy = dropIn ? 'pause image drop-in changed' : criOwed.code === 0 ? RESTART_OWED_REASON : undefined;
    if (criWhy) actions.push(restartClearingOwed(t, 'cri-docker.service', criWhy));
    for (const unit of ['docker', 'cri-docker.socket', 'cri-docker.service']) actions.push(...(await ensureRunning(t, unit)));
    return actions;
  },
});
