import { defineTask, action, type Action } from '../common/define.js';
import { ensureFreshPackageIndex } from '../common/package-index.js';
import { forgetInstalledVersions } from '../common/installed.js';
import { ensureRunning, unitStateLookups, unitStateOf } from '../common/services.js';
import { lookups, run } from '../../transport/lookups.js';
import { runtimePackages } from '../../data/versions.js';

export const runtimeContainerdInstall = defineTask({
  id: 'runtime.containerd.install',
  title: 'Container runtime | Install containerd and keep it running',
  async plan(ctx) {
    if (ctx.inventory.spec.containerRuntime.type !== 'containerd') return { skip: 'containerRuntime.type is not containerd' };
    const t = ctx.transport;
    const distro = ctx.host.requireDistro();
    const pkg = runtimePackages[distro.family].containerd;
    const actions: Action[] = [];
    const [states, enabled, active] = await lookups(t, [run(distro.packageStates([pkg])), ...unitStateLookups('containerd')]);
    if (!distro.parsePackageStates(states.stdout).has(pkg)) {
      actions.push(
        action(`install ${pkg}`, async () => {
          await ensureFreshPackageIndex(ctx);
          await t.exec(distro.installPackages([[pkg, undefined]]), { timeoutMs: 900_000 });
          forgetInstalledVersions(ctx);
        }),
      );
    }
    actions.push(...(await ensureRunning(t, 'containerd', unitStateOf(enabled, active))));
    return actions;
  },
});
