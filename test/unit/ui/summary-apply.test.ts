import { describe, expect, it } from 'vitest';
import { readSummary } from '../../../src/commands/apply.js';
import type { RunSession } from '../../../src/commands/run-playbook.js';
import { harness } from '../tasks/helpers/context.js';
import { makeInventory } from '../tasks/helpers/inventory.js';

const nodes = JSON.stringify({
  items: [
    {
      metadata: { name: 'cp1', labels: { 'node-role.kubernetes.io/control-plane': '' } },
      status: { conditions: [{ type: 'Ready', status: 'True' }], nodeInfo: { kubeletVersion: 'v1.34.1' } },
    },
  ],
});

function session(kubectlReply: { code?: number; stdout?: string }) {
  const inv = makeInventory();
  const h = harness(inv);
  const cp = h.hosts.firstControlPlane;
  h.t(cp.name).allow('kubectl --kubeconfig /etc/kubernetes/admin.conf get nodes -o json', kubectlReply);
  const recap = { hosts: [], phases: [{ phase: 'Init', durationMs: 2000 }] };
  const s: RunSession = { connect: async (host) => h.t(host.name), hosts: h.hosts, inventory: inv, result: { ok: true, recap } };
  return { s, h, cp: cp.name, inv };
}

describe('apply: reading the summary after the run', () => {
  it('runs one read-only kubectl on the first control plane and nothing elsewhere', async () => {
    const { s, h, cp, inv } = session({ stdout: nodes });
    const summary = await readSummary(s, { kubeconfigOut: '/out/admin.conf' });
    expect(summary.nodes).toEqual([{ name: 'cp1', roles: ['control-plane'], kubeletVersion: 'v1.34.1', ready: true }]);
    expect(summary.kubeconfig).toBe('/out/admin.conf');
    expect(summary.phases).toEqual([{ phase: 'Init', durationMs: 2000 }]);
    expect(h.t(cp).commands).toEqual(['kubectl --kubeconfig /etc/kubernetes/admin.conf get nodes -o json']);
    for (const host of inv.spec.hosts.filter((x) => x.name !== cp)) expect(h.t(host.name).calls).toEqual([]);
  });

  it('a failing kubectl leaves nodes null; the default kubeconfig path is .kubesmith/<cluster>/admin.conf', async () => {
    const { s, inv } = session({ code: 1 });
    const summary = await readSummary(s, {});
    expect(summary.nodes).toBeNull();
    expect(summary.kubeconfig.endsWith(`/.kubesmith/${inv.metadata.name}/admin.conf`)).toBe(true);
  });
});
