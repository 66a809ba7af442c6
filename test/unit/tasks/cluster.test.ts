import { describe, expect, it } from 'vitest';
import { criImagesJson } from './helpers/cri.js';
import { parseAllDocuments, parse } from 'yaml';
import { cniFlannel, FLANNEL_MANIFEST } from '../../../src/tasks/cni/flannel.js';
import { cniCilium, CILIUM_VALUES } from '../../../src/tasks/cni/cilium.js';
import { clusterWaitReady, notReady } from '../../../src/tasks/cluster/wait-ready.js';
import { kubevipManifest, KUBE_VIP_MANIFEST } from '../../../src/tasks/kubevip/manifest.js';
import { parseNodes } from '../../../src/tasks/common/cluster.js';
import { converge, expectReadOnly, harness } from './helpers/context.js';
import { haHosts, makeInventory } from './helpers/inventory.js';

function nodesJson(nodes: Record<string, boolean | 'absent'>): string {
  return JSON.stringify({
    items: Object.entries(nodes)
      .filter(([, s]) => s !== 'absent')
      .map(([name, ready]) => ({
        metadata: { name, labels: name.startsWith('cp') ? { 'node-role.kubernetes.io/control-plane': '' } : {} },
        status: {
          conditions: [
            {
              type: 'Ready',
              status: ready ? 'True' : 'False',
              reason: ready ? 'KubeletReady' : 'KubeletNotReady',
              message: ready ? '' : 'cni plugin not initialized',
            },
          ],
          nodeInfo: { kubeletVersion: 'v1.34.1' },
        },
      })),
  });
}

describe('cni.flannel', () => {
  it('uploads the rendered manifest and applies it; re-applies only when it changes', async () => {
    const inv = makeInventory({ network: { plugin: 'flannel', flannel: { backend: 'host-gw' } } });
    const h = harness(inv);
    const t = h.t('cp1');
    let applied = false;
    t.allow('test -e /etc/kubernetes/admin.conf', {})
      .allow('-n kube-flannel get daemonset kube-flannel-ds', () => ({ code: applied ? 0 : 1 }))
      .allow(`kubectl --kubeconfig /etc/kubernetes/admin.conf apply -f ${FLANNEL_MANIFEST}`, () => ((applied = true), {}));
    const check = await cniFlannel.check(h.ctx('cp1'));
    expectReadOnly(t);
    expect(check.status === 'change' && check.changes.map((c) => c.summary)).toEqual([
      `create ${FLANNEL_MANIFEST}`,
      `kubectl apply -f ${FLANNEL_MANIFEST}`,
    ]);
    await converge(cniFlannel, h.ctx('cp1'), [t]);
    const cm = parseAllDocuments(t.fileText(FLANNEL_MANIFEST)!)[4]!.toJS();
    expect(JSON.parse(cm.data['net-conf.json']).Backend).toEqual({ Type: 'host-gw' });
  });

  it('plan before init: unknown; apply before init: error', async () => {
    const h = harness(makeInventory());
    h.t('cp1').allow('test -e', { code: 1 });
    expect(await cniFlannel.check(h.ctx('cp1', { dryRun: true }))).toMatchObject({ status: 'unknown' });
    await expect(cniFlannel.check(h.ctx('cp1'))).rejects.toThrow(/admin.conf is missing on cp1/);
  });
});

