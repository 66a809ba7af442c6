/**
 * Issue 14: `kill -9` of `kubesmith upgrade` at random moments, then a re-run, always ends in the state an
 * uninterrupted upgrade leaves. 1 control plane + 1 worker (real etcd: the backup and the health gates read it),
 * 1.33.5 → 1.34.1. The reference: an uninterrupted upgrade on fresh hosts; its playbook's events (JSON lines from the
 * first task on) are the moments. Each trial: fresh hosts at 1.33.5, `kubesmith upgrade` as a child process killed
 * with SIGKILL after a random number of those events plus a random delay (up to KUBESMITH_UPGRADE_KILL_MAX_DELAY_MS,
 * default 1000), then `kubesmith upgrade` again; both hosts' digests (faults-helpers.ts hostDigest plus what an
 * upgrade changes: every node's version and schedulability, the static pods' images, kubeadm-config's
 * kubernetesVersion, kube-proxy's image, each node's upgrade record) must equal the reference's. Before the trials,
 * the narrowest window (killed after the last kubelet restarted, before its uncordon was recorded) is made by hand on
 * the reference and finished by a re-run.
 * Then a window no event can aim at: kubeadm upgrade apply dies right after its upload-config phase (the lab's phase
 * fault, test/lab/README.md "Faults"), as it does when our SSH session dies under it: static pods and kubeadm-config at
 * the target, its addon phase (kube-proxy, CoreDNS) not run; the re-run must run the apply again.
 * Seeds: each trial has its own (its kill moment comes from it alone): KUBESMITH_UPGRADE_KILL_SEEDS="s1,s2,..." runs
 * exactly those (replay a failed trial with the seed it printed); otherwise KUBESMITH_UPGRADE_KILL_TRIALS trials
 * (default 3: CI's budget; the issue asks for 10 at least once) with seeds KUBESMITH_UPGRADE_KILL_SEED (default: the
 * clock), +1, +2, …
 * Found and fixed by earlier runs: a step the host showed done but a kill left unrecorded stayed out of the record
 * (seed 2, trials 5 and 9); the re-run's survey took etcd restarting after `kubeadm upgrade apply` for a blocker
 * (seed 14, trial 7).
 * 10 seeds 101..110 (2026-12-07, with the kubeadm phase window and the CNI phase in the playbook): 38 events; the
 * hand-made window and the upload-config window finished; killed during upgrade.backup (5: seeds 101, 103, 105, 106,
 * 110), upgrade.control-plane (1: 108), upgrade.workers (4: 102, 104, 107, 109); all 10 re-runs converged (1291 s).
 * Earlier, 10-trial run, seed 14 (2026-12-07): 26 events; the hand-made window finished; trials killed
 * during upgrade.backup (6), upgrade.control-plane (1), upgrade.workers (2), 1 finished first (event 25/26 + 876 ms);
 * all 10 re-runs converged to the reference digests. Earlier time-based runs (kill at a fraction of the reference's
 * duration; seeds 2 and 14, 22 trials, mostly during upgrade.control-plane) found the two bugs above.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Lab } from '../lab/lab.js';
import { random } from '../lab/helpers/random.js';
import { ADMIN, upEtcdLab, waitEtcd, type EtcdLab } from './etcd-lab.js';
import { difference, hostDigest, spawnKubesmith } from './faults-helpers.js';
import { kubesmith, labReady } from './helpers.js';

const NAME = 'e2e-upgrade-kill';
const BASE_SEED = Number(process.env.KUBESMITH_UPGRADE_KILL_SEED ?? Date.now() % 100_000);
/** One seed per trial: the listed ones, or TRIALS consecutive seeds from BASE_SEED. */
const SEEDS = process.env.KUBESMITH_UPGRADE_KILL_SEEDS
  ? process.env.KUBESMITH_UPGRADE_KILL_SEEDS.split(',').map((x) => Number(x.trim()))
  : Array.from({ length: Number(process.env.KUBESMITH_UPGRADE_KILL_TRIALS ?? 3) }, (_, i) => BASE_SEED + i);
if (SEEDS.some((x) => !Number.isInteger(x))) throw new Error(`KUBESMITH_UPGRADE_KILL_SEEDS: integers expected, got ${SEEDS.join(',')}`);
const HOSTS = ['cp1', 'w1'];
const TARGET = '1.34.1';
const MAX_DELAY_MS = Number(process.env.KUBESMITH_UPGRADE_KILL_MAX_DELAY_MS ?? 1000);

if (!labReady()) console.warn('skipping test/e2e/upgrade-kill.test.ts: needs root and the lab emulators');

