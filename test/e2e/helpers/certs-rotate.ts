/**
 * The certs rotate-ca suite (certs-rotate-ca.test.ts: 1 control plane + 1 worker; certs-rotate-ca-ha.test.ts: 3 + 2),
 * with a 2-replica workload: the plan shows every step and
 * writes nothing; the rotation, killed with -9 once the new CA is trusted on the control plane, completes on a re-run
 * (it decides from the certificates on the hosts); afterwards every certificate chains to the new CA, the old CA is in
 * no trust file of any node nor the admin machine's kubeconfig, the old admin.conf is refused, kubectl works with the
 * new one, kube-root-ca.crt holds only the new CA, and the workload kept at least one ready replica whenever the API
 * answered. The lab's API server, kubelet and controller-manager judge certificates against the bundles they loaded at
 * their last start (test/lab/emulators/src/kube/trust.ts), so a step done out of order fails here. With `serving`
 * (serverTLSBootstrap) each kubelet's serving certificate, from the old CA before, chains to the new CA afterwards and
 * not to the old (the lab's kubelet keeps a valid pair, as the real one does, so the rotation must re-issue it).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labDown, labUp, type Lab } from '../../lab/lab.js';
import { kubesmith, labReady, seedAptKeys } from '../helpers.js';
import { bridgeIp, startLabRegistry, type LabRegistry } from '../registry.js';
import { clusterExtra, emulatedRuntime, startStaticPods } from './certs-lab.js';
import { spawnKubesmith, until } from '../faults-helpers.js';
import { shopDeployment } from '../../lab/workloads.js';

const ADMIN = '/etc/kubernetes/admin.conf';
const TRUST_FILES = [
  '/etc/kubernetes/pki/ca.crt',
  '/etc/kubernetes/kubelet.conf',
  ADMIN,
  '/etc/kubernetes/controller-manager.conf',
  '/etc/kubernetes/scheduler.conf',
  '/etc/kubernetes/super-admin.conf',
  '/root/.kube/config',
];

/** sha256 fingerprints of every certificate in the CA data of a host's trust files (ca.crt, kubeconfigs). */
const FINGERPRINTS = `for f in ${TRUST_FILES.join(' ')}; do [ -e "$f" ] || continue
  case "$f" in *.crt) cat "$f" ;; *) sed -n 's/^ *certificate-authority-data: *//p' "$f" | base64 -d ;; esac > /tmp/b.pem
  csplit -s -z -f /tmp/c- /tmp/b.pem '/-----BEGIN CERTIFICATE-----/' '{*}'
  for c in /tmp/c-*; do echo "$f $(openssl x509 -noout -fingerprint -sha256 -in "$c" | cut -d= -f2)"; done; rm -f /tmp/c-* /tmp/b.pem
done`;

/**
 * A lab cluster for the rotation suites: `cps` + `workers`, emulated runtime, static pods on every control plane, a
 * 2-replica Deployment "shop" and a copy of the first admin.conf as /root/old-admin.conf on cp1.
 */
