/**
 * The lab's tools can carry a 1.33 cluster's control plane to 1.34 the way the kubeadm upgrade guide does it by
 * hand (kubernetes.io/docs/tasks/administer-cluster/kubeadm/kubeadm-upgrade/): repository switched to v1.34,
 * kubeadm unheld/installed/held, `kubeadm upgrade plan|apply`, drain, kubelet+kubectl at the exact version,
 * restart, uncordon. Proves the emulators (package repos per minor, kubeadm upgrade, kubectl drain), not kubesmith's
 * `upgrade` command; kubesmith only builds the 1.33 cluster.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubesmith, labCluster, labReady, type LabCluster } from './helpers.js';

const NAME = 'e2e-upgrade-hand';
const KC = 'kubectl --kubeconfig /etc/kubernetes/admin.conf';

describe.skipIf(!labReady())('lab: a 1.33 control plane upgraded to 1.34 by hand with the emulated tools', () => {
  let c: LabCluster;
  const sh = async (host: string, cmd: string) => {
    const r = await c.lab.exec(host, cmd, { timeoutMs: 180_000 });
    return { ...r, out: r.stdout + r.stderr };
  };

  beforeAll(async () => {
    c = await labCluster(NAME, [{ name: 'cp1' }, { name: 'w1' }]);
    c.lab.writeInventory(c.inventory, {
      controlPlanes: ['cp1'],
      workers: ['w1'],
      extra: { kubernetes: { version: '1.33.5', podSubnet: '10.244.0.0/16' }, network: { plugin: 'flannel' }, ...c.mirrors },
    });
    const run = await kubesmith(['apply', '-i', c.inventory, '--output', 'json'], mkdtempSync(join(tmpdir(), 'ks-upg-hand-')));
    if (run.code !== 0) throw new Error(`apply failed:\n${run.stdout.slice(-3000)}\n${run.stderr.slice(-2000)}`);
  }, 900_000);
  afterAll(async () => {
    await c?.down();
  }, 120_000);

  it('offers several patches of each minor in the per-minor repositories', async () => {
    const madison = await sh('cp1', 'apt-cache madison kubeadm');
    expect(madison.out).toMatch(/kubeadm \| 1\.33\.5-1\.1 \|/);
    expect(madison.out).toMatch(/kubeadm \| 1\.33\.4-1\.1 \|/);
    expect(madison.out).not.toContain('1.34.');
    expect((await sh('cp1', 'apt-mark showhold')).stdout.split('\n')).toEqual(expect.arrayContaining(['kubeadm', 'kubelet', 'kubectl']));
  });

  it('refuses 1.34 with kubeadm 1.33, then upgrades the control plane with kubeadm 1.34.2', async () => {
    const old = await sh('cp1', 'kubeadm upgrade apply v1.34.2 -y');
    expect(old.code).toBe(1);
    expect(old.out).toContain('is at least one minor release higher than the kubeadm minor release (34 > 33)');
    const held = await sh('cp1', 'apt-get install -y kubeadm=1.34.2-1.1');
    expect(held.code).not.toBe(0); // still on the v1.33 repository, and held
    await sh('cp1', "sed -i 's#/v1\\.33/#/v1.34/#' /etc/apt/sources.list.d/kubernetes.list");
    const install = await sh(
      'cp1',
      'apt-mark unhold kubeadm && apt-get update && apt-get install -y kubeadm=1.34.2-1.1 && apt-mark hold kubeadm',
    );
    expect(install.code, install.out).toBe(0);
    expect((await sh('cp1', 'kubeadm version -o short')).stdout.trim()).toBe('v1.34.2');
    const plan = await sh('cp1', 'kubeadm upgrade plan');
    expect(plan.code, plan.out).toBe(0);
    expect(plan.stdout).toMatch(/^kube-apiserver +cp1 +v1\.33\.5 +v1\.34\.2$/m);
    const apply = await sh('cp1', 'kubeadm upgrade apply v1.34.2 -y');
    expect(apply.code, apply.out).toBe(0);
    expect(apply.stdout).toContain('[upgrade] SUCCESS! A control plane node of your cluster was upgraded to "v1.34.2".');
    expect((await sh('cp1', 'grep image: /etc/kubernetes/manifests/kube-apiserver.yaml')).stdout).toContain('kube-apiserver:v1.34.2');
    expect((await sh('cp1', `${KC} version`)).stdout).toContain('Server Version: v1.34.2');
    expect((await sh('cp1', `${KC} get nodes`)).stdout).toMatch(/cp1 +Ready +control-plane +\S+ +v1\.33\.5/);
  }, 600_000);

  it('drains cp1, upgrades kubelet and kubectl at the exact version, restarts the kubelet, uncordons', async () => {
    const drain = await sh('cp1', `${KC} drain cp1 --ignore-daemonsets`);
    expect(drain.code, drain.out).toBe(0);
    expect(drain.stdout).toMatch(/node\/cp1 drained\n$/);
    const pkgs = await sh(
      'cp1',
      'apt-mark unhold kubelet kubectl && apt-get install -y kubelet=1.34.2-1.1 kubectl=1.34.2-1.1 && apt-mark hold kubelet kubectl',
    );
    expect(pkgs.code, pkgs.out).toBe(0);
    await sh('cp1', 'systemctl daemon-reload && systemctl restart kubelet');
    expect((await sh('cp1', `${KC} uncordon cp1`)).stdout).toBe('node/cp1 uncordoned\n');
    const nodes = await sh('cp1', `${KC} get nodes`);
    expect(nodes.stdout).toMatch(/cp1 +Ready +control-plane +\S+ +v1\.34\.2/);
    expect(nodes.stdout).toMatch(/w1 +Ready +<none> +\S+ +v1\.33\.5/);
    expect((await sh('cp1', 'apt-mark showhold')).stdout.split('\n')).toEqual(expect.arrayContaining(['kubeadm', 'kubelet', 'kubectl']));
    const renewed = await sh('cp1', 'kubeadm certs check-expiration');
    expect(renewed.code, renewed.out).toBe(0);
  }, 600_000);

  it('upgrades the worker: kubeadm upgrade node writes its kubelet configuration', async () => {
    const r = await sh(
      'w1',
      "sed -i 's#/v1\\.33/#/v1.34/#' /etc/apt/sources.list.d/kubernetes.list && apt-mark unhold kubeadm && apt-get update && apt-get install -y kubeadm=1.34.2-1.1 && apt-mark hold kubeadm && kubeadm upgrade node",
    );
    expect(r.code, r.out).toBe(0);
    expect(r.stdout).toContain('[upgrade/kubelet-config] The kubelet configuration for this node was successfully upgraded!');
  }, 600_000);
});
