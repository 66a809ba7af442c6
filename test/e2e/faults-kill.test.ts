/**
 * Fault tolerance, issue 8 item 4: `kill -9` of kubesmith at random moments of an apply. Each trial starts from fresh
 * hosts, kills the CLI (a child process) at a random moment of the apply, runs apply again, and compares each host's
 * state (files, packages, services, nodes — see hostDigest) with the state an uninterrupted apply left.
 * Trials: KUBESMITH_KILL_TRIALS (default 5; the issue asks for 20 at least once); seed: KUBESMITH_KILL_SEED;
 * KUBESMITH_KILL_TASK=<task id> kills during that task only (random delay up to KUBESMITH_KILL_MAX_DELAY_MS, default 1500).
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { labDown, labUp, type Lab } from '../lab/lab.js';
import { difference, hostDigest, spawnKubesmith } from './faults-helpers.js';
import { kubesmith, labReady, seedAptKeys } from './helpers.js';
import { bridgeIp, startLabRegistry, type LabRegistry } from './registry.js';
import { random } from '../lab/helpers/random.js';

const NAME = process.env.KUBESMITH_KILL_TASK ? 'e2e-faults-kill-task' : 'e2e-faults-kill';
const TRIALS = Number(process.env.KUBESMITH_KILL_TRIALS ?? 5);
const SEED = Number(process.env.KUBESMITH_KILL_SEED ?? Date.now() % 100_000);
const HOSTS = ['cp1', 'w1'];

describe.skipIf(!labReady())(`faults: kill -9 at ${TRIALS} random moments of an apply (seed ${SEED})`, () => {
  let lab: Lab | undefined;
  let registry: LabRegistry | undefined;

  async function freshCluster(): Promise<{ lab: Lab; inv: string }> {
    await registry?.close();
    if (lab) await labDown(NAME);
    lab = await labUp({ name: NAME, hosts: HOSTS.map((name) => ({ name })) });
    await seedAptKeys(lab);
    registry = await startLabRegistry(bridgeIp(lab.subnet));
    const inv = join(lab.root, 'inventory.yaml');
    // clusterName fixed so every instance renders the same files
    lab.writeInventory(inv, {
      controlPlanes: ['cp1'],
      workers: ['w1'],
      clusterName: 'killtest',
      extra: { containerRuntime: { registryMirrors: { 'registry.k8s.io': [registry.url], 'ghcr.io': [registry.url] } } },
    });
    return { lab, inv };
  }

  const digest = async (l: Lab) => {
    const port = registry!.url.replace(/^.*:/, '');
    const all = Object.fromEntries(await Promise.all(HOSTS.map(async (h) => [h, await hostDigest(l, h, h === 'cp1')] as const)));
    return JSON.parse(JSON.stringify(all).split(`:${port}`).join(':PORT')) as Record<string, unknown>;
  };

  afterAll(async () => {
    await registry?.close();
    if (lab) await labDown(NAME);
  }, 120_000);

  it('each interrupted apply, run again, ends in the state of an uninterrupted one', async () => {
    const rand = random(SEED);
    const ref = await freshCluster();
    const t0 = Date.now();
    const clean = await kubesmith(['apply', '-i', ref.inv, '--output', 'json']);
    const stepTasks = [...clean.stdout.matchAll(/"type":"task\.start","task":"([^"]+)"/g)].map((m) => m[1]!);
    const steps = stepTasks.length;
    const only = process.env.KUBESMITH_KILL_TASK;
    if (only) expect(stepTasks, `KUBESMITH_KILL_TASK=${only}`).toContain(only);
    const maxDelay = Number(process.env.KUBESMITH_KILL_MAX_DELAY_MS ?? 1500);
    expect(steps).toBeGreaterThan(10);
    const refMs = Date.now() - t0;
    expect(clean.code, clean.stdout.slice(-3000)).toBe(0);
    const expected = await digest(ref.lab);
    expect((expected.cp1 as { nodes: string[] }).nodes).toEqual(['cp1 Ready=True', 'w1 Ready=True']);

    const report: string[] = [];
    const failures: string[] = [];
    for (let trial = 1; trial <= TRIALS; trial++) {
      const { lab: l, inv } = await freshCluster();
      // the moment: a random step of the playbook, then a random delay within it
      const step = only ? stepTasks.indexOf(only) : Math.floor(rand() * steps);
      const delay = Math.round(rand() * maxDelay);
      const child = spawnKubesmith(['apply', '-i', inv, '--output', 'json']);
      const started = Date.now();
      let killedAt = -1;
      const watch = setInterval(() => {
        if ((child.stdout().match(/"type":"task\.start"/g)?.length ?? 0) > step && killedAt < 0) {
          killedAt = Date.now() - started + delay;
          setTimeout(() => child.process.kill('SIGKILL'), delay);
        }
      }, 20);
      const exit = await child.exit;
      clearInterval(watch);
      const at = killedAt;
      const lastStep = [...child.stdout().matchAll(/"type":"task\.start","task":"([^"]+)"/g)].pop()?.[1] ?? '(none)';
      report.push(
        `trial ${trial}: step ${step + 1}/${steps} + ${delay} ms (${at} ms): ${exit.signal === 'SIGKILL' ? `killed during ${lastStep}` : `finished first, exit ${exit.code}`}`,
      );
      const rerun = await kubesmith(['apply', '-i', inv]);
      const got = rerun.code === 0 ? await digest(l) : undefined;
      const same = got !== undefined && JSON.stringify(got) === JSON.stringify(expected);
      if (rerun.code !== 0) failures.push(`${report.at(-1)}: the re-run exited ${rerun.code}:\n${rerun.stdout.slice(-1500)}`);
      else if (!same) failures.push(`${report.at(-1)}: the re-run ended in another state:\n${difference(expected, got!)}`);
      report[report.length - 1] += rerun.code === 0 && same ? ': converged' : ': DID NOT CONVERGE';
    }
    console.log(`kill -9 trials (seed ${SEED}, uninterrupted apply ${refMs} ms):\n${report.join('\n')}`);
    expect(failures, report.join('\n')).toEqual([]);
  }, 3_600_000);
});
