import { defineTask, action, type Action } from '../common/define.js';
import { unitEnabled } from '../common/services.js';
import { ipvsPackages, kubernetesPackages, parseKubeVersion } from '../../data/versions.js';

export const kubernetesPackagesTask = defineTask({
  id: 'kubernetes.packages',
  title: 'Kubernetes packages | Install kubeadm, kubelet and kubectl at the exact version, held',
  async plan(ctx) {
    const t = ctx.transport;
    const distro = ctx.host.requireDistro();
    const version = parseKubeVersion(ctx.inventory.spec.kubernetes.version).text;
    const actions: Action[] = [];
    const wrong: string[] = [];
    for (const pkg of kubernetesPackages) {
      const installed = (await t.exec(distro.installedVersion(pkg), { allowFailure: true })).stdout.trim();
      if (installed !== version && !installed.startsWith(`${version}-`)) wrong.push(`${pkg} ${installed || '(absent)'}`);
    }
    if (wrong.length) {
      const pkgs = kubernetesPackages.map((p) => [p, version] as const);
      actions.push(
        action(`install ${kubernetesPackages.map((p) => `${p}=${distro.packageVersionGlob(version)}`).join(' ')} (now: ${wrong.join(', ')})`, async () => {
          await t.exec(distro.installPackages(pkgs), { timeoutMs: 900_000 });
        }),
      );
    }
    if (ctx.inventory.spec.kubernetes.proxyMode === 'ipvs') {
      const absent: string[] = [];
      for (const pkg of ipvsPackages) {
        if (!(await t.exec(distro.installedVersion(pkg), { allowFailure: true })).stdout.trim()) absent.push(pkg);
      }
      if (absent.length) {
        actions.push(action(`install ${absent.join(' ')} (proxyMode ipvs)`, async () => void (await t.exec(distro.installPackages(absent.map((p) => [p, undefined] as const)), { timeoutMs: 900_000 }))));
      }
    }
    const listHeld = distro.listHeld();
    const hold = distro.holdPackages(kubernetesPackages);
    if (listHeld && hold) {
      const held = new Set((await t.exec(listHeld, { allowFailure: true })).stdout.split('\n').map((l) => l.trim()));
      const notHeld = kubernetesPackages.filter((p) => !held.has(p));
      if (notHeld.length) actions.push(action(`hold ${notHeld.join(' ')} at this version`, async () => void (await t.exec(hold))));
    }
    if (!(await unitEnabled(t, 'kubelet'))) {
      actions.push(action('enable kubelet', async () => void (await t.exec(['systemctl', 'enable', 'kubelet']))));
    }
    return actions;
  },
});