/** What an upgrade changes beyond hostDigest, normalized (no stamps, no serials). */
async function upgradeDigest(lab: Lab, host: string, controlPlane: boolean): Promise<Record<string, unknown>> {
  const sh = async (cmd: string) => (await lab.exec(host, cmd)).stdout.trim();
  const d: Record<string, unknown> = {
    record: lab.readFile(host, `/var/lib/kubesmith/upgrade/v${TARGET}.json`),
    manifests: await sh("grep -h '^ *image:' /etc/kubernetes/manifests/*.yaml 2>/dev/null | sed 's/^ *//;s/:[0-9]*\\//\\//' | sort"),
    kubeletConfig: lab.readFile(host, '/var/lib/kubelet/config.yaml') !== null,
  };
  if (controlPlane) {
    const kc = `kubectl --kubeconfig ${ADMIN}`;
    d.nodeVersions = await sh(
      `${kc} get nodes -o jsonpath='{range .items[*]}{.metadata.name} {.status.nodeInfo.kubeletVersion} unschedulable={.spec.unschedulable}{"\\n"}{end}' | sort`,
    );
    d.clusterVersion = await sh(`${kc} -n kube-system get cm kubeadm-config -o yaml | grep -o 'kubernetesVersion: *v[0-9.]*'`);
    d.kubeProxy = await sh(
      `${kc} -n kube-system get ds kube-proxy -o jsonpath='{.spec.template.spec.containers[0].image}' | sed 's/.*://'`,
    );
  }
  return d;
}

