// endpoint.cluster-records over a small fake API on the first control plane: kube-proxy's DaemonSet restart is owed
// from before its ConfigMap changes until the restart succeeded, so a run stopped in between restarts it next time.
import { describe, expect, it } from 'vitest';
import { parseInventory } from '../../../src/inventory/index.js';
import { endpointClusterRecords, KUBE_PROXY_OWED } from '../../../src/tasks/endpoint/cluster-records.js';
import type { EndpointRunOptions } from '../../../src/tasks/endpoint/options.js';
import type { RecordingTransport } from '../../../src/transport/recording.js';
import { FILE, inventoryYaml } from '../inventory/helpers.js';
import { converge, harness } from './helpers/context.js';

const TARGET = 'api.demo.internal:6443';
const kubeconfig = (server: string) => `apiVersion: v1\nclusters:\n- cluster:\n    server: ${server}\n  name: kubernetes\n`;

/** ConfigMaps as `kubectl get/apply` see them, rollout restarts counted (the first `failRestarts` fail), the mark as a file. */
function fakeApi(t: RecordingTransport, failRestarts: number) {
  const cms: Record<string, Record<string, string>> = {
    'kube-system/kubeadm-config': {
      ClusterConfiguration: `apiVersion: kubeadm.k8s.io/v1beta4\ncontrolPlaneEndpoint: ${TARGET}\napiServer: {}\n`,
    },
    'kube-public/cluster-info': { kubeconfig: kubeconfig(`https://${TARGET}`) },
    'kube-system/kube-proxy': { 'config.conf': 'mode: iptables\n', 'kubeconfig.conf': kubeconfig('https://192.168.56.11:6443') },
  };
  const state = { restarts: 0, owed: false };
  t.allow(/^test -e \/etc\/kubernetes\/admin.conf$/, { code: 0 })
    .allow(`test -e ${KUBE_PROXY_OWED}`, () => ({ code: state.owed ? 0 : 1 }))
    .allow(/^mkdir -p \/var\/lib\/kubesmith\/restart-owed && : > /, () => ((state.owed = true), {}))
    .allow(`rm -f ${KUBE_PROXY_OWED}`, () => ((state.owed = false), {}))
    .allow(/ get configmap /, (c) => {
      const [, ns, name] = / -n (\S+) get configmap (\S+) /.exec(c.command)!;
      const data = cms[`${ns}/${name}`];
      return data
        ? { stdout: JSON.stringify({ data }) }
        : { code: 1, stderr: `Error from server (NotFound): configmaps "${name}" not found` };
    })
    .allow(/ apply -f -$/, (c) => {
      const doc = JSON.parse(c.stdin!) as { metadata: { namespace: string; name: string }; data: Record<string, string> };
      cms[`${doc.metadata.namespace}/${doc.metadata.name}`] = doc.data;
      return { stdout: 'configmap configured\n' };
    })
    .allow(/ rollout restart daemonset\/kube-proxy$/, () =>
      state.restarts++ < failRestarts ? { code: 1, stderr: 'error: connection lost' } : { stdout: 'restarted\n' },
    );
  return { cms, state };
}

describe('endpoint.cluster-records: the kube-proxy restart is resumable', () => {
  const setup = (failRestarts: number) => {
    const inv = parseInventory(inventoryYaml(), FILE).inventory;
    const endpoint: EndpointRunOptions = { target: TARGET, offSeconds: 0, healthTimeoutSeconds: 1, states: new Map() };
    const h = harness(inv, { options: { endpoint } });
    return { h, api: fakeApi(h.t('cp1'), failRestarts) };
  };

  it('a run stopped after the ConfigMap write restarts kube-proxy on the next run, then nothing is owed', async () => {
    const { h, api } = setup(1);
    const first = await endpointClusterRecords.check(h.ctx('cp1'));
    expect(first.status === 'change' && first.changes.map((c) => c.summary)).toEqual([
      `kube-system/kube-proxy kubeconfig.conf: server https://192.168.56.11:6443 → https://${TARGET}`,
    ]);
    // the killed run: the ConfigMap is written, the restart does not happen
    await expect(endpointClusterRecords.apply(h.ctx('cp1'), first.status === 'change' ? first.changes : [])).rejects.toThrow();
    expect(api.cms['kube-system/kube-proxy']!['kubeconfig.conf']).toContain(`server: https://${TARGET}`);
    expect(api.state).toEqual({ restarts: 1, owed: true });
    // the next run: the ConfigMap reads as moved, the restart is still owed
    const next = await converge(endpointClusterRecords, h.ctx('cp1'), [h.t('cp1')]);
    expect(next.map((c) => c.summary)).toEqual([
      'restart daemonset kube-system/kube-proxy (a run stopped after changing its configuration, before restarting it)',
    ]);
    expect(api.state).toEqual({ restarts: 2, owed: false });
  });

  it('an uninterrupted run writes, restarts once and clears its mark', async () => {
    const { h, api } = setup(0);
    await converge(endpointClusterRecords, h.ctx('cp1'), [h.t('cp1')]);
    expect(api.state).toEqual({ restarts: 1, owed: false });
  });
});
