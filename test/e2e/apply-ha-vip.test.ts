/**
 * HA with kube-vip and no controlPlaneEndpoint (the endpoint is derived as <vip>:6443 at load), plus the node
 * settings of the inventory: labels, taints, schedulable control planes and kubelet settings, end to end on the lab.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../lab/lab.js';
import { changedCount, hostOutcomes, kubesmith, labCluster, labReady, type LabCluster } from './helpers.js';

const NAME = 'e2e-ha-vip';

interface NodeJson {
  metadata: { name: string; labels: Record<string, string> };
  spec: { taints?: { key: string; value?: string; effect: string }[] };
  status: { conditions: { type: string; status: string }[]; capacity?: Record<string, string>; allocatable?: Record<string, string> };
}

describe.skipIf(!labReady())('apply: HA with kube-vip and no controlPlaneEndpoint; labels, taints, kubelet settings', () => {
  let c: LabCluster;
  let lab: Lab;
  let inv: string;
  let vip: string;

  const nodes = async (): Promise<Record<string, NodeJson>> => {
    const out = (await lab.exec('cp1', 'kubectl --kubeconfig /etc/kubernetes/admin.conf get nodes -o json')).stdout;
    return Object.fromEntries((JSON.parse(out) as { items: NodeJson[] }).items.map((n) => [n.metadata.name, n]));
  };
  const taints = (n: NodeJson) => (n.spec.taints ?? []).map((t) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`).sort();
  const editInventory = (edit: (spec: Record<string, any>) => void) => {
    const doc = parse(readFileSync(inv, 'utf8'));
    edit(doc.spec);
    writeFileSync(inv, stringify(doc, { lineWidth: 0 }));
  };
  const host = (spec: Record<string, any>, name: string) => spec.hosts.find((h: { name: string }) => h.name === name);

  beforeAll(async () => {
    c = await labCluster(
      NAME,
      ['cp1', 'cp2', 'cp3', 'w1'].map((name) => ({ name })),
    );
    lab = c.lab;
    inv = c.inventory;
    vip = lab.subnet.replace(/\.0\/24$/, '.200');
    lab.writeInventory(inv, {
      controlPlanes: ['cp1', 'cp2', 'cp3'],
      workers: ['w1'],
      extra: {
        kubernetes: { loadBalancer: { type: 'kube-vip', vip, interface: 'eth0' } },
        controlPlane: { schedulable: true },
        kubelet: {
          maxPods: 64,
          systemReserved: { cpu: '250m', memory: '256Mi' },
          evictionHard: { 'memory.available': '200Mi' },
          extraArgs: { v: '2' },
        },
        ...c.mirrors,
      },
    });
    editInventory((spec) => {
      host(spec, 'cp1').labels = { 'example.com/rack': 'r1' };
      host(spec, 'w1').labels = { disk: 'ssd', 'node-role.kubernetes.io/worker': '' };
      host(spec, 'w1').taints = [{ key: 'example.com/dedicated', value: 'gpu', effect: 'NoSchedule' }];
    });
  }, 120_000);

  afterAll(async () => {
    await c?.down();
  }, 120_000);

  it('the joins go to the VIP and the cluster forms; nodes carry the labels, taints and kubelet settings', async () => {
    const run = await kubesmith(['apply', '-i', inv, '--output', 'json']);
    expect(run.code, run.stdout.slice(-5000)).toBe(0);
    expect(
      hostOutcomes(run)
        .filter((e) => e.task === 'controlplane.join' && e.outcome === 'changed')
        .map((e) => e.host),
    ).toEqual(['cp2', 'cp3']);
    for (const h of ['cp2', 'cp3', 'w1'])
      expect(lab.readFile(h, '/etc/kubernetes/kubelet.conf'), h).toContain(`server: https://${vip}:6443`);
    const cm = JSON.parse(
      (await lab.exec('cp1', 'kubectl --kubeconfig /etc/kubernetes/admin.conf -n kube-system get configmap kubeadm-config -o json')).stdout,
    );
    expect(parse(cm.data.ClusterConfiguration).controlPlaneEndpoint).toBe(`${vip}:6443`);

    const n = await nodes();
    expect(Object.keys(n).sort()).toEqual(['cp1', 'cp2', 'cp3', 'w1']);
    for (const node of Object.values(n))
      expect(node.status.conditions.find((x) => x.type === 'Ready')?.status, node.metadata.name).toBe('True');
    // schedulable control planes: kubeadm registered them without the control-plane taint
    for (const cp of ['cp1', 'cp2', 'cp3']) expect(taints(n[cp]!), cp).toEqual([]);
    expect(taints(n.w1!)).toEqual(['example.com/dedicated=gpu:NoSchedule']);
    expect(n.cp1!.metadata.labels).toMatchObject({ 'example.com/rack': 'r1' });
    expect(n.w1!.metadata.labels).toMatchObject({ disk: 'ssd', 'node-role.kubernetes.io/worker': '' });
    // the kubelet set disk=ssd itself at registration; node-role.kubernetes.io/* is not its to set (kubectl did it)
    const flags = lab.readFile('w1', '/var/lib/kubelet/kubeadm-flags.env') ?? '';
    expect(flags).toContain('--node-labels=disk=ssd');
    expect(flags).toContain('--v=2');
    expect(flags).not.toContain('node-role.kubernetes.io');
    const kubelet = parse(lab.readFile('w1', '/var/lib/kubelet/config.yaml') ?? '');
    expect(kubelet).toMatchObject({
      maxPods: 64,
      systemReserved: { cpu: '250m', memory: '256Mi' },
      evictionHard: { 'memory.available': '200Mi', 'nodefs.available': '10%' },
    });
    const { capacity, allocatable } = n.w1!.status;
    expect(capacity?.pods).toBe('64');
    const ki = (q: string | undefined) => Number(/^(\d+)Ki$/.exec(q ?? '')?.[1] ?? NaN);
    expect(ki(capacity?.memory) - ki(allocatable?.memory)).toBe(256 * 1024 + 200 * 1024);
  }, 1_500_000);

  it('changed labels, taints and kubelet settings reach the existing nodes; a control plane made unschedulable is tainted again; then nothing changes', async () => {
    editInventory((spec) => {
      spec.controlPlane = { schedulable: false };
      spec.kubelet.maxPods = 80;
      host(spec, 'w1').labels = { disk: 'nvme', tier: 'gpu', 'node-role.kubernetes.io/worker': '' };
      host(spec, 'w1').taints = [{ key: 'example.com/dedicated', value: 'ml', effect: 'NoSchedule' }];
    });
    const run = await kubesmith(['apply', '-i', inv, '--output', 'json']);
    expect(run.code, run.stdout.slice(-5000)).toBe(0);
    expect(
      hostOutcomes(run)
        .filter((e) => e.outcome === 'changed')
        .map((e) => `${e.task} ${e.host}`)
        .sort(),
    ).toEqual([
      'node.kubelet-config cp1',
      'node.kubelet-config cp2',
      'node.kubelet-config cp3',
      'node.kubelet-config w1',
      'node.metadata cp1',
      'node.metadata cp2',
      'node.metadata cp3',
      'node.metadata w1',
    ]);
    expect(parse(lab.readFile('w1', '/var/lib/kubelet/config.yaml') ?? '')).toMatchObject({
      maxPods: 80,
      systemReserved: { cpu: '250m', memory: '256Mi' },
    });
    const n = await nodes();
    for (const cp of ['cp1', 'cp2', 'cp3']) expect(taints(n[cp]!), cp).toEqual(['node-role.kubernetes.io/control-plane:NoSchedule']);
    expect(taints(n.w1!)).toEqual(['example.com/dedicated=ml:NoSchedule']);
    expect(n.w1!.metadata.labels).toMatchObject({ disk: 'nvme', tier: 'gpu', 'node-role.kubernetes.io/worker': '' });
    // the restarted kubelet reports the new maxPods
    for (const name of Object.keys(n)) expect(n[name]!.status.capacity?.pods, name).toBe('80');

    const again = await kubesmith(['apply', '-i', inv, '--output', 'json']);
    expect(again.code).toBe(0);
    expect(changedCount(again)).toBe(0);
  }, 1_500_000);
});
