import { defineTask, action, type Action } from '../common/define.js';
import { fileAction } from '../common/files.js';
import { ensureRunning, restartAction } from '../common/services.js';
import { runtimePackages } from '../../data/versions.js';
import { renderCriDockerDropIn, renderCrictl, renderDockerDaemon } from '../../render/index.js';
import { CRICTL_CONFIG } from './containerd-configure.js';

export const DOCKER_DAEMON = '/etc/docker/daemon.json';
export const CRI_DOCKER_DROPIN = '/etc/systemd/system/cri-docker.service.d/10-kubesmith.conf';

export const runtimeDocker = defineTask({
  id: 'runtime.docker',
  title: 'Container runtime | Install Docker with cri-dockerd (systemd cgroups)',
  async plan(ctx) {
    if (ctx.inventory.spec.containerRuntime.type !== 'docker') return { skip: 'containerRuntime.type is not docker' };
    const t = ctx.transport;
    const distro = ctx.host.requireDistro();
    const names = runtimePackages[distro.family];
    const actions: Action[] = [];
    const missing: string[] = [];
    for (const pkg of [names.docker, names.criDockerd]) {
      if (!(await t.exec(distro.installedVersion(pkg), { allowFailure: true })).stdout.trim()) missing.push(pkg);
    }
    if (missing.length) {
      actions.push(
        action(`install ${missing.join(' ')}`, async () => {
          await t.exec(distro.refreshPackageIndex(), { timeoutMs: 600_000 });
          await t.exec(distro.installPackages(missing.map((p) => [p, undefined] as const)), { timeoutMs: 900_000 });
        }),
      );
    }
    const daemon = await fileAction(t, DOCKER_DAEMON, renderDockerDaemon(ctx.inventory));
    if (daemon) actions.push(daemon);
    const dropIn = await fileAction(t, CRI_DOCKER_DROPIN, renderCriDockerDropIn(ctx.inventory));
    if (dropIn) {
      actions.push(dropIn);
      actions.push(action('reload systemd units', async () => void (await t.exec(['systemctl', 'daemon-reload']))));
    }
    const crictl = await fileAction(t, CRICTL_CONFIG, renderCrictl(ctx.inventory));
    if (crictl) actions.push(crictl);
    if (daemon) actions.push(restartAction(t, 'docker', `${DOCKER_DAEMON} changed`));
    if (dropIn) actions.push(restartAction(t, 'cri-docker.service', 'pause image drop-in changed'));
    for (const unit of ['docker', 'cri-docker.socket', 'cri-docker.service']) actions.push(...(await ensureRunning(t, unit)));
    return actions;
  },
});
