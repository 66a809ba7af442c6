/**
 * An expired cluster comes back (issue 15 item 2), as a suite for any lab topology (certs-revive.test.ts: 1 + 1,
 * certs-revive-ha.test.ts: 3 control planes + 2 workers), with a workload: the lab clock of
 * every host moves 400 days forward → every leaf certificate expired, the API refuses kubectl with the real x509 text,
 * both nodes NotReady, the worker's kubelet cannot even start again → `certs check` exit 2 naming them → `certs renew
 * --yes` (control plane renewed locally, kubelet client re-signed on the node's clock, static pods restarted one by one,
 * the worker re-bootstrapped with a fresh token, admin.conf fetched) → `certs check` exit 0, nodes Ready, the workload
 * still there, nothing reset, old files backed up first.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labDown, labUp, type Lab } from '../../lab/lab.js';
import { kubesmith, labReady, seedAptKeys } from '../helpers.js';
import { bridgeIp, startLabRegistry, type LabRegistry } from '../registry.js';
import { clusterExtra, emulatedRuntime, journalSince, startStaticPods } from './certs-lab.js';
import { shopDeployment } from '../../lab/workloads.js';

const LEAVES = [
  'apiserver',
  'apiserver-etcd-client',
  'apiserver-kubelet-client',
  'etcd-healthcheck-client',
  'etcd-peer',
  'etcd-server',
  'front-proxy-client',
  'admin.conf',
  'super-admin.conf',
  'controller-manager.conf',
  'scheduler.conf',
  'kubelet-client',
];

const workload = (image: string) => `apiVersion: v1
kind: ConfigMap
metadata: { name: shop-config, namespace: default }
data: { greeting: still here }
---
${shopDeployment(image)}`;

/**
 * cp1's kubelet.conf in the shape `kubeadm init` wrote before 1.17: the client certificate and key embedded, and no
 * kubelet-client-current.pem (kubeadm issues #1753, #2185). The kubelet keeps running on the same identity.
 */
async function embedKubeletClient(lab: Lab): Promise<void> {
  const r = await lab.exec(
    'cp1',
    `set -e
p=/var/lib/kubelet/pki/kubelet-client-current.pem; c=/etc/kubernetes/kubelet.conf
cert=$(sed -n '/BEGIN CERTIFICATE/,/END CERTIFICATE/p' "$p" | base64 -w0)
key=$(sed -n '/BEGIN .*PRIVATE KEY/,/END .*PRIVATE KEY/p' "$p" | base64 -w0)
sed -i -e "s#^\\( *\\)client-certificate: .*#\\1client-certificate-data: $cert#" -e "s#^\\( *\\)client-key: .*#\\1client-key-data: $key#" "$c"
rm -f /var/lib/kubelet/pki/kubelet-client-*.pem`,
  );
  if (r.code !== 0) throw new Error(`embedding the kubelet client certificate: ${r.stderr}`);
}