describe('cni.cilium', () => {
  it('writes values and runs helm upgrade --install at the pinned version; ok once deployed', async () => {
    const inv = makeInventory({
      network: { plugin: 'cilium', cilium: { kubeProxyReplacement: true } },
      kubernetes: { controlPlaneEndpoint: '10.199.0.100:6443' },
    });
    const h = harness(inv);
    const t = h.t('cp1');
    let release = '[]';
    t.allow('test -e /etc/kubernetes/admin.conf', {})
      .allow("sh -c 'command -v helm'", { stdout: '/usr/local/bin/helm\n' })
      .allow('helm --kubeconfig /etc/kubernetes/admin.conf list -n kube-system -o json', () => ({ stdout: release }))
      .allow('helm --kubeconfig /etc/kubernetes/admin.conf repo add cilium https://helm.cilium.io/ --force-update', {})
      .allow(`upgrade --install cilium cilium/cilium --version 1.19.4 -n kube-system -f ${CILIUM_VALUES}`, () => {
        release = JSON.stringify([{ name: 'cilium', chart: 'cilium-1.19.4', status: 'deployed' }]);
        return {};
      });
    const changes = await converge(cniCilium, h.ctx('cp1'), [t]);
    expect(changes.map((c) => c.summary)).toEqual([`create ${CILIUM_VALUES}`, 'helm upgrade --install cilium 1.19.4 (now: not installed)']);
    expect(parse(t.fileText(CILIUM_VALUES)!)).toMatchObject({
      ipam: { mode: 'kubernetes' },
      kubeProxyReplacement: true,
      k8sServiceHost: '10.199.0.100',
    });
  });
});

describe('cluster.wait-ready', () => {
  it('waits until every inventory node is Ready', async () => {
    const h = harness(makeInventory(), { options: { readyPollMs: 1, readyTimeoutSeconds: 5 } });
    for (const n of ['cp1', 'w1', 'w2'])
      h.t(n).setFile('/etc/kubernetes/kubelet.conf', 'x').allow('test -e /etc/kubernetes/kubelet.conf', {});
    const t = h.t('cp1');
    const states = [
      nodesJson({ cp1: true, w1: false, w2: 'absent' }),
      nodesJson({ cp1: true, w1: false, w2: false }),
      nodesJson({ cp1: true, w1: true, w2: true }),
    ];
    let i = 0;
    t.allow('test -e /etc/kubernetes/admin.conf', {}).allow('get nodes -o json', () => ({ stdout: states[Math.min(i++, 2)]! }));
    const changes = await converge(clusterWaitReady, h.ctx('cp1'), [t]);
    expect(changes[0]!.summary).toBe('wait up to 5s for w1, w2 to be Ready');
  });

  it('times out naming each node that is not Ready and why', async () => {
    const h = harness(makeInventory(), { options: { readyPollMs: 5, readyTimeoutSeconds: 0.05 } });
    for (const n of ['w1', 'w2']) h.t(n).allow('test -e /etc/kubernetes/kubelet.conf', {});
    h.t('cp1')
      .allow('test -e', {})
      .allow('get nodes -o json', { stdout: nodesJson({ cp1: true, w1: false, w2: 'absent' }) });
    const r = await clusterWaitReady.check(h.ctx('cp1'));
    await expect(clusterWaitReady.apply(h.ctx('cp1'), r.status === 'change' ? r.changes : [])).rejects.toThrow(
      'nodes not Ready after 0.05s:\n  w1: KubeletNotReady: cni plugin not initialized\n  w2: not registered',
    );
  });

  it('does not wait for a host that never joined, but fails naming it', async () => {
    const h = harness(makeInventory(), { options: { readyPollMs: 1, readyTimeoutSeconds: 600 } });
    h.t('w1').allow('test -e /etc/kubernetes/kubelet.conf', {});
    h.t('w2').allow('test -e /etc/kubernetes/kubelet.conf', { code: 1 });
    h.t('cp1')
      .allow('test -e', {})
      .allow('get nodes -o json', { stdout: nodesJson({ cp1: true, w1: true, w2: 'absent' }) });
    const r = await clusterWaitReady.check(h.ctx('cp1'));
    await expect(clusterWaitReady.apply(h.ctx('cp1'), r.status === 'change' ? r.changes : [])).rejects.toThrow(
      'nodes not Ready:\n  w2: not joined (no /etc/kubernetes/kubelet.conf)',
    );
    // no waiting: the nodes were read once per check/apply, not polled for the 600 s timeout
    expect(h.t('cp1').commands.filter((c) => c.includes('get nodes -o json')).length).toBeLessThanOrEqual(2);
  });

  it('parses roles and versions', () => {
    const nodes = parseNodes(nodesJson({ cp1: true, w1: false }));
    expect(nodes[0]).toEqual({ name: 'cp1', ready: true, detail: 'KubeletReady', roles: ['control-plane'], version: 'v1.34.1' });
    expect(notReady(['cp1', 'w1'], nodes)).toEqual(['w1: KubeletNotReady: cni plugin not initialized']);
  });
});