export async function upRotateLab(
  name: string,
  cps: string[],
  workers: string[],
  admin: string,
  serverTLSBootstrap = false,
): Promise<{ lab: Lab; inv: string; registry: LabRegistry }> {
  const hosts = [...cps, ...workers];
  const lab = await labUp({ name, hosts: hosts.map((h) => ({ name: h })) });
  await seedAptKeys(lab);
  await emulatedRuntime(lab);
  const inv = join(lab.root, 'inventory.yaml');
  const registry = await startLabRegistry(bridgeIp(lab.subnet));
  const endpoint = cps.length > 1 ? `${lab.hosts.find((h) => h.name === 'cp1')!.ip}:6443` : undefined;
  const extra = { ...clusterExtra(registry.url, endpoint), ...(serverTLSBootstrap ? { kubelet: { serverTLSBootstrap: true } } : {}) };
  lab.writeInventory(inv, { controlPlanes: cps, workers, extra });
  const run = await kubesmith(['apply', '-i', inv, '--output', 'json'], admin);
  if (run.code !== 0) throw new Error(`apply failed:\n${run.stdout.slice(-4000)}\n${run.stderr}`);
  for (const h of cps) await startStaticPods(lab, h);
  const held = await Promise.all(hosts.map(async (h) => (await lab.exec(h, 'lab-images')).stdout.split('\n').filter(Boolean)));
  const everywhere = held[0]!.filter((i) => held.every((l) => l.includes(i)));
  const image = everywhere.find((i) => /\/pause:/.test(i)) ?? everywhere[0];
  if (!image) throw new Error(`no image on every node: ${JSON.stringify(held)}`);
  const applied = await lab.exec('cp1', `kubectl --kubeconfig ${ADMIN} apply -f -`, { input: shopDeployment(image) });
  if (applied.code !== 0) throw new Error(`workload: ${applied.stderr}`);
  await lab.exec('cp1', `cp ${ADMIN} /root/old-admin.conf`);
  return { lab, inv, registry };
}

/** Poll the Deployment "shop"'s ready replicas every second until stopped (answers of a working API only). */
export function watchReady(kubectl: (args: string) => Promise<{ code: number; stdout: string }>): { stop(): Promise<number[]> } {
  const ready: number[] = [];
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const r = await kubectl('get deploy shop -o jsonpath={.status.readyReplicas}');
      if (r.code === 0) ready.push(Number(r.stdout.trim() || '0'));
      await new Promise((res) => setTimeout(res, 1000));
    }
  })();
  return {
    async stop() {
      polling = false;
      await poller;
      return ready;
    },
  };
}

/**
 * Start the rotation `args`, kill it with -9 once `midway` holds, check the plan says it is `underway`, run it again
 * to completion; the Deployment "shop" must keep a ready replica whenever the API answered.
 */
export async function killMidwayThenRerun(o: {
  kubectl: (args: string) => Promise<{ code: number; stdout: string }>;
  args: string[];
  planArgs: string[];
  admin: string;
  midway: [string, () => Promise<boolean>];
  underway: string;
}): Promise<void> {
  expect((await o.kubectl('get deploy shop -o jsonpath={.status.readyReplicas}')).stdout).toBe('2');
  const watch = watchReady(o.kubectl);
  let ready: number[] = [];
  try {
    const first = spawnKubesmith(o.args, o.admin);
    let ended = false;
    void first.exit.then(() => (ended = true));
    await until(
      o.midway[0],
      async () => {
        if (ended) throw new Error(`the run ended before ${o.midway[0]}:\n${first.stdout().slice(-6000)}`);
        return o.midway[1]();
      },
      600_000,
      500,
    );
    first.process.kill('SIGKILL');
    expect((await first.exit).signal).toBe('SIGKILL');
    const plan = await kubesmith(o.planArgs, o.admin);
    expect(plan.stdout).toContain(o.underway);
    const rerun = await kubesmith(o.args, o.admin);
    expect(rerun.code, rerun.stdout.slice(-5000) + rerun.stderr.slice(-3000)).toBe(0);
  } finally {
    ready = await watch.stop();
  }
  expect(ready.length).toBeGreaterThan(10);
  expect(
    ready.filter((n) => n < 1),
    ready.join(','),
  ).toEqual([]);
}

/** The kubelet's serving certificate with serverTLSBootstrap, checked against `caFile` on `host`. */
const SERVING = '/var/lib/kubelet/pki/kubelet-server-current.pem';
const verifyServing = (lab: Lab, host: string, caFile: string) =>
  lab.exec(host, `openssl verify -CAfile ${caFile} ${SERVING} 2>&1`).then((r) => r.stdout);

/**
 * `serving`: spec.kubelet.serverTLSBootstrap on, so each kubelet's serving certificate comes from the cluster CA (and
 * kubesmith's approver); afterwards each must chain to the new CA and none to the old.
 */
