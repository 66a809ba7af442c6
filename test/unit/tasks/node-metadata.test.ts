import { describe, expect, it } from 'vitest';
import { metadataChanges, nodeMetadata, parseNodeMetadata } from '../../../src/tasks/node/metadata.js';
import { derived } from '../../../src/inventory/derived.js';
import { KUBELET_CONFIG, nodeKubeletConfig, withKubeletSettings } from '../../../src/tasks/node/kubelet-config.js';
import { parse } from 'yaml';
import { converge, expectReadOnly, harness } from './helpers/context.js';
import { makeInventory } from './helpers/inventory.js';

/** A Node as `kubectl get node -o json` prints it (core/v1 Node: metadata.labels, spec.taints[{key, value?, effect}]). */
function nodeJson(labels: Record<string, string>, taints: { key: string; value?: string; effect: string }[]): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'x', labels },
    spec: { podCIDR: '10.244.0.0/24', ...(taints.length ? { taints } : {}) },
  });
}

const CP_TAINT = { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' };

function inventory(schedulable: boolean) {
  return makeInventory({ controlPlane: { schedulable } }, [
    { name: 'cp1', address: '10.199.0.10', roles: ['control-plane'], labels: { 'node-role.kubernetes.io/ingress': '' } },
    {
      name: 'w1',
      address: '10.199.0.11',
      roles: ['worker'],
      labels: { disk: 'ssd' },
      taints: [{ key: 'example.com/gpu', value: 'true', effect: 'NoSchedule' }],
    },
  ]);
}

describe('node.metadata', () => {
  it('changes only what differs; leaves labels and taints it does not own', () => {
    const want = derived(inventory(false)).nodes.w1!;
    const node = parseNodeMetadata(
      nodeJson({ disk: 'hdd', other: 'kept' }, [
        { key: 'example.com/gpu', value: 'false', effect: 'NoSchedule' },
        { key: 'foreign', effect: 'NoExecute' },
      ]),
    );
    expect(metadataChanges(node, want)).toEqual({ labels: ['disk=ssd'], taints: ['example.com/gpu=true:NoSchedule'], untaints: [] });
    const done = parseNodeMetadata(nodeJson({ disk: 'ssd' }, [{ key: 'example.com/gpu', value: 'true', effect: 'NoSchedule' }]));
    expect(metadataChanges(done, want)).toEqual({ labels: [], taints: [], untaints: [] });
  });

  it('schedulable control planes lose the control-plane taint; otherwise it is kept or restored', () => {
    const tainted = parseNodeMetadata(nodeJson({ 'node-role.kubernetes.io/ingress': '' }, [CP_TAINT]));
    expect(metadataChanges(tainted, derived(inventory(true)).nodes.cp1!).untaints).toEqual([
      'node-role.kubernetes.io/control-plane:NoSchedule-',
    ]);
    expect(metadataChanges(tainted, derived(inventory(false)).nodes.cp1!)).toEqual({ labels: [], taints: [], untaints: [] });
    const bare = parseNodeMetadata(nodeJson({ 'node-role.kubernetes.io/ingress': '' }, []));
    expect(metadataChanges(bare, derived(inventory(false)).nodes.cp1!).taints).toEqual([
      'node-role.kubernetes.io/control-plane:NoSchedule',
    ]);
  });

  it('labels and taints an existing node with kubectl on the first control plane, then reports ok', async () => {
    const h = harness(inventory(true));
    const t = h.t('cp1');
    let node = nodeJson({ 'kubernetes.io/hostname': 'cp1' }, [CP_TAINT]);
    t.allow('kubectl --kubeconfig /etc/kubernetes/admin.conf get node cp1 -o json', () => ({ stdout: node }))
      .allow('kubectl --kubeconfig /etc/kubernetes/admin.conf label node cp1 --overwrite node-role.kubernetes.io/ingress=', () => {
        node = nodeJson({ 'kubernetes.io/hostname': 'cp1', 'node-role.kubernetes.io/ingress': '' }, JSON.parse(node).spec.taints ?? []);
        return { stdout: 'node/cp1 labeled\n' };
      })
      .allow(
        'kubectl --kubeconfig /etc/kubernetes/admin.conf taint node cp1 --overwrite node-role.kubernetes.io/control-plane:NoSchedule-',
        () => {
          node = nodeJson(JSON.parse(node).metadata.labels, []);
          return { stdout: 'node/cp1 untainted\n' };
        },
      );
    const changes = await converge(nodeMetadata, h.ctx('cp1'), [t]);
    expect(changes.map((c) => c.summary)).toEqual([
      'label node cp1: node-role.kubernetes.io/ingress=',
      'taint node cp1: node-role.kubernetes.io/control-plane:NoSchedule-',
    ]);
  });

  it('plan before the node joined: unknown, read-only', async () => {
    const h = harness(inventory(false));
    h.t('cp1').allow('get node w1 -o json', { code: 1, stderr: 'Error from server (NotFound): nodes "w1" not found' });
    expect(await nodeMetadata.check(h.ctx('w1', { dryRun: true }))).toMatchObject({ status: 'unknown' });
    expectReadOnly(h.t('cp1'));
    await expect(nodeMetadata.check(h.ctx('w1'))).rejects.toThrow(/node w1 is not registered/);
  });
});

describe('node.kubelet-config', () => {
  // the shape kubeadm writes (kubeadm 1.34 `kubeadm join`: /var/lib/kubelet/config.yaml, abridged), maxPods from the ConfigMap
  const WRITTEN =
    'apiVersion: kubelet.config.k8s.io/v1beta1\nauthentication:\n  anonymous:\n    enabled: false\ncgroupDriver: systemd\nclusterDNS:\n- 10.96.0.10\nkind: KubeletConfiguration\nmaxPods: 64\n';

  it('sets the managed fields the inventory has, removes those it has not, keeps every other field', () => {
    const out = withKubeletSettings(WRITTEN, { maxPods: 80, evictionHard: { 'memory.available': '200Mi' } })!;
    expect(parse(out)).toEqual({ ...parse(WRITTEN), maxPods: 80, evictionHard: { 'memory.available': '200Mi' } });
    expect(parse(withKubeletSettings(WRITTEN, {})!).maxPods).toBeUndefined();
    expect(withKubeletSettings(WRITTEN, { maxPods: 64 })).toBeUndefined();
  });

  it('rewrites the file and restarts the kubelet once; then ok', async () => {
    const h = harness(makeInventory({ kubelet: { maxPods: 90 } }));
    const t = h.t('w1');
    t.setFile(KUBELET_CONFIG, WRITTEN).allow('systemctl restart kubelet', {});
    const changes = await converge(nodeKubeletConfig, h.ctx('w1'), [t]);
    expect(changes.map((c) => c.summary)).toEqual([`update ${KUBELET_CONFIG}`, 'restart kubelet (it reads its config at start)']);
    expect(parse(t.fileText(KUBELET_CONFIG)!).maxPods).toBe(90);
    expect(t.commands.filter((c) => c === 'systemctl restart kubelet')).toHaveLength(1);
  });
});
