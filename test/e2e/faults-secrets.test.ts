/**
 * Issue 8 item 7 (second half): no secret appears in any output, event or log file of a run. An HA apply (two
 * control planes, so a certificate key is made, and a worker) as a sudo user whose sudo needs a password; then the
 * bootstrap tokens and the sudo password are searched for everywhere. Issue 13 item 5: no token and no
 * certificate key ever appears on a host's command line (the lab journal), and their config files are gone.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labDown, labUp, type Lab } from '../lab/lab.js';
import { kubesmith, labReady, logText, seedAptKeys } from './helpers.js';
import { bridgeIp, startLabRegistry, type LabRegistry } from './registry.js';

const NAME = 'e2e-faults-secrets';
const PASSWORD = 'Sudo-Pw-7f3a9c1e-do-not-leak';
const ENV = 'KS_FAULTS_SUDO_PASSWORD';

describe.skipIf(!labReady())('no secret in any output, event or log', () => {
  let lab: Lab;
  let inv: string;
  let registry: LabRegistry;

  beforeAll(async () => {
    lab = await labUp({ name: NAME, hosts: ['cp1', 'cp2', 'w1'].map((name) => ({ name })) });
    await seedAptKeys(lab);
    for (const h of lab.hosts) {
      // sudo for kube now asks for its password
      const r = await lab.exec(h.name, `echo 'kube:${PASSWORD}' | chpasswd && printf 'kube ALL=(ALL) ALL\\n' > /etc/sudoers.d/90-lab-kube`);
      expect(r.code, r.stderr).toBe(0);
    }
    registry = await startLabRegistry(bridgeIp(lab.subnet));
    inv = join(lab.root, 'inventory.yaml');
    const cp1 = lab.hosts.find((h) => h.name === 'cp1')!.ip;
    lab.writeInventory(inv, {
      controlPlanes: ['cp1', 'cp2'],
      workers: ['w1'],
      user: 'kube',
      extra: {
        ssh: { passwordEnv: ENV },
        kubernetes: { controlPlaneEndpoint: `${cp1}:6443` },
        containerRuntime: { registryMirrors: { 'registry.k8s.io': [registry.url], 'ghcr.io': [registry.url] } },
      },
    });
    process.env[ENV] = PASSWORD;
  }, 120_000);

  afterAll(async () => {
    delete process.env[ENV];
    await registry?.close();
    if (lab) await labDown(NAME);
  }, 120_000);

  it('tokens, certificate key and sudo password appear nowhere', async () => {
    expect((await lab.exec('cp1', 'sudo -n true', { user: 'kube' })).code).not.toBe(0); // sudo really needs the password
    const logs = mkdtempSync(join(tmpdir(), 'ks-secrets-'));
    const run = await kubesmith(['apply', '-i', inv, '--output', 'json', '--log-dir', join(logs, 'apply')]);
    expect(run.code, run.stdout.slice(-3000)).toBe(0);
    const failed = await kubesmith(['plan', '-i', inv, '--log-dir', join(logs, 'plan')]);
    const text = await kubesmith(['apply', '-i', inv, '--log-dir', join(logs, 'again')]);
    expect(text.code).toBe(0);

    // the secrets, learned from the hosts: every bootstrap token the cluster knows
    const tokenList = (await lab.exec('cp1', 'kubeadm token list --kubeconfig /etc/kubernetes/admin.conf')).stdout;
    const tokens = [...new Set(tokenList.match(/[a-z0-9]{6}\.[a-z0-9]{16}/g) ?? [])];
    expect(tokens.length, 'bootstrap tokens exist').toBeGreaterThan(0);

    // Issue 13 item 5: no command line on any host carried a token or the certificate key (the lab journal records
    // the argv of every emulated command, as /proc/PID/cmdline and sudo's log would show it); kubeadm read them
    // from 0600 config files that are gone afterwards.
    const journals = ['cp1', 'cp2', 'w1'].map((h) => lab.journal(h).join('\n')).join('\n');
    expect(journals).toContain('kubeadm token create --config /etc/kubernetes/kubesmith/kubeadm-join-material.yaml');
    expect(journals).toContain(
      'kubeadm init phase upload-certs --upload-certs --config /etc/kubernetes/kubesmith/kubeadm-join-material.yaml',
    );
    expect(journals).toContain('kubeadm join --config /etc/kubernetes/kubesmith/kubeadm-join.yaml');
    expect(journals).not.toMatch(/--certificate-key|--token[ =]|--discovery-token-ca-cert-hash/);
    expect(journals.match(/[a-z0-9]{6}\.[a-z0-9]{16}/g) ?? []).toEqual([]);
    for (const h of ['cp1', 'cp2', 'w1']) {
      const left = await lab.exec(h, 'ls /etc/kubernetes/kubesmith/ 2>/dev/null');
      expect(
        left.stdout.split('\n').filter((f) => /join|run\.yaml|material/.test(f)),
        h,
      ).toEqual([]);
    }
    // the certificate key kubesmith chose went only into a file: the upload printed it, and the run log masks it
    const kubeadmLines = journals.split('\n').filter((l) => /^\d+ kubeadm /.test(l));
    expect(kubeadmLines.filter((l) => /\b[0-9a-f]{64}\b/.test(l))).toEqual([]);

    const everything = [run, failed, text].map((r) => r.stdout + r.stderr).join('\n') + logText(logs);
    expect(everything.length).toBeGreaterThan(10_000); // the logs are really there
    expect(everything).toContain('sudo'); // commands were elevated with sudo …
    expect(everything.includes(PASSWORD), 'sudo password').toBe(false); // … without the password showing
    expect(everything).not.toMatch(/Using certificate key:\n[0-9a-f]{64}/);
    for (const token of tokens) {
      expect(everything.includes(token.split('.')[1]!), `token secret of ${token.split('.')[0]}`).toBe(false);
    }
  }, 1_200_000);
});
