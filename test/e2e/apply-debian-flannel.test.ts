/**
 * The main job on the lab: 1 control plane + 2 workers, Debian 12, containerd, flannel vxlan.
 * plan writes nothing → apply makes every node Ready → files match the inventory → a second apply changes nothing.
 */
import { join } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import type { Lab } from '../lab/lab.js';
import { renderSysctl } from '../../src/render/index.js';
import { changedCount, hostOutcomes, kubesmith, labCluster, labReady, writesIn, type LabCluster } from './helpers.js';

const NAME = 'e2e-apply-deb';

if (!labReady())
  console.warn('skipping test/e2e/apply-debian-flannel.test.ts: needs root and the lab emulators (test/lab/emulators/manifest.json)');

describe.skipIf(!labReady())('apply: Debian, 1 control plane + 2 workers, flannel', () => {
  let c: LabCluster;
  let lab: Lab;
  let inv: string;

  beforeAll(async () => {
    c = await labCluster(NAME, [{ name: 'cp1' }, { name: 'w1' }, { name: 'w2' }]);
    lab = c.lab;
    inv = c.inventory;
    lab.writeInventory(inv, {
      controlPlanes: ['cp1'],
      workers: ['w1', 'w2'],
      extra: {
        kubernetes: { version: '1.34.1', podSubnet: '10.244.0.0/16' },
        network: { plugin: 'flannel', flannel: { backend: 'vxlan' } },
        hostPrep: { timeSync: { servers: ['ntp.lab.internal'] } },
        ...c.mirrors,
      },
    });
  }, 120_000);

  afterAll(async () => {
    await c?.down();
  }, 120_000);

  it('plan on fresh hosts lists changes and writes nothing', async () => {
    const before = lab.hosts.map((h) => lab.journal(h.name).length);
    const run = await kubesmith(['plan', '-i', inv]);
    expect(run.code, run.stderr + run.stdout.slice(-3000)).toBe(0);
    expect(run.stdout).toContain('hostprep.sysctl');
    lab.hosts.forEach((h, i) => expect(writesIn(lab.journal(h.name).slice(before[i])), h.name).toEqual([]));
    expect(lab.readFile('cp1', '/etc/sysctl.d/k8s.conf')).toBeNull();
  }, 300_000);

  it('apply brings every node to Ready', async () => {
    const run = await kubesmith(['apply', '-i', inv, '--output', 'json']);
    expect(run.code, run.stderr + run.stdout.slice(-5000)).toBe(0);
    const nodes = await lab.exec('cp1', 'kubectl --kubeconfig /etc/kubernetes/admin.conf get nodes -o json');
    const items = (
      JSON.parse(nodes.stdout) as { items: { metadata: { name: string }; status: { conditions: { type: string; status: string }[] } }[] }
    ).items;
    expect(items.map((n) => n.metadata.name).sort()).toEqual(['cp1', 'w1', 'w2']);
    for (const n of items) expect(n.status.conditions.find((c) => c.type === 'Ready')?.status, n.metadata.name).toBe('True');
  }, 900_000);

  it('files on the hosts match the inventory', () => {
    for (const h of ['cp1', 'w1', 'w2']) {
      expect(lab.readFile(h, '/etc/sysctl.d/k8s.conf'), h).toBe(renderSysctl());
      expect(lab.readFile(h, '/etc/modules-load.d/k8s.conf'), h).toContain('br_netfilter');
      const fstab = lab.readFile(h, '/etc/fstab') ?? '';
      expect(
        fstab.split('\n').filter((l) => !l.startsWith('#') && /\sswap\s/.test(l)),
        h,
      ).toEqual([]);
      const containerd = lab.readFile(h, '/etc/containerd/config.toml') ?? '';
      expect(containerd, h).toContain('SystemdCgroup = true');
      expect(containerd, h).toMatch(/registry\.k8s\.io\/pause:3\.10\.1/);
      expect(lab.readFile(h, '/etc/hosts'), h).toContain('# BEGIN kubesmith\n10.199.');
      expect(lab.readFile(h, '/etc/chrony/chrony.conf'), h).toMatch(/^server ntp\.lab\.internal iburst$/m);
    }
    const kubeadm = parseAllDocuments(lab.readFile('cp1', '/etc/kubernetes/kubesmith/kubeadm-init.yaml') ?? '').map((d) => d.toJS());
    expect(kubeadm[1]).toMatchObject({
      kubernetesVersion: 'v1.34.1',
      networking: { podSubnet: '10.244.0.0/16', serviceSubnet: '10.96.0.0/12' },
    });
    const flannel = parseAllDocuments(lab.readFile('cp1', '/etc/kubernetes/kubesmith/kube-flannel.yaml') ?? '').map((d) => d.toJS());
    expect(JSON.parse(flannel[4].data['net-conf.json'])).toMatchObject({ Network: '10.244.0.0/16', Backend: { Type: 'vxlan' } });
    expect(lab.readFile('w1', '/etc/kubernetes/kubesmith/kubeadm-join.yaml')).toBeNull();
    const local = join(process.cwd(), '.kubesmith', lab.name, 'admin.conf'); // the instance name carries LAB_INSTANCE_PREFIX
    expect(existsSync(local)).toBe(true);
    expect(statSync(local).mode & 0o777).toBe(0o600);
    expect(parse(lab.readFile('cp1', '/root/.kube/config') ?? '').kind).toBe('Config');
  });

  it('a second apply changes nothing, and plan says so', async () => {
    const again = await kubesmith(['apply', '-i', inv, '--output', 'json']);
    expect(again.code, again.stdout.slice(-3000)).toBe(0);
    const changed = hostOutcomes(again).filter((e) => e.outcome !== 'ok' && e.outcome !== 'skipped');
    expect(changed.map((e) => `${e.task}@${e.host}: ${JSON.stringify((e as { changes?: unknown }).changes ?? e.error)}`)).toEqual([]);
    expect(changedCount(again)).toBe(0);
    const plan = await kubesmith(['plan', '-i', inv]);
    expect(plan.code).toBe(0);
    expect(plan.stdout.toLowerCase()).toContain('no changes');
  }, 900_000);
});