describe.skipIf(!labReady())(`kill -9 at ${SEEDS.length} random moments of an upgrade (seeds ${SEEDS.join(',')})`, () => {
  let c: EtcdLab | undefined;

  /** Fresh hosts, a 1.33.5 cluster built by apply, the inventory then asking for the target. */
  async function freshCluster(): Promise<{ c: EtcdLab; cwd: string }> {
    await c?.down();
    c = await upEtcdLab(NAME, ['cp1'], ['w1']);
    const cwd = mkdtempSync(join(tmpdir(), 'ks-upgrade-kill-'));
    const inventory = (version: string) =>
      c!.lab.writeInventory(c!.inv, {
        controlPlanes: ['cp1'],
        workers: ['w1'],
        clusterName: 'killupgrade',
        extra: {
          kubernetes: { version, podSubnet: '10.244.0.0/16' },
          network: { plugin: 'flannel', flannel: { backend: 'vxlan' } },
          containerRuntime: { registryMirrors: { 'registry.k8s.io': [c!.registry.url], 'ghcr.io': [c!.registry.url] } },
        },
      });
    inventory('1.33.5');
    const run = await kubesmith(['apply', '-i', c.inv, '--output', 'json'], cwd);
    if (run.code !== 0) throw new Error(`apply failed:\n${run.stdout.slice(-4000)}\n${run.stderr.slice(-2000)}`);
    await waitEtcd(c.lab, 'cp1');
    inventory(TARGET);
    return { c, cwd };
  }

  const digest = async (e: EtcdLab) => {
    const port = e.registry.url.replace(/^.*:/, '');
    const all: Record<string, unknown> = {};
    for (const h of HOSTS) {
      const base = await hostDigest(e.lab, h, h === 'cp1');
      // kubeadm's backups under /etc/kubernetes/tmp carry the time they were taken in their names
      base.kubernetesFiles = String(base.kubernetesFiles)
        .split('\n')
        .filter((f) => !f.startsWith('./tmp/'))
        .join('\n');
      all[h] = { ...base, ...(await upgradeDigest(e.lab, h, h === 'cp1')) };
    }
    return JSON.parse(JSON.stringify(all).split(`:${port}`).join(':PORT')) as Record<string, unknown>;
  };

  afterAll(async () => {
    await c?.down();
  }, 120_000);

  it('each interrupted upgrade, run again, ends in the state of an uninterrupted one', async () => {
    const ref = await freshCluster();
    const clean = await kubesmith(['upgrade', '-i', ref.c.inv, '--yes', '--output', 'json'], ref.cwd);
    expect(clean.code, clean.stdout.slice(-4000)).toBe(0);
    // the moments: the playbook's events (task starts, plans, logs, host outcomes), counted from its first task
    const events = clean.stdout.slice(clean.stdout.indexOf('"type":"task.start"')).split('\n').length;
    expect(events).toBeGreaterThan(10);
    const expected = await digest(ref.c);
    expect((expected.cp1 as { nodeVersions: string }).nodeVersions).toBe(`cp1 v${TARGET} unschedulable=\nw1 v${TARGET} unschedulable=`);

    // the narrowest window, made by hand on the upgraded reference: killed after the last kubelet restarted, before
    // its uncordon was recorded (every kubelet at the target: the route alone would say "nothing to upgrade")
    const record = JSON.parse(ref.c.lab.readFile('w1', `/var/lib/kubesmith/upgrade/v${TARGET}.json`)!) as { done: string[] };
    record.done = record.done.filter((s) => s !== 'uncordon');
    await ref.c.lab.exec('w1', `echo '${JSON.stringify(record)}' > /var/lib/kubesmith/upgrade/v${TARGET}.json`);
    expect((await ref.c.lab.exec('cp1', `kubectl --kubeconfig ${ADMIN} cordon w1`)).code).toBe(0);
    const finish = await kubesmith(['upgrade', '-i', ref.c.inv, '--yes'], ref.cwd);
    expect(finish.stderr, finish.stdout.slice(-3000)).toContain(`upgrading to ${TARGET}`);
    expect(finish.code).toBe(0);
    expect(difference(expected, await digest(ref.c))).toBe('');

    // kubeadm upgrade apply dies after upload-config, before its addon phase: the re-run applies again
    const phase = await freshCluster();
    await phase.c.lab.failNext('cp1', 'kubeadm.after-upload-config', 1);
    const cut = await kubesmith(['upgrade', '-i', phase.c.inv, '--yes'], phase.cwd);
    expect(cut.code, cut.stdout.slice(-3000)).not.toBe(0);
    expect((await phase.c.lab.exec('cp1', `kubectl --kubeconfig ${ADMIN} -n kube-system get ds kube-proxy -o yaml`)).stdout).toContain(
      'kube-proxy:v1.33.5',
    );
    const resumed = await kubesmith(['upgrade', '-i', phase.c.inv, '--yes'], phase.cwd);
    expect(resumed.code, resumed.stdout.slice(-3000)).toBe(0);
    const applies = phase.c.lab.journal('cp1').filter((l) => / kubeadm upgrade apply /.test(l));
    expect(applies.length, applies.join('\n')).toBe(2); // the cut one, and again
    expect(difference(expected, await digest(phase.c))).toBe('');

    const report: string[] = [];
    const failures: string[] = [];
    for (const [i, seed] of SEEDS.entries()) {
      const trial = i + 1;
      const rand = random(seed);
      const { c: e, cwd } = await freshCluster();
      const event = Math.floor(rand() * events);
      const delay = Math.round(rand() * MAX_DELAY_MS);
      const run = spawnKubesmith(['upgrade', '-i', e.inv, '--yes', '--output', 'json'], cwd);
      let armed = false;
      const watch = setInterval(() => {
        const out = run.stdout();
        const at = out.indexOf('"type":"task.start"');
        if (!armed && at >= 0 && out.slice(at).split('\n').length > event) {
          armed = true;
          setTimeout(() => run.process.kill('SIGKILL'), delay);
        }
      }, 20);
      const exit = await run.exit;
      clearInterval(watch);
      const lastTask = [...run.stdout().matchAll(/"type":"task\.start","task":"([^"]+)"/g)].pop()?.[1] ?? '(none)';
      report.push(
        `trial ${trial} (seed ${seed}; replay: KUBESMITH_UPGRADE_KILL_SEEDS=${seed}): event ${event + 1}/${events} + ${delay} ms: ${
          exit.signal === 'SIGKILL' ? `killed during ${lastTask}` : `finished first, exit ${exit.code}`
        }`,
      );
      const rerun = await kubesmith(['upgrade', '-i', e.inv, '--yes'], cwd);
      const got = rerun.code === 0 ? await digest(e) : undefined;
      const same = got !== undefined && JSON.stringify(got) === JSON.stringify(expected);
      if (rerun.code !== 0)
        failures.push(`${report.at(-1)}: the re-run exited ${rerun.code}:\n${(rerun.stdout + rerun.stderr).slice(-2500)}`);
      else if (!same) failures.push(`${report.at(-1)}: the re-run ended in another state:\n${difference(expected, got!)}`);
      report[report.length - 1] += rerun.code === 0 && same ? ': converged' : ': DID NOT CONVERGE';
      console.log(report.at(-1));
    }
    console.log(`upgrade kill -9 trials (seeds ${SEEDS.join(',')}, ${events} events in an uninterrupted playbook):\n${report.join('\n')}`);
    expect(failures, failures.join('\n\n')).toEqual([]);
  }, 14_400_000);
});