describe('kubevip.manifest', () => {
  it('first control plane: super-admin.conf before init, admin.conf after; others admin.conf', async () => {
    const inv = makeInventory(
      { kubernetes: { controlPlaneEndpoint: '10.0.0.100:6443', loadBalancer: { type: 'kube-vip', vip: '10.0.0.100', interface: 'eth1' } } },
      haHosts(),
    );
    const h = harness(inv);
    const t = h.t('cp1');
    t.allow('test -e /etc/kubernetes/admin.conf', () => ({ code: t.files.has('/etc/kubernetes/admin.conf') ? 0 : 1 }));
    await converge(kubevipManifest, h.ctx('cp1'), [t]);
    expect(parse(t.fileText(KUBE_VIP_MANIFEST)!).spec.volumes[0].hostPath.path).toBe('/etc/kubernetes/super-admin.conf');
    t.setFile('/etc/kubernetes/admin.conf', 'x'); // kubeadm init ran
    const after = await converge(kubevipManifest, h.ctx('cp1'), [t]);
    expect(after[0]!.diff).toContain('+        path: "/etc/kubernetes/admin.conf"');
    const t2 = h.t('cp2').allow('test -e', { code: 1 });
    await converge(kubevipManifest, h.ctx('cp2'), [t2]);
    expect(parse(t2.fileText(KUBE_VIP_MANIFEST)!).spec.volumes[0].hostPath.path).toBe('/etc/kubernetes/admin.conf');
  });

  it('is skipped without a kube-vip load balancer', async () => {
    const h = harness(makeInventory());
    expect(await kubevipManifest.check(h.ctx('cp1'))).toMatchObject({ status: 'skip' });
  });
});

describe('cni.images', () => {
  it('pulls the missing flannel images on a node; then ok', async () => {
    const { cniImagesTask } = await import('../../../src/tasks/cni/images.js');
    const h = harness(makeInventory());
    const t = h.t('w1');
    const held = new Set(['ghcr.io/flannel-io/flannel-cni-plugin:v1.9.1-flannel3']);
    t.allow('crictl images -o json', () => ({ stdout: criImagesJson(held) })).allow(
      'crictl pull',
      (c) => (held.add(c.command.split(' ')[2]!), {}),
    );
    const changes = await converge(cniImagesTask, h.ctx('w1'), [t]);
    expect(changes.map((c) => c.summary)).toEqual(['pull ghcr.io/flannel-io/flannel:v0.28.9']);
    // A check asks crictl once for every image it holds.
    const before = t.commands.length;
    expect(await cniImagesTask.check(h.ctx('w1'))).toEqual({ status: 'ok' });
    expect(t.commands.slice(before)).toEqual(['crictl images -o json']);
  });
});

describe('cluster.wait-ready while the API comes up', () => {
  it('waits through an unreachable API instead of failing', async () => {
    const h = harness(makeInventory(), { options: { readyPollMs: 1, readyTimeoutSeconds: 5 } });
    let calls = 0;
    for (const n of ['w1', 'w2']) h.t(n).allow('test -e /etc/kubernetes/kubelet.conf', {});
    h.t('cp1')
      .allow('test -e', {})
      .allow('get nodes -o json', () =>
        calls++ === 0 ? { code: 1, stderr: 'connection refused' } : { stdout: nodesJson({ cp1: true, w1: true, w2: true }) },
      );
    const r = await clusterWaitReady.check(h.ctx('cp1'));
    expect(r.status === 'change' && r.changes[0]!.summary).toBe('wait up to 5s for the API to be Ready');
    await clusterWaitReady.apply(h.ctx('cp1'), r.status === 'change' ? r.changes : []);
  });
});
