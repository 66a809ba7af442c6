/**
 * Validity periods the operator chooses (spec.certificates): on the lab, one control plane, `validity: 2000h` and
 * `caValidity: 43800h` reach kubeadm's ClusterConfiguration (v1beta4), the emulated kubeadm issues the certificates
 * for that long, and `certs check` shows it: leaves with 83 days left, CAs with five years. The same inventory
 * with Kubernetes 1.30 is refused by validate at the field, before any host is touched.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { labDown, labUp, type Lab } from '../lab/lab.js';
import { kubesmith, labReady, seedAptKeys } from './helpers.js';
import { bridgeIp, startLabRegistry, type LabRegistry } from './registry.js';
import { clusterExtra, emulatedRuntime } from './helpers/certs-lab.js';

const NAME = 'e2e-certs-validity';

describe.skipIf(!labReady())('certs: validity periods from the inventory (1 control plane)', () => {
  let lab: Lab;
  let inv: string;
  let registry: LabRegistry;
  const admin = mkdtempSync(join(tmpdir(), 'ks-certs-validity-'));

  beforeAll(async () => {
    lab = await labUp({ name: NAME, hosts: [{ name: 'cp1' }] });
    await seedAptKeys(lab);
    await emulatedRuntime(lab);
    inv = join(lab.root, 'inventory.yaml');
    registry = await startLabRegistry(bridgeIp(lab.subnet));
    const extra = { ...clusterExtra(registry.url), certificates: { validity: '2000h', caValidity: '43800h' } };
    lab.writeInventory(inv, { controlPlanes: ['cp1'], workers: [], extra });
  }, 600_000);

  afterAll(async () => {
    await registry?.close();
    if (lab) await labDown(NAME);
  }, 120_000);

  it('Kubernetes 1.30 (kubeadm without the fields): validate refuses at file:line, naming the field; nothing runs', async () => {
    const old = join(admin, 'old.yaml');
    const doc = parse(readFileSync(inv, 'utf8'));
    doc.spec.kubernetes.version = '1.30.4';
    writeFileSync(old, stringify(doc));
    const r = await kubesmith(['validate', '-i', old], admin);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/old\.yaml:\d+:\d+ .*spec\.certificates\.validity.*needs Kubernetes 1\.31 or newer/);
    expect(r.stderr).toMatch(/spec\.certificates\.caValidity.*caCertificateValidityPeriod/);
  }, 60_000);

  it('apply renders the periods for kubeadm, which issues certificates for that long; certs check shows them', async () => {
    const run = await kubesmith(['apply', '-i', inv, '--output', 'json'], admin);
    expect(run.code, run.stdout.slice(-3000) + run.stderr).toBe(0);
    const kept = await lab.exec('cp1', 'cat /etc/kubernetes/kubesmith/kubeadm-init.yaml');
    expect(kept.stdout).toMatch(/^certificateValidityPeriod: "?2000h0m0s"?$/m);
    expect(kept.stdout).toMatch(/^caCertificateValidityPeriod: "?43800h0m0s"?$/m);
    // what kubeadm stored for joins and `kubeadm certs renew` (the kubeadm-config ConfigMap)
    const cm = await lab.exec('cp1', 'kubectl -n kube-system get configmap kubeadm-config -o yaml');
    expect(cm.stdout, cm.stderr).toMatch(/certificateValidityPeriod: 2000h0m0s/);
    const r = await kubesmith(['certs', 'check', '-i', inv], admin);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    // 2000h = 83.3 days: a leaf issued just now has 83 whole days left; a CA of 43800h, 1825 days (less a partial one)
    for (const leaf of ['apiserver', 'etcd-server', 'front-proxy-client', 'admin\\.conf', 'scheduler\\.conf'])
      expect(r.stdout, leaf).toMatch(new RegExp(`^cp1\\s+${leaf}\\s+\\S+ \\S+\\s+83\\s+\\S+\\s+OK$`, 'm'));
    for (const ca of ['ca', 'etcd-ca', 'front-proxy-ca'])
      expect(r.stdout, ca).toMatch(new RegExp(`^cp1\\s+${ca}\\s+\\S+ \\S+\\s+182[45]\\s+-\\s+OK$`, 'm'));
    const apiserver = await lab.exec('cp1', 'openssl x509 -noout -startdate -enddate -in /etc/kubernetes/pki/apiserver.crt');
    const [start, end] = [...apiserver.stdout.matchAll(/=(.*)$/gm)].map((m) => Date.parse(m[1]!));
    // kubeadm backdates notBefore by 5 minutes; notAfter is issue time + validity
    expect((end! - start!) / 3600_000).toBeCloseTo(2000 + 5 / 60, 1);
  }, 1_200_000);
});
