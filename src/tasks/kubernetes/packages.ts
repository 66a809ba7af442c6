import { defineTask, action, type Action } from '../common/define.js';
import { isEnabled, unitEnabledLookup } from '../common/services.js';
import { onlyOnline } from '../common/gates.js';
import { criToolsPackage, ipvsPackages, kubernetesPackages } from '../../data/versions.js';
import { derived } from '../../inventory/derived.js';
import { lookups, run } from '../../transport/lookups.js';
import { ensureFreshPackageIndex } from '../common/package-index.js';

export const kubernetesPackagesTask = defineTask({
  id: 'kubernetes.packages',
  title: 'Kubernetes packages | Install kubeadm, kubelet and kubectl at the exact version, held',
  skip: onlyOnline,
  async plan(ctx) {
    const t = ctx.transport;
    const distro = ctx.host.requireDistro();
    const version = derived(ctx.inventory).kubernetes.version.text;
    const ipvs = ctx.inventory.spec.kubernetes.proxyMode === 'ipvs';
    // One round trip: every package's version and hold, and the kubelet unit.
    const [query, kubelet] = await lookups(t, [
      run(distro.packageStates([...kubernetesPackages, criToolsPackage, ...(ipvs ? ipvsPackages : [])])),
      unitEnabledLookup('kubelet'),
    ]);
    const states = distro.parsePackageStates(query.stdout);
    const actions: Action[] = [];
    const wrong: string[] = [];
    for (const pkg of kubernetesPackages) {
      const installed = states.get(pkg)?.version ?? '';
      if (installed !== version && !installed.startsWith(`${version}-`)) wrong.push(`${pkg} ${installed || '(absent)'}`);
    }
    if (wrong.length) {
      const pkgs = kubernetesPackages.map((p) => [p, version] as const);
      actions.push(
        action(
          `install ${kubernetesPackages.map((p) => `${p}=${distro.packageVersionGlob(version)}`).join(' ')} (now: ${wrong.join(', ')})`,
          async () => {
            await ensureFreshPackageIndex(ctx);
            await t.exec(distro.installPackages(pkgs), { timeoutMs: 900_000 });
          },
        ),
      );
    }
    if (!states.has(criToolsPackage)) {
      // crictl (the CNI image pulls and image checks use it): no kubeadm package from 1.32 on brings it along
      actions.push(
        action(
          `install ${criToolsPackage} (crictl)`,
          async () =>
            void (await ensureFreshPackageIndex(ctx),
            await t.exec(distro.installPackages([[criToolsPackage, undefined]]), { timeoutMs: 900_000 })),
        ),
      );
    }
    if (ipvs) {
      const absent = ipvsPackages.filter((p) => !states.has(p));
      if (absent.length) {
        actions.push(
          action(
            `install ${absent.join(' ')} (proxyMode ipvs)`,
            async () =>
              void (await ensureFreshPackageIndex(ctx),
              await t.exec(distro.installPackages(absent.map((p) => [p, undefined] as const)), { timeoutMs: 900_000 })),
          ),
        );
      }
    }
    const hold = distro.holdPackages(kubernetesPackages);
    if (hold) {
      const notHeld = kubernetesPackages.filter((p) => !states.get(p)?.held);
      if (notHeld.length) actions.push(action(`hold ${notHeld.join(' ')} at this version`, async () => void (await t.exec(hold))));
    }
    if (!isEnabled(kubelet)) {
      actions.push(action('enable kubelet', async () => void (await t.exec(['systemctl', 'enable', 'kubelet']))));
    }
    return actions;
  },
});
