/**
 * Certificates on an HA lab cluster (3 control planes, no workers): rolling renewal one node at a time (journal
 * order), rollback when the second master fails (before and after its certificates changed), a master with its own
 * CA found by `certs check` and fixed by `certs distribute`, a missing SAN. Private keys never show up in output or logs.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labDown, labUp, type Lab } from '../lab/lab.js';
import { kubesmith, labReady, logText, seedAptKeys } from './helpers.js';
import { bridgeIp, startLabRegistry, type LabRegistry } from './registry.js';
import {
  clusterExtra,
  dropApiserverSans,
  emulatedRuntime,
  fileSum,
  giveOwnCa,
  journalSince,
  startStaticPods,
} from './helpers/certs-lab.js';

const NAME = 'e2e-certs-ha';
const CPS = ['cp1', 'cp2', 'cp3'];
const FAST = ['--restart-wait', '2', '--health-timeout', '60'];

describe.skipIf(!labReady())('certs on 3 control planes: rolling renewal, rollback, distribution', () => {
  let lab: Lab;
  let inv: string;
  let registry: LabRegistry;
  const admin = mkdtempSync(join(tmpdir(), 'ks-certs-ha-'));
  const logs = () => mkdtempSync(join(tmpdir(), 'ks-certs-ha-logs-'));
  const sums = (path: string) => Promise.all(CPS.map((h) => fileSum(lab, h, path)));

  beforeAll(async () => {
    lab = await labUp({ name: NAME, hosts: CPS.map((name) => ({ name })) });
    await seedAptKeys(lab);
    await emulatedRuntime(lab);
    registry = await startLabRegistry(bridgeIp(lab.subnet));
    inv = join(lab.root, 'inventory.yaml');
    const cp1 = lab.hosts.find((h) => h.name === 'cp1')!.ip;
    lab.writeInventory(inv, { controlPlanes: CPS, workers: [], extra: clusterExtra(registry.url, `${cp1}:6443`) });
    let run = await kubesmith(['apply', '-i', inv, '--output', 'json'], admin);
    if (run.code !== 0 && /connection was lost/.test(run.stdout)) {
      console.warn(
        `apply lost an SSH connection (lab under load?); sshd log of cp1:\n${lab.readFile('cp1', '/var/log/lab/sshd.log')?.slice(-3000)}`,
      );
      run = await kubesmith(['apply', '-i', inv, '--output', 'json'], admin); // apply is idempotent
    }
    if (run.code !== 0) throw new Error(`apply failed:\n${run.stdout.slice(-4000)}\n${run.stderr}`);
    for (const h of CPS) await startStaticPods(lab, h);
  }, 1_200_000);

  afterAll(async () => {
    await registry?.close();
    if (lab) await labDown(NAME);
  }, 120_000);

  it('check: OK on a fresh HA cluster; same CAs everywhere', async () => {
    const r = await kubesmith(['certs', 'check', '-i', inv], admin);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    for (const h of CPS) expect(r.stdout).toMatch(new RegExp(`^${h}\\s+apiserver\\s.*OK$`, 'm'));
  }, 120_000);

  it('renew: one control plane at a time, each healthy before the next starts (journals); no key in output or logs', async () => {
    const marks = CPS.map((h) => lab.journal(h).length);
    const before = await sums('/etc/kubernetes/pki/apiserver.crt');
    const dir = logs();
    const r = await kubesmith(['certs', 'renew', '-i', inv, '--yes', '--log-dir', dir, ...FAST], admin);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const after = await sums('/etc/kubernetes/pki/apiserver.crt');
    after.forEach((s, i) => expect(s, CPS[i]).not.toBe(before[i]));
    const windows = CPS.map((h, i) => {
      const entries = journalSince(lab, h, marks[i]!);
      const start = entries.find((e) => e.line === 'kubeadm certs renew all')?.at;
      const healthy = entries.filter((e) => new RegExp(`^kubectl .*get node ${h} -o name$`).test(e.line)).at(-1)?.at;
      return { h, start: start!, healthy: healthy! };
    });
    for (const w of windows) {
      expect(w.start, w.h).toBeGreaterThan(0);
      expect(w.healthy, w.h).toBeGreaterThan(w.start);
    }
    expect(windows[1]!.start).toBeGreaterThan(windows[0]!.healthy);
    expect(windows[2]!.start).toBeGreaterThan(windows[1]!.healthy);
    const everything = r.stdout + r.stderr + logText(dir);
    expect(everything).not.toMatch(/-----BEGIN [A-Z ]*PRIVATE KEY-----/);
    const caKey = lab.readFile('cp1', '/etc/kubernetes/pki/ca.key')!.split('\n')[1]!;
    expect(everything).not.toContain(caKey);
  }, 600_000);

  it('rollback: kubeadm fails on the second master → run stops, cp2 restored, cp3 untouched, states printed', async () => {
    const before = await sums('/etc/kubernetes/pki/apiserver.crt');
    await lab.failNext('cp2', 'kubeadm', 1);
    const r = await kubesmith(['certs', 'renew', '-i', inv, '--yes', ...FAST], admin);
    await lab.clearFault('cp2', 'kubeadm');
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const after = await sums('/etc/kubernetes/pki/apiserver.crt');
    expect(after[0], r.stdout + r.stderr).not.toBe(before[0]);
    expect(after.slice(1)).toEqual(before.slice(1));
    expect(r.stdout).toMatch(/cp1: done: kubeadm certs renew all, static pods restarted and healthy/);
    expect(r.stdout).toMatch(/cp2: FAILED during kubeadm certs renew all; backup \/var\/backups\/kubesmith\/\S+ restored/);
    expect(r.stdout).toMatch(/cp3: not touched/);
  }, 600_000);

  it('rollback after the certificates changed: a failure while restarting cp2 puts its old files back byte for byte', async () => {
    const files = ['/etc/kubernetes/pki/apiserver.crt', '/etc/kubernetes/admin.conf', '/etc/kubernetes/pki/etcd/peer.crt'];
    const before = await Promise.all(files.map((f) => fileSum(lab, 'cp2', f)));
    const manifests = (await lab.exec('cp2', 'ls /etc/kubernetes/manifests')).stdout;
    await lab.failNext('cp2', 'crictl', 1); // the first crictl call comes right after kubeadm certs renew all
    const r = await kubesmith(['certs', 'renew', '-i', inv, '--yes', ...FAST], admin);
    await lab.clearFault('cp2', 'crictl');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/cp2: FAILED during restart of the static pods; backup \S+ restored/);
    expect(await Promise.all(files.map((f) => fileSum(lab, 'cp2', f)))).toEqual(before);
    expect((await lab.exec('cp2', 'ls /etc/kubernetes/manifests')).stdout).toBe(manifests);
  }, 600_000);

  it('a master with its own CA: check says CRITICAL; distribute copies the shared files from the majority and fixes it', async () => {
    await giveOwnCa(lab, 'cp3');
    const bad = await kubesmith(['certs', 'check', '-i', inv], admin);
    expect(bad.code, bad.stdout).toBe(2);
    expect(bad.stdout).toContain('ca.crt differs on cp3 from the majority (cp1, cp2)');
    expect(bad.stdout).toContain('ca.key differs on cp3 from the majority (cp1, cp2)');

    const dry = await kubesmith(['certs', 'distribute', '-i', inv], admin);
    expect(dry.code).toBe(2);
    expect(dry.stdout).toMatch(/copy ca\.crt, ca\.key \(0600\) from cp1/);
    expect(await fileSum(lab, 'cp3', '/etc/kubernetes/pki/ca.key')).not.toBe(await fileSum(lab, 'cp1', '/etc/kubernetes/pki/ca.key'));

    const cp1Before = await fileSum(lab, 'cp1', '/etc/kubernetes/pki/apiserver.crt');
    const dir = logs();
    const r = await kubesmith(['certs', 'distribute', '-i', inv, '--yes', '--log-dir', dir, ...FAST], admin);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout.trimEnd().split('\n').pop()).toMatch(/^CERTS OK/);
    expect(await fileSum(lab, 'cp3', '/etc/kubernetes/pki/ca.key')).toBe(await fileSum(lab, 'cp1', '/etc/kubernetes/pki/ca.key'));
    expect((await lab.exec('cp3', 'stat -c %a /etc/kubernetes/pki/ca.key')).stdout.trim()).toBe('600');
    expect(await fileSum(lab, 'cp1', '/etc/kubernetes/pki/apiserver.crt')).toBe(cp1Before);
    // cp3 keeps its own node-specific certificate (its SANs), re-signed: nothing node-specific was copied
    const api3 = (await lab.exec('cp3', 'openssl x509 -noout -ext subjectAltName -in /etc/kubernetes/pki/apiserver.crt')).stdout;
    expect(api3).toContain(lab.hosts.find((h) => h.name === 'cp3')!.ip);
    expect(api3).toContain('cp3');
    const caKey = lab.readFile('cp1', '/etc/kubernetes/pki/ca.key')!.split('\n')[1]!;
    const everything = r.stdout + r.stderr + logText(dir);
    expect(everything).not.toMatch(/-----BEGIN [A-Z ]*PRIVATE KEY-----/);
    expect(everything).not.toContain(caKey);
    // on the admin machine only the explicit backups hold key material (tar.gz, 0600)
    const walk = (d: string): string[] =>
      readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : [join(d, f)]));
    for (const f of walk(admin).filter((f) => !f.endsWith('.tar.gz'))) {
      if (f.endsWith('admin.conf')) continue; // the admin kubeconfig (its client key is the point of it)
      expect(readFileSync(f, 'latin1'), f).not.toContain(caKey);
    }
    for (const f of walk(admin).filter((f) => f.endsWith('.tar.gz'))) expect(statSync(f).mode & 0o777, f).toBe(0o600);
  }, 600_000);

  it('an apiserver certificate without its node name and IP: CRITICAL missing SAN, exit 2', async () => {
    await dropApiserverSans(lab, 'cp2');
    const r = await kubesmith(['certs', 'check', '-i', inv, '--output', 'json'], admin);
    expect(r.code).toBe(2);
    const report = JSON.parse(r.stdout.trim().split('\n').pop()!) as { findings: { node?: string; message: string }[] };
    const ip = lab.hosts.find((h) => h.name === 'cp2')!.ip;
    const endpoint = lab.hosts.find((h) => h.name === 'cp1')!.ip; // the controlPlaneEndpoint host went too
    expect(report.findings).toContainEqual({
      severity: 'critical',
      node: 'cp2',
      message: `apiserver certificate lacks SAN cp2, ${ip}, ${endpoint}`,
    });
    expect(report.findings.filter((f) => f.node !== 'cp2')).toEqual([]);
  }, 120_000);
});
