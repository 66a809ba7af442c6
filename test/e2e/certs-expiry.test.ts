/**
 * Certificate lifecycle on the lab, one control plane + one worker: OK → expiring in 10 days (WARNING, exit 1) →
 * expired 30 days ago with the API refusing clients (CRITICAL, exit 2) → renew refuses without --yes → renew
 * with the API down → OK again, with backups (0600) on the node and the admin machine and restarted static pods.
 * An unreachable node makes the check UNKNOWN (exit 3). kubesmith logs in as `kube` and uses sudo.
 */
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labDown, labUp, type Lab } from '../lab/lab.js';
import { kubesmith, labReady, seedAptKeys } from './helpers.js';
import { bridgeIp, startLabRegistry, type LabRegistry } from './registry.js';
import {
  ageLeafCertificates,
  clusterExtra,
  emulatedRuntime,
  expireKubeletClient,
  fileSum,
  journalSince,
  startStaticPods,
} from './helpers/certs-lab.js';

const NAME = 'e2e-certs-expiry';

describe.skipIf(!labReady())('certs: check, expiry and renewal with the API down (1 control plane + 1 worker)', () => {
  let lab: Lab;
  let inv: string;
  let registry: LabRegistry;
  const admin = mkdtempSync(join(tmpdir(), 'ks-certs-admin-'));
  const check = (...more: string[]) => kubesmith(['certs', 'check', '-i', inv, ...more], admin);

  beforeAll(async () => {
    lab = await labUp({ name: NAME, hosts: [{ name: 'cp1' }, { name: 'w1' }] });
    await seedAptKeys(lab);
    await emulatedRuntime(lab);
    inv = join(lab.root, 'inventory.yaml');
    registry = await startLabRegistry(bridgeIp(lab.subnet));
    lab.writeInventory(inv, { controlPlanes: ['cp1'], workers: ['w1'], user: 'kube', extra: clusterExtra(registry.url) }); // sudo, like most operators
    const run = await kubesmith(['apply', '-i', inv, '--output', 'json'], admin);
    if (run.code !== 0) throw new Error(`apply failed:\n${run.stdout.slice(-4000)}\n${run.stderr}`);
    await startStaticPods(lab, 'cp1');
  }, 1_200_000);

  afterAll(async () => {
    await registry?.close();
    if (lab) await labDown(NAME);
  }, 120_000);

  it('a fresh cluster is OK: every certificate of both nodes in one table, exit 0', async () => {
    const r = await check();
    expect(r.code, r.stdout + r.stderr).toBe(0);
    for (const cert of [
      'ca',
      'etcd-ca',
      'front-proxy-ca',
      'apiserver',
      'apiserver-etcd-client',
      'etcd-peer',
      'etcd-server',
      'front-proxy-client',
      'admin.conf',
      'super-admin.conf',
      'controller-manager.conf',
      'scheduler.conf',
      'kubelet-client',
    ]) {
      expect(r.stdout, cert).toMatch(
        new RegExp(`^cp1\\s+${cert.replace('.', '\\.')}\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\dZ\\s+\\d+\\s+\\S+\\s+OK`, 'm'),
      );
    }
    expect(r.stdout).toMatch(/^w1\s+kubelet-client\s.*\s+ca\s+OK$/m);
    expect(r.stdout).toMatch(/^cp1\s+apiserver\s.*\s(36[45])\s+ca\s+OK$/m);
    // the CAs' remaining life (ten years), and the admin.conf copies apply handed out: root's and the SSH user's
    // ~/.kube/config on the control plane, the admin machine's .kubesmith/<cluster>/admin.conf (node "admin")
    expect(r.stdout).toMatch(/^cp1\s+ca\s.*\s36[45]\d\s+-\s+OK$/m);
    expect(r.stdout).toMatch(/^cp1\s+~root\/\.kube\/config\s.*\s36[45]\s+ca\s+OK$/m);
    expect(r.stdout).toMatch(/^cp1\s+~kube\/\.kube\/config\s.*\s36[45]\s+ca\s+OK$/m);
    expect(r.stdout).toMatch(/^admin\s+admin\.conf\s.*\s36[45]\s+ca\s+OK$/m);
    expect(r.stdout).not.toMatch(/^w1\s+~/m); // apply hands no admin.conf to workers
    // each kubelet's own serving certificate (self-signed: no serverTLSBootstrap), workers included
    for (const node of ['cp1', 'w1'])
      expect(r.stdout).toMatch(new RegExp(`^${node}\\s+kubelet-serving\\s.*\\s36[45]\\s+self-signed\\s+OK$`, 'm'));
    expect(r.stdout.trimEnd().split('\n').pop()).toMatch(/^CERTS OK/);
  }, 120_000);

  it('certificates renewed 355 days ago expire within 30 days: WARNING, exit 1; --warn-days 5 says OK', async () => {
    await ageLeafCertificates(lab, ['cp1'], 355);
    const r = await check();
    expect(r.code, r.stdout).toBe(1);
    expect(r.stdout).toMatch(/^cp1\s+apiserver\s.*\s(9|10)\s+ca\s+WARNING \(expires within 30 days\)$/m);
    expect(r.stdout).toMatch(/^cp1\s+ca\s.*OK$/m);
    // kubeadm's renewal leaves the copies alone: still valid, but no longer the node's admin.conf
    expect(r.stdout).toMatch(/^cp1\s+~kube\/\.kube\/config\s.*\s+ca\s+OK \(not the current admin\.conf\)$/m);
    expect((await check('--warn-days', '5')).code).toBe(0);
    const json = JSON.parse((await check('--output', 'json')).stdout.trim().split('\n').pop()!);
    expect(json).toMatchObject({ type: 'certs.check', status: 'WARNING', exitCode: 1 });
  }, 300_000);

  it('certificates that expired 30 days ago: CRITICAL, exit 2, and the API refuses kubectl', async () => {
    await ageLeafCertificates(lab, ['cp1'], 395);
    await expireKubeletClient(lab, 'cp1', 30); // the cluster was down: the kubelet could not rotate either
    const r = await check();
    expect(r.code, r.stdout).toBe(2);
    expect(r.stdout).toMatch(/^cp1\s+kubelet-client\s.*CRITICAL \(expired 30 day\(s\) ago\)$/m);
    expect(r.stdout).toMatch(/^cp1\s+apiserver\s.*\s-3[01]\s+ca\s+CRITICAL \(expired 30 day\(s\) ago\)$/m);
    const kubectl = await lab.exec('cp1', 'kubectl --kubeconfig /etc/kubernetes/admin.conf get nodes');
    expect(kubectl.stderr).toContain('x509: certificate has expired or is not yet valid');
  }, 300_000);

  it('renew without --yes shows the plan, changes nothing, exits 2', async () => {
    const before = await fileSum(lab, 'cp1', '/etc/kubernetes/pki/apiserver.crt');
    const mark = lab.journal('cp1').length;
    const r = await kubesmith(['certs', 'renew', '-i', inv], admin);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('kubeadm certs renew all');
    expect(r.stderr).toContain('--yes');
    expect(await fileSum(lab, 'cp1', '/etc/kubernetes/pki/apiserver.crt')).toBe(before);
    expect(journalSince(lab, 'cp1', mark).filter((e) => /^kubeadm certs renew/.test(e.line))).toEqual([]);
  }, 300_000);

  it('renew --yes works with the API down: backups 0600 on node and admin machine, static pods restarted, OK again', async () => {
    const containers = () => JSON.parse(lab.readFile('cp1', '/run/lab/cri/containers.json') ?? '[]') as { id: string; name: string }[];
    const oldIds = containers().map((c) => c.id);
    expect(oldIds).toHaveLength(4);
    const mark = lab.journal('cp1').length;
    const r = await kubesmith(['certs', 'renew', '-i', inv, '--yes', '--restart-wait', '2', '--health-timeout', '60'], admin);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/cp1: done: kubeadm certs renew all, static pods restarted and healthy/);
    expect(r.stdout.trimEnd().split('\n').pop()).toMatch(/^CERTS OK/);

    const now = containers();
    expect(now.map((c) => c.name).sort()).toEqual(['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler']);
    for (const c of now) expect(oldIds).not.toContain(c.id);
    const steps = journalSince(lab, 'cp1', mark).map((e) => e.line);
    const renewAt = steps.findIndex((l) => l === 'kubeadm certs renew all');
    expect(renewAt).toBeGreaterThanOrEqual(0);
    expect(steps.slice(renewAt).some((l) => /^kubectl .*get node cp1/.test(l))).toBe(true);

    expect(r.stdout).toMatch(/^cp1\s+kubelet-client\s.*\s36[45]\s+ca\s+OK$/m); // re-signed on the node, same key
    expect(steps.slice(renewAt)).toContain('systemctl restart kubelet');
    const ok = await lab.exec('cp1', 'kubectl get nodes -o name');
    expect(ok.stdout, ok.stderr).toContain('node/cp1');
    expect(lab.readFile('cp1', '/root/.kube/config')).toBe(lab.readFile('cp1', '/etc/kubernetes/admin.conf'));

    const onNode = (await lab.exec('cp1', 'stat -c "%a %n" /var/backups/kubesmith/*/etc-kubernetes.tar.gz')).stdout.trim().split('\n');
    expect(onNode).toHaveLength(1);
    expect(onNode[0]).toMatch(/^600 /);
    const stamp = onNode[0]!.split('/')[4]!;
    const local = join(admin, '.kubesmith', lab.name, 'backups', stamp, 'cp1', 'etc-kubernetes.tar.gz');
    expect(statSync(local).mode & 0o777).toBe(0o600);
    expect(statSync(join(admin, '.kubesmith', lab.name, 'backups', stamp)).mode & 0o777).toBe(0o700);
    expect(await fileSum(lab, 'cp1', `/var/backups/kubesmith/${stamp}/etc-kubernetes.tar.gz`)).toBe(
      (await import('node:crypto')).createHash('sha256').update(readFileSync(local)).digest('hex'),
    );
    expect(readFileSync(join(admin, '.kubesmith', lab.name, 'admin.conf'), 'utf8')).toBe(lab.readFile('cp1', '/etc/kubernetes/admin.conf'));
    // renew refreshed every copy: the check after it sees them as the current admin.conf
    for (const copy of ['cp1\\s+~root', 'cp1\\s+~kube', 'admin\\s+admin\\.conf'])
      expect(r.stdout).toMatch(new RegExp(`^${copy}\\S*\\s.*\\s36[45]\\s+ca\\s+OK$`, 'm'));
  }, 600_000);

  it('an unreachable node makes the check UNKNOWN (exit 3)', async () => {
    await lab.killSshd('w1');
    try {
      const r = await check();
      expect(r.code, r.stdout).toBe(3);
      expect(r.stdout).toMatch(/^w1\s+\*.*UNKNOWN/m);
    } finally {
      await lab.startSshd('w1');
    }
  }, 300_000);
});
