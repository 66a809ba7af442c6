/**
 * `kubesmith import` on a cluster kubesmith did not make: 1 control plane + 1 worker built by the seed runbook's hand
 * procedure (test/lab/runbook-cluster.ts: no controlPlaneEndpoint, hand-edited containerd config, flannel, the
 * anonymous cluster-admin binding). import writes nothing on the host, the inventory validates, carries the cluster's
 * values, and the first `plan` changes exactly the tasks the import report names as deliberate.
 */
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Lab } from '../lab/lab.js';
import { buildRunbookCluster, copyCertificates } from '../lab/runbook-cluster.js';
import { hostOutcomes, kubesmith, labCluster, labReady, writesIn, type LabCluster } from './helpers.js';

const NAME = 'e2e-import';

if (!labReady()) console.warn('skipping test/e2e/import-runbook.test.ts: needs root and the lab emulators');

/** The "- task: why" lines under the report's deliberate-changes heading. */
function deliberateTasks(text: string): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.includes('The first `kubesmith plan` changes these on purpose'));
  const tasks: string[] = [];
  for (const l of lines.slice(start + 1)) {
    const m = /^# {3}- ([a-z.-]+):/.exec(l);
    if (!m) break;
    tasks.push(m[1]!);
  }
  return tasks;
}

describe.skipIf(!labReady())('import: a cluster built by the runbook, 1 control plane + 1 worker', () => {
  let c: LabCluster;
  let lab: Lab;
  let file: string;

  beforeAll(async () => {
    c = await labCluster(NAME, [{ name: 'cp1' }, { name: 'w1' }]);
    lab = c.lab;
    file = join(lab.root, 'imported.yaml');
    await buildRunbookCluster(lab, { controlPlane: 'cp1', workers: ['w1'], mirror: c.registry.url, proxyMode: 'ipvs' });
  }, 600_000);

  afterAll(async () => {
    await c?.down();
  }, 120_000);

  it('import reads the cluster through the control plane, audits it, and writes nothing on any host', async () => {
    const before = lab.hosts.map((h) => lab.journal(h.name).length);
    const cp1 = lab.hosts.find((h) => h.name === 'cp1')!;
    const run = await kubesmith(
      ['import', '--from', cp1.ip, '--ssh-user', 'kube', '--ssh-key', lab.keyPath, '--known-hosts', lab.knownHostsPath, '-o', file],
      lab.root,
    );
    expect(run.code, run.stderr).toBe(0);
    lab.hosts.forEach((h, i) => expect(writesIn(lab.journal(h.name).slice(before[i])), h.name).toEqual([]));
    expect(run.stderr).toContain('2 hosts (1 control planes)');
    // the audit import runs names the runbook's hazards
    expect(run.stderr).toContain('kubesmith audit of the imported cluster');
    expect(run.stderr).toMatch(/CRITICAL: ClusterRoleBinding \S+ gives cluster-admin to system:anonymous/);
    expect(run.stderr).toContain('no controlPlaneEndpoint');
    expect(run.stderr).toMatch(/AUDIT CRITICAL - /);
  }, 120_000);

  it('the inventory validates and carries the cluster as the runbook built it', async () => {
    expect((await kubesmith(['validate', '-i', file], lab.root)).code).toBe(0);
    const text = readFileSync(file, 'utf8');
    const spec = parse(text).spec;
    expect(spec.hosts).toEqual([
      { name: 'cp1', address: lab.hosts[0]!.ip, roles: ['control-plane'] },
      { name: 'w1', address: lab.hosts[1]!.ip, roles: ['worker'] },
    ]);
    expect(spec.kubernetes).toMatchObject({
      version: '1.34.1',
      podSubnet: '10.244.0.0/16',
      serviceSubnet: '10.96.0.0/12',
      proxyMode: 'ipvs',
    });
    expect(spec.kubernetes.controlPlaneEndpoint).toBeUndefined();
    expect(spec.containerRuntime).toEqual({
      type: 'containerd',
      registryMirrors: { 'ghcr.io': [c.registry.url], 'registry.k8s.io': [c.registry.url] },
    });
    expect(spec.network).toMatchObject({ plugin: 'flannel', flannel: { backend: 'vxlan' } });
    expect(spec.ssh).toMatchObject({ user: 'kube', keyPath: lab.keyPath, knownHostsPath: lab.knownHostsPath });
    expect(text).toContain('# ConfigMap kube-system/kubeadm-config: networking.podSubnet');
  });

  it('the first plan changes exactly what the import report names as deliberate, and writes nothing', async () => {
    const deliberate = deliberateTasks(readFileSync(file, 'utf8'));
    expect(deliberate.length).toBeGreaterThan(0);
    const before = lab.hosts.map((h) => lab.journal(h.name).length);
    const run = await kubesmith(['plan', '-i', file, '--output', 'json'], lab.root);
    expect(run.code, run.stderr + run.stdout.slice(-3000)).toBe(0);
    const changed = [
      ...new Set(
        hostOutcomes(run)
          .filter((o) => o.outcome !== 'ok' && o.outcome !== 'skipped')
          .map((o) => o.task),
      ),
    ];
    expect(changed.sort()).toEqual([...deliberate].sort());
    lab.hosts.forEach((h, i) => expect(writesIn(lab.journal(h.name).slice(before[i])), h.name).toEqual([]));
  }, 300_000);

  it("the runbook's hazards are in place for audit: the anonymous binding, and a certificate copied between hosts", async () => {
    const crb = await lab.exec('cp1', 'kubectl get clusterrolebinding test:anonymous -o jsonpath={.subjects[0].name}');
    expect(crb.stdout).toBe('system:anonymous');
    await copyCertificates(lab, 'cp1', 'w1');
    const san = await lab.exec('w1', 'openssl x509 -in /etc/kubernetes/pki/apiserver.crt -noout -ext subjectAltName');
    expect(san.stdout).toContain(`IP Address:${lab.hosts[0]!.ip}`);
    expect(san.stdout).not.toContain(`IP Address:${lab.hosts[1]!.ip}`);
  }, 60_000);
});
