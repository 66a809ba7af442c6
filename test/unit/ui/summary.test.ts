import { describe, expect, it } from 'vitest';
import { buildSummary, formatSummary, parseNodeList } from '../../../src/ui/summary.js';
import { makeInventory } from '../tasks/helpers/inventory.js';

const node = (name: string, roles: string[], ready: string, version = 'v1.34.1', runtime = 'docker://27.3.1') => ({
  metadata: { name, labels: Object.fromEntries(roles.map((r) => [`node-role.kubernetes.io/${r}`, ''])) },
  status: {
    conditions: [
      { type: 'MemoryPressure', status: 'False' },
      { type: 'Ready', status: ready },
    ],
    nodeInfo: { kubeletVersion: version, containerRuntimeVersion: runtime },
  },
});
const nodesJson = JSON.stringify({ items: [node('w1', [], 'False'), node('cp1', ['control-plane'], 'True')] });
const recap = {
  hosts: [],
  phases: [
    { phase: 'Host prep', durationMs: 1500 },
    { phase: 'CNI', durationMs: 61_000 },
  ],
};

describe('apply summary', () => {
  it('reads nodes (sorted), roles, kubelet version, Ready, and the runtime the API reports', () => {
    expect(parseNodeList(nodesJson)).toEqual({
      nodes: [
        { name: 'cp1', roles: ['control-plane'], kubeletVersion: 'v1.34.1', ready: true },
        { name: 'w1', roles: [], kubeletVersion: 'v1.34.1', ready: false },
      ],
      runtimeVersion: 'docker://27.3.1',
    });
  });

  it('builds the summary event from the inventory, the nodes, the kubeconfig path and the recap phases', () => {
    const inv = makeInventory({ containerRuntime: { type: 'docker' }, kubernetes: { version: '1.34.1' } });
    const s = buildSummary(inv, { nodesJson, kubeconfig: '/home/op/.kubesmith/c/admin.conf', recap });
    expect(s).toMatchObject({
      type: 'summary',
      cluster: inv.metadata.name,
      versions: { kubernetes: '1.34.1', runtime: 'docker 27.3.1 + cri-dockerd 0.3.24', cni: 'flannel 0.28.9 (vxlan)' },
      kubeconfig: '/home/op/.kubesmith/c/admin.conf',
      phases: recap.phases,
    });
    expect(s.nodes).toHaveLength(2);
  });

  it('formats a table, the versions, the kubeconfig path and time per phase', () => {
    const inv = makeInventory({ network: { plugin: 'cilium' } });
    const text = formatSummary(buildSummary(inv, { nodesJson, kubeconfig: '/k/admin.conf', recap }), { color: false });
    expect(text).toBe(
      [
        `CLUSTER ${inv.metadata.name}`,
        '  NAME  ROLES          STATUS    VERSION',
        '  cp1   control-plane  Ready     v1.34.1',
        '  w1    worker         NotReady  v1.34.1',
        `  kubernetes ${inv.spec.kubernetes.version} · runtime docker 27.3.1 · CNI cilium ${inv.spec.network.cilium.version}`,
        '  kubeconfig: /k/admin.conf',
        '  time: Host prep 1.5s · CNI 1m01s',
        '',
      ].join('\n'),
    );
  });

  it('says so when the API could not be read (no nodes, unparsable output), and colours NotReady rows', () => {
    const inv = makeInventory();
    for (const input of [{}, { nodesJson: 'Error from server' }]) {
      const s = buildSummary(inv, { ...input, kubeconfig: '/k', recap: { hosts: [], phases: [] } });
      expect(s.nodes).toBeNull();
      expect(s.versions.runtime).toBe('containerd');
      const text = formatSummary(s, { color: false });
      expect(text).toContain('nodes: the cluster API could not be read');
      expect(text).not.toContain('time:');
    }
    const colored = formatSummary(buildSummary(inv, { nodesJson, kubeconfig: '/k', recap }), { color: true });
    expect(colored).toContain('\u001b[31m  w1    worker         NotReady  v1.34.1\u001b[39m');
  });
});
