/**
 * The upgrade playbook on the lab (1 control plane + 1 worker, 1.33.5 → 1.34.1, the lab's kubeadm upgrade
 * apply/node): backup named after the upgrade, control plane then worker, packages held at the exact version, every
 * node Ready at the target, and a second run with the same options changes nothing. It runs the playbook the way
 * `upgrade` does after its survey (the whole command, survey included, is upgrade-command.test.ts; the refusals are
 * upgrade-refusals.test.ts).
 */
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandContext } from '../../src/cli/context.js';
import { openCluster } from '../../src/commands/cluster.js';
import { executePlaybook } from '../../src/commands/run-playbook.js';
import { stampOf } from '../../src/engine/stamp.js';
import type { UpgradeRun } from '../../src/upgrade/options.js';
import type { Lab } from '../lab/lab.js';
import { kubesmith, labReady } from './helpers.js';
import { upEtcdLab, waitEtcd, type EtcdLab } from './etcd-lab.js';

const NAME = 'e2e-upgrade-pb';

describe.skipIf(!labReady())('upgrade playbook: 1.33.5 → 1.34.1 on 1 control plane + 1 worker', () => {
  let c: EtcdLab;
  let lab: Lab;
  let cwd: string;
  let out = '';

  function context(): CommandContext {
    const base: Omit<CommandContext, 'cluster'> = {
      flags: { inventory: c.inv, concurrency: 20, output: 'text', yes: false },
      values: {},
      positionals: [],
      out: { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (out += s) }, isTTY: false, color: false },
      env: process.env,
      cwd,
      signal: new AbortController().signal,
      now: () => new Date(),
    };
    let cluster: ReturnType<typeof openCluster> | undefined;
    return { ...base, cluster: () => (cluster ??= openCluster(base)) };
  }

  const upgrade: UpgradeRun = {
    target: '1.34.1',
    from: '1.33.5',
    maxUnavailable: 1,
    drainTimeoutSeconds: 60,
    onDrainTimeout: 'stop',
    controlPlaneOnly: false,
    certificateRenewal: true,
  };
  const runPlaybook = async () => {
    const ctx = context();
    const { adminDir } = await ctx.cluster();
    return executePlaybook(ctx, { playbook: 'upgrade', dryRun: false, options: { adminDir, stamp: stampOf(new Date()), upgrade } });
  };

  beforeAll(async () => {
    c = await upEtcdLab(NAME, ['cp1'], ['w1']); // real etcd: the backup and the health gate read it
    lab = c.lab;
    cwd = mkdtempSync(join(tmpdir(), 'ks-upgrade-'));
    const inventory = (version: string) =>
      lab.writeInventory(c.inv, {
        controlPlanes: ['cp1'],
        workers: ['w1'],
        extra: {
          kubernetes: { version, podSubnet: '10.244.0.0/16' },
          network: { plugin: 'flannel', flannel: { backend: 'vxlan' } },
          containerRuntime: { registryMirrors: { 'registry.k8s.io': [c.registry.url], 'ghcr.io': [c.registry.url] } },
        },
      });
    inventory('1.33.5');
    const run = await kubesmith(['apply', '-i', c.inv, '--output', 'json'], cwd);
    if (run.code !== 0) throw new Error(`apply failed:\n${run.stdout.slice(-4000)}\n${run.stderr.slice(-2000)}`);
    await waitEtcd(lab, 'cp1');
    inventory('1.34.1');
  }, 1_200_000);

  afterAll(async () => {
    await c?.down();
  }, 120_000);

  it('upgrades the control plane, then the worker; packages held at 1.34.1; a re-run changes nothing', async () => {
    const first = await runPlaybook();
    expect(first.code, out.slice(-6000)).toBe(0);
    for (const h of ['cp1', 'w1']) {
      const v = await lab.exec(h, 'lab-pkg-version kubelet --upstream; lab-pkg-version kubeadm --upstream; apt-mark showhold');
      expect(v.stdout.split('\n').slice(0, 2), h).toEqual(['1.34.1', '1.34.1']);
      expect(v.stdout, h).toMatch(/kubeadm[\s\S]*kubectl[\s\S]*kubelet/);
    }
    const nodes = await lab.exec('cp1', 'kubectl --kubeconfig /etc/kubernetes/admin.conf get nodes --no-headers');
    expect(nodes.stdout).toMatch(/^cp1\s+Ready\s+\S+\s+\S+\s+v1\.34\.1$/m);
    expect(nodes.stdout).toMatch(/^w1\s+Ready\s+\S+\s+\S+\s+v1\.34\.1$/m);
    expect(lab.readFile('cp1', '/etc/kubernetes/manifests/kube-apiserver.yaml')).toContain('kube-apiserver:v1.34.1');
    const etcd = join(cwd, '.kubesmith', lab.name, 'etcd');
    expect(readdirSync(etcd).some((f) => /-upgrade-v1\.34\.1-cp1\.db$/.test(f))).toBe(true);
    const backups = readdirSync(join(cwd, '.kubesmith', lab.name, 'backups')).filter((d) => d.endsWith('-upgrade-v1.34.1'));
    expect(backups).toHaveLength(1);
    expect(existsSync(join(cwd, '.kubesmith', lab.name, 'backups', backups[0]!, 'cp1', 'etc-kubernetes.tgz'))).toBe(true);
    const journal = lab.journal('cp1').length;
    out = '';
    const second = await runPlaybook();
    expect(second.code, out.slice(-4000)).toBe(0);
    expect(
      second.result.recap.hosts.reduce((n, h) => n + h.changed, 0),
      out.slice(-4000),
    ).toBe(0);
    expect(
      lab
        .journal('cp1')
        .slice(journal)
        .filter((l) => /kubeadm upgrade apply/.test(l)),
    ).toEqual([]);
  }, 900_000);
});
