/**
 * Fault tolerance, issue 8 items 1 and 3:
 * - a host unreachable before the run: reported at connect, the run stops, nothing changes on any host;
 * - a command that hangs: the per-command timeout (spec.ssh.commandTimeoutSeconds) or the task timeout (--timeout)
 *   fires; on a control plane the run stops, on a worker it goes on without it; the hung remote process is killed,
 *   no process is left on the admin machine, and a re-run converges.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCK_PATH } from '../../src/engine/lock.js';
import { labDown, labUp, type Lab } from '../lab/lab.js';
import { childProcesses, hostDigest } from './faults-helpers.js';
import { events, hostOutcomes, kubesmith, labReady, seedAptKeys, writesIn } from './helpers.js';
import { bridgeIp, startLabRegistry, type LabRegistry } from './registry.js';

const NAME = 'e2e-faults-connect';
const HOSTS = ['cp1', 'w1', 'w2'];

interface RunEnd {
  ok: boolean;
  stoppedBy?: { task: string; host: string };
  recap: {
    hosts: {
      host: string;
      failed: number;
      failure?: { task: string; message: string; command?: string; exitCode?: number; hint?: string };
    }[];
  };
}

describe.skipIf(!labReady())('faults: unreachable host, hanging commands', () => {
  let lab: Lab;
  let inv: string;
  let registry: LabRegistry;
  const write = (ssh: Record<string, unknown>) =>
    lab.writeInventory(inv, {
      controlPlanes: ['cp1'],
      workers: ['w1', 'w2'],
      extra: {
        ssh: { connectTimeoutSeconds: 2, ...ssh },
        containerRuntime: { registryMirrors: { 'registry.k8s.io': [registry.url], 'ghcr.io': [registry.url] } },
      },
    });
  const runEnd = (run: { stdout: string }) =>
    events({ code: 0, stdout: run.stdout, stderr: '' }).find((e) => e.type === 'run.end') as unknown as RunEnd;
  const sleepers = async (h: string) =>
    (await lab.exec(h, 'pgrep -a -x sleep || true')).stdout.split('\n').filter((l) => l.includes('infinity'));

  beforeAll(async () => {
    lab = await labUp({ name: NAME, hosts: HOSTS.map((name) => ({ name })) });
    await seedAptKeys(lab);
    registry = await startLabRegistry(bridgeIp(lab.subnet));
    inv = join(lab.root, 'inventory.yaml');
  }, 120_000);

  afterAll(async () => {
    await registry?.close();
    if (lab) await labDown(NAME);
  }, 120_000);

  it('a host unreachable before the run: named at connect, the run stops, nothing changed anywhere', async () => {
    write({});
    await lab.cutLink('w2');
    const before = HOSTS.map((h) => lab.journal(h).length);
    try {
      const run = await kubesmith(['apply', '-i', inv, '--output', 'json']);
      expect(run.code, run.stdout.slice(-3000)).toBe(1);
      const w2 = hostOutcomes(run).filter((e) => e.host === 'w2');
      expect(w2.map((e) => e.outcome)).toEqual(['unreachable']);
      expect(w2[0]!.error).toMatch(/w2/);
      const end = runEnd(run);
      expect(end.ok).toBe(false);
      expect(end.stoppedBy?.host).toBe('w2');
      expect(end.recap.hosts.find((h) => h.host === 'w2')?.failure?.message).toMatch(/w2/);
      // no step after the connect/lock step ran anywhere
      expect([...new Set(hostOutcomes(run).map((e) => e.task))]).toEqual(['run.lock']);
    } finally {
      await lab.restoreLink('w2');
    }
    for (const [i, h] of ['cp1', 'w1'].entries()) {
      expect(writesIn(lab.journal(h).slice(before[i])), h).toEqual([]);
      expect(lab.readFile(h, LOCK_PATH), `${h} lock released`).toBeNull();
      expect(lab.readFile(h, '/etc/sysctl.d/k8s.conf'), h).toBeNull();
    }
  }, 300_000);

  it('a command hanging on the control plane: --timeout fires, the run stops after that step', async () => {
    write({});
    await lab.failNext('cp1', 'modprobe', 1, 'hang');
    const children = childProcesses();
    const started = Date.now();
    const run = await kubesmith(['apply', '-i', inv, '--output', 'json', '--timeout', '15']);
    expect(run.code, run.stdout.slice(-3000)).toBe(1);
    expect(Date.now() - started).toBeLessThan(240_000);
    const end = runEnd(run);
    expect(end.stoppedBy).toEqual({ task: 'hostprep.modules', host: 'cp1' });
    expect(end.recap.hosts.find((h) => h.host === 'cp1')?.failure?.message).toMatch(/did not finish within 15s/);
    const tasks = hostOutcomes(run).map((e) => e.task);
    expect(tasks).not.toContain('hostprep.sysctl'); // the run stopped after the failing step
    expect(childProcesses()).toEqual(children);
    expect(await sleepers('cp1')).toEqual([]); // the task timeout killed the hung remote command too
    await lab.clearFault('cp1', 'modprobe');
  }, 300_000);

  it('a command hanging on a worker: commandTimeoutSeconds kills it, the others finish, a re-run converges', async () => {
    write({ commandTimeoutSeconds: 20 });
    await lab.failNext('w1', 'sysctl', 1, 'hang'); // hostprep.sysctl reads with sysctl -n on every run
    const children = childProcesses();
    const run = await kubesmith(['apply', '-i', inv, '--output', 'json']);
    expect(run.code, run.stdout.slice(-3000)).toBe(1);
    const end = runEnd(run);
    // the run went on to the end; only its last step (wait for nodes Ready, on cp1) may report the missing node
    if (end.stoppedBy) expect(end.stoppedBy.task).toBe('cluster.wait-ready');
    const cp1 = end.recap.hosts.find((h) => h.host === 'cp1')!;
    if (cp1.failed) expect(cp1.failure).toMatchObject({ task: 'cluster.wait-ready', message: expect.stringMatching(/w1: not joined/) });
    const w1 = end.recap.hosts.find((h) => h.host === 'w1')!;
    expect(w1.failure?.task).toBe('hostprep.sysctl');
    expect(w1.failure).toMatchObject({
      command: 'sysctl -n net.ipv4.ip_forward',
      exitCode: 124,
      hint: expect.stringMatching(/timed out after 20s; the remote process was killed/),
    });
    expect(end.recap.hosts.find((r) => r.host === 'w2')?.failed).toBe(0);
    const cp = await hostDigest(lab, 'cp1', true);
    expect(cp.nodes).toEqual(['cp1 Ready=True', 'w2 Ready=True']);
    expect(await sleepers('w1')).toEqual([]); // the hung process was killed on the host
    expect(childProcesses()).toEqual(children); // and nothing is left on the admin machine

    const rerun = await kubesmith(['apply', '-i', inv, '--output', 'json']);
    expect(rerun.code, rerun.stdout.slice(-3000)).toBe(0);
    expect((await hostDigest(lab, 'cp1', true)).nodes).toEqual(['cp1 Ready=True', 'w1 Ready=True', 'w2 Ready=True']);
  }, 600_000);
});
