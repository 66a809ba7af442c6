import { defineTask, commandAction, type Action } from '../common/define.js';
import { packageIndexRefreshStep } from '../common/package-index.js';
import { onlyOnline } from '../common/gates.js';
import { forgetInstalledVersions } from '../common/installed.js';
import { runtimePackages } from '../../data/versions.js';

export const runtimeContainerdInstall = defineTask({
  id: 'runtime.containerd.install',
  // Installed, not started: runtime.containerd.configure starts it once its configuration is in place.
  title: 'Container runtime | Install containerd',
  skip: (ctx) =>
    (ctx.inventory.spec.containerRuntime.type !== 'containerd' && 'containerRuntime.type is not containerd') || onlyOnline(ctx),
  async plan(ctx) {
    const t = ctx.transport;
    const distro = ctx.host.requireDistro();
    const pkg = runtimePackages[distro.family].containerd;
    const actions: Action[] = [];
    const states = await t.exec(distro.packageStates([pkg]), { allowFailure: true });
    if (!distro.parsePackageStates(states.stdout).has(pkg)) {
      // The index refresh (when still due) and the install: one round trip.
      actions.push(
        commandAction(t, `install ${pkg}`, () => [...packageIndexRefreshStep(ctx), distro.installPackages([[pkg, undefined]])], {
          timeoutMs: 1_500_000,
          done: () => forgetInstalledVersions(ctx),
        }),
      );
    }
    return actions;
  },
});