/** o.embeddedKubeletConf: cp1 made by kubeadm init before 1.17 (see embedKubeletClient). */
export function reviveSuite(name: string, cps: string[], workers: string[], o: { embeddedKubeletConf?: boolean } = {}): void {
  const all = [...cps, ...workers];
  describe.skipIf(!labReady())(
    `certs: a cluster whose every certificate expired comes back (${cps.length} control plane(s) + ${workers.length} worker(s))`,
    () => {
      let lab: Lab;
      let inv: string;
      let registry: LabRegistry;
      const admin = mkdtempSync(join(tmpdir(), 'ks-certs-revive-'));
      const check = () => kubesmith(['certs', 'check', '-i', inv], admin);
      const kubectl = (args: string) => lab.exec('cp1', `kubectl --kubeconfig /etc/kubernetes/admin.conf ${args}`);
      const nodes = async () =>
        (await kubectl('get nodes --no-headers')).stdout
          .trim()
          .split('\n')
          .map((l) => l.split(/\s+/).slice(0, 2).join(' '));

      beforeAll(async () => {
        lab = await labUp({ name, hosts: all.map((h) => ({ name: h })) });
        await seedAptKeys(lab);
        await emulatedRuntime(lab);
        inv = join(lab.root, 'inventory.yaml');
        registry = await startLabRegistry(bridgeIp(lab.subnet));
        const endpoint = cps.length > 1 ? `${lab.hosts.find((h) => h.name === 'cp1')!.ip}:6443` : undefined;
        lab.writeInventory(inv, { controlPlanes: cps, workers, user: 'kube', extra: clusterExtra(registry.url, endpoint) });
        let run = await kubesmith(['apply', '-i', inv, '--output', 'json'], admin);
        if (run.code !== 0 && /connection was lost/.test(run.stdout))
          run = await kubesmith(['apply', '-i', inv, '--output', 'json'], admin); // lab under load; apply is idempotent
        if (run.code !== 0) throw new Error(`apply failed:\n${run.stdout.slice(-4000)}\n${run.stderr}`);
        for (const h of cps) await startStaticPods(lab, h);
        // the workload runs an image every node holds (there is no internet in the lab), the sandbox image if it is one
        const held = await Promise.all(all.map(async (h) => (await lab.exec(h, 'lab-images')).stdout.split('\n').filter(Boolean)));
        const everywhere = held[0]!.filter((i) => held.every((l) => l.includes(i)));
        const image = everywhere.find((i) => /\/pause:/.test(i)) ?? everywhere[0];
        if (!image) throw new Error(`no image on every node: ${JSON.stringify(held)}`);
        const applied = await lab.exec('cp1', 'kubectl --kubeconfig /etc/kubernetes/admin.conf apply -f -', { input: workload(image) });
        if (applied.code !== 0) throw new Error(`workload: ${applied.stderr}`);
      }, 1_200_000);

      afterAll(async () => {
        await registry?.close();
        if (lab) await labDown(name);
      }, 120_000);

      it('fresh: certs check OK, every node Ready, the workload ready', async () => {
        expect((await check()).code).toBe(0);
        expect(await nodes()).toEqual(all.map((h) => `${h} Ready`));
        expect((await kubectl('get deploy shop -o jsonpath={.status.readyReplicas}')).stdout).toBe('2');
      }, 120_000);

      it('400 days later: API refuses kubectl, the worker kubelet cannot restart, check exit 2 names every expired certificate', async () => {
        if (o.embeddedKubeletConf) {
          await embedKubeletClient(lab);
          const r = await check();
          expect(r.code, r.stdout).toBe(1);
          expect(r.stdout).toMatch(/^WARNING: cp1: kubelet\.conf embeds its client certificate/m);
        }
        const offsets = await lab.advanceClock('all', 400);
        expect(offsets).toEqual(Object.fromEntries(all.map((h) => [h, 400 * 86_400])));
        const refused = await kubectl('get nodes');
        expect(refused.code).not.toBe(0);
        expect(refused.stderr).toMatch(
          /^Unable to connect to the server: tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time \S+ is after \S+/,
        );
        // the first worker was rebooted while the cluster was down: its kubelet exits at start (the real kubelet's messages)
        await lab.exec('w1', 'systemctl restart kubelet');
        expect((await lab.exec('w1', 'systemctl is-active kubelet')).stdout.trim()).not.toBe('active');
        expect(lab.readFile('w1', '/var/log/lab/kubelet.log')).toMatch(
          /part of the existing bootstrap client certificate in \/etc\/kubernetes\/kubelet.conf is expired: \d{4}-\d\d-\d\d [\d:]+ \+0000 UTC\n.*unable to load bootstrap kubeconfig: stat \/etc\/kubernetes\/bootstrap-kubelet.conf: no such file or directory/,
        );

        const r = await check();
        expect(r.code, r.stdout + r.stderr).toBe(2);
        for (const cert of LEAVES)
          expect(r.stdout, cert).toMatch(
            new RegExp(`^cp1\\s+${cert.replace('.', '\\.')}\\s.*CRITICAL \\(expired 3[45] day\\(s\\) ago\\)$`, 'm'),
          );
        expect(r.stdout).toMatch(/^w1\s+kubelet-client\s.*CRITICAL \(expired 3[45] day\(s\) ago\)$/m);
        expect(r.stdout).toMatch(/^cp1\s+ca\s.*OK$/m);
      }, 300_000);

      it('certs renew --yes brings it back: check exit 0, nodes Ready, workload still there, files backed up, admin.conf fetched', async () => {
        const marks = Object.fromEntries(all.map((h) => [h, lab.journal(h).length]));
        const r = await kubesmith(['certs', 'renew', '-i', inv, '--yes', '--restart-wait', '2', '--health-timeout', '120'], admin);
        expect(r.code, r.stdout + r.stderr).toBe(0);
        for (const h of cps)
          expect(r.stdout).toMatch(new RegExp(`^ {2}${h}: done: kubeadm certs renew all, static pods restarted and healthy`, 'm'));
        for (const w of workers)
          expect(r.stdout).toMatch(
            new RegExp(
              `^ {2}${w}: done: kubelet re-bootstrapped \\(client certificate was expired 3[45] day\\(s\\) ago\\), node Ready$`,
              'm',
            ),
          );
        expect(r.stdout.trimEnd().split('\n').pop()).toMatch(/^CERTS OK/);

        const again = await check();
        expect(again.code, again.stdout).toBe(0);
        for (const h of all) expect(again.stdout).toMatch(new RegExp(`^${h}\\s+kubelet-client\\s.*\\s36[45]\\s+ca\\s+OK$`, 'm'));
        expect(await nodes()).toEqual(all.map((h) => `${h} Ready`));
        expect((await kubectl('get deploy shop -o jsonpath={.status.readyReplicas}')).stdout).toBe('2');
        expect((await kubectl('get configmap shop-config -o jsonpath={.data.greeting}')).stdout).toBe('still here');

        // cp1 made before kubeadm 1.17: its kubelet.conf now names the rotating PEM, which holds the re-signed certificate
        if (o.embeddedKubeletConf) {
          const conf = lab.readFile('cp1', '/etc/kubernetes/kubelet.conf')!;
          expect(conf).not.toMatch(/client-(certificate|key)-data/);
          expect(conf).toContain('client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem');
          expect(conf).toContain('client-key: /var/lib/kubelet/pki/kubelet-client-current.pem');
          expect(r.stdout).not.toMatch(/embeds its client certificate/);
        }
        // the workers did a TLS bootstrap: kubelet.conf points at the rotating PEM, the bootstrap file (and its token) is gone
        for (const w of workers) {
          const conf = lab.readFile(w, '/etc/kubernetes/kubelet.conf');
          expect(conf, w).toContain('client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem');
          expect(lab.readFile(w, '/etc/kubernetes/bootstrap-kubelet.conf'), w).toBeNull();
          expect((await lab.exec(w, 'systemctl is-active kubelet')).stdout.trim(), w).toBe('active');
        }
        // nothing reset or re-joined: no kubeadm reset/init/join ran during the renewal
        for (const h of all) expect(journalSince(lab, h, marks[h]!).filter((e) => /^kubeadm (reset|init|join)\b/.test(e.line))).toEqual([]);
        // old files backed up first, on every node, with the kubelet's certificates
        for (const h of all) {
          const list = await lab.exec(h, 'tar -tzf /var/backups/kubesmith/*/etc-kubernetes.tar.gz');
          expect(list.stdout, h).toMatch(/^etc\/kubernetes\/kubelet.conf$/m);
          // (cp1 made before kubeadm 1.17 had no such file: its certificate was in kubelet.conf)
          if (!(o.embeddedKubeletConf && h === 'cp1'))
            expect(list.stdout, h).toMatch(/^var\/lib\/kubelet\/pki\/kubelet-client-current.pem$/m);
        }
        expect(readFileSync(join(admin, '.kubesmith', lab.name, 'admin.conf'), 'utf8')).toBe(
          lab.readFile('cp1', '/etc/kubernetes/admin.conf'),
        );
      }, 900_000);
    },
  );
}
