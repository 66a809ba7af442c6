import { defineTask, commandAction, type Action } from '../common/define.js';
import { isEnabled, unitEnabledLookup } from '../common/services.js';
import { onlyOnline } from '../common/gates.js';
import { criToolsPackage, ipvsPackages, kubernetesPackages } from '../../data/versions.js';
import { derived } from '../../inventory/derived.js';
import { lookups, run } from '../../transport/lookups.js';
import { packageIndexRefreshStep } from '../common/package-index.js';

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
    // Everything to install in one package-manager call (after the index refresh, when still due), then hold and
    // enable: one round trip. The change lists every package and why.
    const install: (readonly [string, string | undefined])[] = [];
    const why: string[] = [];
    const wrong: string[] = [];
    for (const pkg of kubernetesPackages) {
      const installed = states.get(pkg)?.version ?? '';
      if (installed !== version && !installed.startsWith(`${version}-`)) wrong.push(`${pkg} ${installed || '(absent)'}`);
    }
    if (wrong.length) {
      install.push(...kubernetesPackages.map((p) => [p, version] as const));
      why.push(`${kubernetesPackages.map((p) => `${p}=${distro.packageVersionGlob(version)}`).join(' ')} (now: ${wrong.join(', ')})`);
    }
    // crictl (the CNI image pulls and image checks use it): no kubeadm package from 1.32 on brings it along
    if (!states.has(criToolsPackage)) install.push([criToolsPackage, undefined]), why.push(`${criToolsPackage} (crictl)`);
    const absentIpvs = ipvs ? ipvsPackages.filter((p) => !states.has(p)) : [];
    if (absentIpvs.length)
      install.push(...absentIpvs.map((p) => [p, undefined] as const)), why.push(`${absentIpvs.join(' ')} (proxyMode ipvs)`);
    if (install.length) {
      const cmds = () => [...packageIndexRefreshStep(ctx), distro.installPackages(install)];
      actions.push(commandAction(t, `install ${why.join(', ')}`, cmds, { timeoutMs: 1_500_000 }));
    }
    const hold = distro.holdPackages(kubernetesPackages);
    if (hold) {
      const notHeld = kubernetesPackages.filter((p) => !states.get(p)?.held);
      if (notHeld.length) actions.push(commandAction(t, `hold ${notHeld.join(' ')} at this version`, [hold]));
    }
    if (!isEnabled(kubelet)) actions.push(commandAction(t, 'enable kubelet', [['systemctl', 'enable', 'kubelet']]));
    return actions;
  },
});
