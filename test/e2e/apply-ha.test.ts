/**
 * HA on the lab: 3 control planes (serial joins with a fresh certificate key) + 2 workers, Debian, flannel.
 * Tokens and certificate keys never appear in the output or the run logs.
 */
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../lab/lab.js';
import { changedCount, hostOutcomes, kubesmith, labCluster, labReady, logText, type LabCluster } from './helpers.js';

const NAME = 'e2e-apply-ha';

describe.skipIf(!labReady())('apply: HA, 3 control planes + 2 workers', () => {
  let c: LabCluster;
  let lab: Lab;
  let inv: string;

  beforeAll(async () => {
    c = await labCluster(
      NAME,
      ['cp1', 'cp2', 'cp3', 'w1', 'w2'].map((name) => ({ name })),
    );
    lab = c.lab;
    inv = c.inventory;
    const cp1 = lab.hosts.find((h) => h.name === 'cp1')!.ip;
    lab.writeInventory(inv, {
      controlPlanes: ['cp1', 'cp2', 'cp3'],
      workers: ['w1', 'w2'],
      extra: { kubernetes: { controlPlaneEndpoint: `${cp1}:6443` }, ...c.mirrors },
    });
  }, 120_000);

  afterAll(async () => {
    await c?.down();
  }, 120_000);

  it('every node Ready, three control planes, joins one at a time; no secret in output or logs', async () => {
    const logs = mkdtempSync(join(tmpdir(), 'ks-e2e-ha-'));
    const run = await kubesmith(['apply', '-i', inv, '--output', 'json', '--log-dir', logs]);
    expect(run.code, run.stdout.slice(-5000)).toBe(0);
    const nodes = JSON.parse((await lab.exec('cp1', 'kubectl --kubeconfig /etc/kubernetes/admin.conf get nodes -o json')).stdout) as {
      items: { metadata: { name: string; labels: Record<string, string> }; status: { conditions: { type: string; status: string }[] } }[];
    };
    expect(nodes.items.map((n) => n.metadata.name).sort()).toEqual(['cp1', 'cp2', 'cp3', 'w1', 'w2']);
    expect(
      nodes.items
        .filter((n) => 'node-role.kubernetes.io/control-plane' in n.metadata.labels)
        .map((n) => n.metadata.name)
        .sort(),
    ).toEqual(['cp1', 'cp2', 'cp3']);
    for (const n of nodes.items) expect(n.status.conditions.find((c) => c.type === 'Ready')?.status, n.metadata.name).toBe('True');
    expect(
      hostOutcomes(run)
        .filter((e) => e.task === 'controlplane.join' && e.outcome === 'changed')
        .map((e) => e.host),
    ).toEqual(['cp2', 'cp3']);

    const tokens =
      (await lab.exec('cp1', 'kubeadm token list --kubeconfig /etc/kubernetes/admin.conf')).stdout.match(/[a-z0-9]{6}\.[a-z0-9]{16}/g) ??
      [];
    expect(tokens.length).toBeGreaterThan(0);
    const everything = run.stdout + run.stderr + logText(logs);
    for (const token of tokens) expect(everything).not.toContain(token.split('.')[1]);
    for (const h of ['cp2', 'cp3']) expect(lab.readFile(h, '/etc/kubernetes/admin.conf'), h).toContain('kind: Config');
  }, 1_200_000);

  it('second apply: zero changes', async () => {
    const again = await kubesmith(['apply', '-i', inv, '--output', 'json']);
    expect(again.code).toBe(0);
    expect(changedCount(again)).toBe(0);
  }, 900_000);
});
