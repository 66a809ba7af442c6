import { defineTask, action, type Action } from '../common/define.js';
import { fileAction } from '../common/files.js';
import { ADMIN_CONF, KUBESMITH_DIR, requireCluster } from '../common/cluster.js';
import { renderCiliumValues } from '../../render/index.js';
import { ciliumChartRepo, helmVersion } from '../../data/versions.js';
import { sh } from '../../transport/command.js';

export const CILIUM_VALUES = `${KUBESMITH_DIR}/cilium-values.yaml`;
const HELM = ['helm', '--kubeconfig', ADMIN_CONF];

interface HelmRelease {
  name: string;
  chart: string;
  status: string;
}

export const cniCilium = defineTask({
  id: 'cni.cilium',
  title: 'CNI | Install cilium with helm (ipam kubernetes)',
  skip: (ctx) => ctx.inventory.spec.network.plugin !== 'cilium' && 'network.plugin is not cilium',
  async plan(ctx) {
    const t = ctx.transport;
    const missing = await requireCluster(ctx);
    if (missing) return missing;
    const version = ctx.inventory.spec.network.cilium.version;
    const actions: Action[] = [];
    const hasHelm = (await t.exec(['sh', '-c', 'command -v helm'], { allowFailure: true })).code === 0;
    if (!hasHelm) {
      const arch = ctx.host.requireFacts().arch;
      const url = `https://get.helm.sh/helm-v${helmVersion}-linux-${arch}.tar.gz`;
      actions.push(
        action(`install helm ${helmVersion}`, async () => {
          await t.exec(
            sh`set -e; d=$(mktemp -d); curl -fsSL ${url} | tar -xz -C "$d"; install -m 0755 "$d"/linux-${arch}/helm /usr/local/bin/helm; rm -rf "$d"`,
            {
              timeoutMs: 300_000,
            },
          );
        }),
      );
    }
    const values = await fileAction(t, CILIUM_VALUES, renderCiliumValues(ctx.inventory, ctx.hosts));
    if (values) actions.push(values);
    let release: HelmRelease | undefined;
    if (hasHelm) {
      const list = await t.exec([...HELM, 'list', '-n', 'kube-system', '-o', 'json'], { allowFailure: true, timeoutMs: 60_000 });
      if (list.code === 0) release = (JSON.parse(list.stdout || '[]') as HelmRelease[]).find((r) => r.name === 'cilium');
    }
    if (values || !release || release.chart !== `cilium-${version}` || release.status !== 'deployed') {
      actions.push(
        action(
          `helm upgrade --install cilium ${version} (now: ${release ? `${release.chart} ${release.status}` : 'not installed'})`,
          async () => {
            await t.exec([...HELM, 'repo', 'add', 'cilium', ciliumChartRepo, '--force-update'], { timeoutMs: 120_000 });
            await t.exec(
              [
                ...HELM,
                'upgrade',
                '--install',
                'cilium',
                'cilium/cilium',
                '--version',
                version,
                '-n',
                'kube-system',
                '-f',
                CILIUM_VALUES,
                '--wait',
                '--timeout',
                '10m',
              ],
              { timeoutMs: 900_000 },
            );
          },
        ),
      );
    }
    return actions;
  },
});