export function rotateCaSuite(NAME: string, cps: string[], workers: string[], serving = false): void {
  const HOSTS = [...cps, ...workers];
  describe.skipIf(!labReady())(
    `certs rotate-ca: a new cluster CA without downtime (${cps.length} control plane(s) + ${workers.length} worker(s))`,
    () => {
      let lab: Lab;
      let inv: string;
      let registry: LabRegistry;
      const admin = mkdtempSync(join(tmpdir(), 'ks-rotate-ca-'));
      const kubectl = (args: string, kubeconfig = ADMIN) => lab.exec('cp1', `kubectl --kubeconfig ${kubeconfig} ${args}`);
      const fingerprint = async (host: string, file: string) =>
        (await lab.exec(host, `openssl x509 -noout -fingerprint -sha256 -in ${file} | cut -d= -f2`)).stdout.trim();
      let oldCa = '';

      beforeAll(async () => {
        ({ lab, inv, registry } = await upRotateLab(NAME, cps, workers, admin, serving));
        oldCa = await fingerprint('cp1', '/etc/kubernetes/pki/ca.crt');
        if (serving)
          for (const h of HOSTS) {
            await lab.exec(h, 'cp /etc/kubernetes/pki/ca.crt /root/old-ca.crt');
            // apply approved the kubelets' requests; each kubelet stores its certificate (from the old CA) as issued
            await until(
              `${h}'s serving certificate`,
              async () => /: OK$/m.test(await verifyServing(lab, h, '/root/old-ca.crt')),
              60_000,
              500,
            );
          }
      }, 1_200_000);

      afterAll(async () => {
        await registry?.close();
        if (lab) await labDown(NAME);
      }, 120_000);

      it('--plan shows every step and changes nothing', async () => {
        const before = await lab.exec('cp1', 'sha256sum /etc/kubernetes/pki/ca.crt /etc/kubernetes/pki/ca.key; ls /etc/kubernetes/pki');
        const run = await kubesmith(['certs', 'rotate-ca', '-i', inv, '--plan'], admin);
        expect(run.code, run.stdout + run.stderr).toBe(0);
        for (const step of [
          'back up',
          'generate the new CA on cp1',
          'cp1: trust old+new',
          'w1: trust old+new',
          'w1: re-issue',
          'w1: remove the old CA',
          'fetch the new admin.conf',
          ...(serving ? HOSTS.map((h) => `${h}: move its kubelet serving certificate aside`) : []),
        ])
          expect(run.stdout, step).toContain(step);
        if (serving) expect(run.stdout.indexOf('w1: move its kubelet serving')).toBeLessThan(run.stdout.indexOf('cp1: remove the old CA'));
        expect(run.stdout.indexOf('w1: trust old+new')).toBeLessThan(run.stdout.indexOf('cp1: re-issue'));
        expect(run.stdout.indexOf('w1: re-issue')).toBeLessThan(run.stdout.indexOf('cp1: remove the old CA'));
        const same = await kubesmith(['plan', '-i', inv, 'certs-rotate-ca'], admin);
        expect(same.stdout).toBe(run.stdout);
        expect(
          (await lab.exec('cp1', 'sha256sum /etc/kubernetes/pki/ca.crt /etc/kubernetes/pki/ca.key; ls /etc/kubernetes/pki')).stdout,
        ).toBe(before.stdout);
      }, 300_000);

      it('killed with -9 mid-rotation, a re-run completes it; the workload keeps a ready replica throughout', async () => {
        expect((await kubectl('get deploy shop -o jsonpath={.status.readyReplicas}')).stdout).toBe('2');
        await killMidwayThenRerun({
          kubectl: (a) => kubectl(a),
          args: ['certs', 'rotate-ca', '-i', inv, '--yes', '--restart-wait', '3', '--health-timeout', '120'],
          planArgs: ['certs', 'rotate-ca', '-i', inv, '--plan'],
          admin,
          // the control plane trusts both CAs: stop the run hard in the middle of the rotation
          midway: [
            'cp1 trusting both CAs',
            async () => (await lab.exec('cp1', 'grep -c "BEGIN CERTIFICATE" /etc/kubernetes/pki/ca.crt')).stdout.trim() === '2',
          ],
          underway: 'A rotation of the cluster CA is under way',
        });
      }, 1_800_000);

      it('afterwards: every certificate chains to the new CA, the old CA is trusted nowhere, kubectl works with the new admin.conf', async () => {
        const newCa = await fingerprint('cp1', '/etc/kubernetes/pki/ca.crt');
        expect(newCa).not.toBe(oldCa);
        for (const h of HOSTS) {
          const seen = (await lab.exec(h, FINGERPRINTS)).stdout.trim().split('\n');
          expect(seen.length, h).toBeGreaterThan(1);
          for (const line of seen) expect(line, h).toMatch(new RegExp(`${newCa}$`));
        }
        for (const leaf of ['apiserver', 'apiserver-kubelet-client'])
          expect(
            (await lab.exec('cp1', `openssl verify -CAfile /etc/kubernetes/pki/ca.crt /etc/kubernetes/pki/${leaf}.crt`)).stdout,
          ).toMatch(/: OK$/m);
        for (const h of HOSTS) {
          const v = await lab.exec(h, 'openssl verify -CAfile /etc/kubernetes/pki/ca.crt /var/lib/kubelet/pki/kubelet-client-current.pem');
          expect(v.stdout + v.stderr, h).toMatch(/: OK$/m);
        }
        if (serving)
          for (const h of HOSTS) {
            expect(await verifyServing(lab, h, '/etc/kubernetes/pki/ca.crt'), h).toMatch(/: OK$/m);
            expect(await verifyServing(lab, h, '/root/old-ca.crt'), h).not.toMatch(/: OK$/m);
            // the old pair is in the run's backup, not deleted
            expect((await lab.exec(h, 'ls /var/backups/kubesmith/*/kubelet-serving/')).stdout, h).toMatch(/kubelet-server-current\.pem/);
          }
        for (const h of cps) expect((await lab.exec(h, 'test -e /etc/kubernetes/pki/ca-rotation')).code, h).not.toBe(0);
        // the admin machine's admin.conf: only the new CA, and kubectl works with it
        const local = readFileSync(join(admin, '.kubesmith', lab.name, 'admin.conf'), 'utf8');
        const put = await lab.exec('cp1', 'cat > /root/new-admin.conf', { input: local });
        expect(put.code).toBe(0);
        const nodes = await kubectl('get nodes --no-headers', '/root/new-admin.conf');
        expect(
          nodes.stdout
            .trim()
            .split('\n')
            .map((l) => l.split(/\s+/).slice(0, 2).join(' ')),
        ).toEqual(HOSTS.map((h) => `${h} Ready`));
        // the old admin.conf is refused: its client certificate and its CA are the old CA's
        const old = await kubectl('get nodes', '/root/old-admin.conf');
        expect(old.code).not.toBe(0);
        expect(old.stderr).toMatch(/certificate signed by unknown authority|Unauthorized/);
        // aggregated API servers' view: the API servers publish their client CA combined with what was there
        const ext = await kubectl('get configmap extension-apiserver-authentication -n kube-system -o json');
        const clientCas = JSON.parse(ext.stdout).data['client-ca-file'] as string;
        expect(clientCas.match(/BEGIN CERTIFICATE/g)?.length).toBe(1);
        const root = await kubectl('get configmap kube-root-ca.crt -n default -o json');
        const bundle = JSON.parse(root.stdout).data['ca.crt'] as string;
        expect(bundle.match(/BEGIN CERTIFICATE/g)?.length).toBe(1);
        const check = await kubesmith(['certs', 'check', '-i', inv], admin);
        expect(check.code, check.stdout + check.stderr).toBe(0);
        expect((await kubectl('get deploy shop -o jsonpath={.status.readyReplicas}')).stdout).toBe('2');
      }, 300_000);
    },
  );
}
