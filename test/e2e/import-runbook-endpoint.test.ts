/**
 * The adoption path on a cluster kubesmith did not make: 1 control plane without controlPlaneEndpoint + 2
 * workers built by the seed runbook's hand procedure, imported, then `kubesmith endpoint migrate` to a kube-vip VIP:
 * a run stopped at the last worker's kubelet restart resumes from what the hosts show; every node's kubelet.conf and
 * the admin kubeconfigs point at the VIP, the cluster's records (kubeadm-config, cluster-info, kube-proxy's
 * kubeconfig) too, nodes stay Ready, the workload that ran before is still there, a further plan finds nothing to do;
 * then `apply` joins two more control planes through the VIP.
 */
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { Lab } from '../lab/lab.js';
import { buildRunbookCluster } from '../lab/runbook-cluster.js';
import { webDeployment } from '../lab/workloads.js';
import { hostOutcomes, kubesmith, labCluster, labReady, writesIn, type LabCluster } from './helpers.js';

const NAME = 'e2e-endpoint';
const ADMIN = '/etc/kubernetes/admin.conf';

if (!labReady()) console.warn('skipping test/e2e/import-runbook-endpoint.test.ts: needs root and the lab emulators');

describe.skipIf(!labReady())('endpoint migrate: a runbook-built cluster moved to a kube-vip VIP, then grown to 2 control planes', () => {
  let c: LabCluster;
  let lab: Lab;
  let file: string;
  let vip: string;
  const kubectl = (args: string) => lab.exec('cp1', `kubectl --kubeconfig ${ADMIN} ${args}`);
  const editInventory = (edit: (spec: Record<string, any>) => void) => {
    const doc = parse(readFileSync(file, 'utf8'));
    edit(doc.spec);
    writeFileSync(file, stringify(doc, { lineWidth: 0 }));
  };
  const readyNodes = async () => {
    const json = JSON.parse((await kubectl('get nodes -o json')).stdout) as { items: any[] };
    return json.items
      .filter((n) => n.status.conditions.find((x: any) => x.type === 'Ready')?.status === 'True')
      .map((n) => n.metadata.name)
      .sort();
  };

  beforeAll(async () => {
    c = await labCluster(NAME, [{ name: 'cp1' }, { name: 'w1' }, { name: 'w2' }, { name: 'cp2' }, { name: 'cp3' }]);
    lab = c.lab;
    file = join(lab.root, 'imported.yaml');
    vip = lab.subnet.replace(/\.0\/24$/, '.200');
    await buildRunbookCluster(lab, { controlPlane: 'cp1', workers: ['w1', 'w2'], mirror: c.registry.url });
    const images = (await kubectl("get pods -A -o jsonpath='{.items[*].spec.containers[*].image}'")).stdout.split(/\s+/);
    const image = images.find((i) => i.includes('flannel'));
    if (!image) throw new Error(`no flannel image among the pods' images: ${images.join(' ')}`);
    const applied = await lab.exec('cp1', `kubectl --kubeconfig ${ADMIN} apply -f - <<'EOF'\n${webDeployment(image, 2)}EOF`);
    if (applied.code !== 0) throw new Error(applied.stderr);
    const cp1 = lab.hosts.find((h) => h.name === 'cp1')!;
    const run = await kubesmith(
      ['import', '--from', cp1.ip, '--ssh-user', 'kube', '--ssh-key', lab.keyPath, '--known-hosts', lab.knownHostsPath, '-o', file],
      lab.root,
    );
    if (run.code !== 0) throw new Error(`import failed: ${run.stderr}`);
    editInventory((spec) => {
      spec.kubernetes.loadBalancer = { type: 'kube-vip', vip, interface: 'eth0' };
    });
  }, 600_000);

  afterAll(async () => {
    await c?.down();
  }, 120_000);

  it('before: the VIP does not answer, and endpoint plan lists the steps and writes nothing', async () => {
    const refused = await kubectl(`--server https://${vip}:6443 get --raw /readyz`);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(`The connection to the server ${vip}:6443 was refused`);
    const before = lab.hosts.map((h) => lab.journal(h.name).length);
    const run = await kubesmith(['endpoint', 'plan', '-i', file, '--output', 'json'], lab.root);
    expect(run.code, run.stderr + run.stdout.slice(-3000)).toBe(0);
    const changed = new Set(
      hostOutcomes(run)
        .filter((o) => o.outcome !== 'ok' && o.outcome !== 'skipped')
        .map((o) => `${o.task}@${o.host}`),
    );
    expect(changed.size, run.stdout.slice(-3000)).toBeGreaterThan(0);
    expect([...changed]).toEqual(expect.arrayContaining(['endpoint.apiserver-cert@cp1', 'kubevip.manifest@cp1']));
    lab.hosts.forEach((h, i) => expect(writesIn(lab.journal(h.name).slice(before[i])), h.name).toEqual([]));
  }, 300_000);

  const migrate = () =>
    kubesmith(['endpoint', 'migrate', '-i', file, '--yes', '--restart-wait', '1', '--health-timeout', '120', '--output', 'json'], lab.root);

  it("a run stopped at w2's kubelet restart resumes there: only w2's owed restart is left", async () => {
    await lab.failNext('w2', 'systemctl', 1);
    const stopped = await migrate();
    expect(stopped.code, stopped.stdout.slice(-3000)).toBe(1);
    const failed = hostOutcomes(stopped).filter((o) => o.outcome === 'failed');
    expect(failed.map((o) => `${o.task}@${o.host}`)).toEqual(['endpoint.kubeconfigs@w2']);
    expect(failed[0]!.error).toContain('systemctl restart kubelet');
    expect(lab.readFile('w2', '/etc/kubernetes/kubelet.conf')).toContain(`server: https://${vip}:6443`);
    const plan = await kubesmith(['endpoint', 'plan', '-i', file, '--output', 'json'], lab.root);
    const left = hostOutcomes(plan).filter((o) => o.task.startsWith('endpoint.') && o.outcome !== 'ok' && o.outcome !== 'skipped');
    expect(left.map((o) => `${o.task}@${o.host}`)).toEqual(['endpoint.kubeconfigs@w2']);
    expect(plan.stdout).toContain('restart kubelet (a run stopped after changing its configuration, before restarting it)');
  }, 600_000);

  it('migrate: certificates, records and every kubeconfig move to the VIP; nodes stay Ready; the workload is there', async () => {
    const run = await migrate();
    const why = run.code === 0 ? '' : (await lab.exec('cp1', 'crictl ps; ls -l --time-style=full-iso /etc/kubernetes/manifests')).stdout;
    expect(run.code, `${run.stderr}${run.stdout.slice(-4000)}\n${why}`).toBe(0);
    const server = `server: https://${vip}:6443`;
    for (const h of ['cp1', 'w1', 'w2']) expect(lab.readFile(h, '/etc/kubernetes/kubelet.conf'), h).toContain(server);
    expect(lab.readFile('w2', '/var/lib/kubesmith/restart-owed/kubelet')).toBeNull(); // the owed restart was done
    expect(lab.readFile('cp1', ADMIN)).toContain(server);
    expect(lab.readFile('cp1', '/root/.kube/config')).toContain(server);
    expect(readFileSync(join(lab.root, '.kubesmith', parse(readFileSync(file, 'utf8')).metadata.name, 'admin.conf'), 'utf8')).toContain(
      server,
    );
    const san = await lab.exec('cp1', 'openssl x509 -in /etc/kubernetes/pki/apiserver.crt -noout -ext subjectAltName');
    expect(san.stdout).toContain(`IP Address:${vip}`);
    const cc = (await kubectl("-n kube-system get cm kubeadm-config -o jsonpath='{.data.ClusterConfiguration}'")).stdout;
    expect(parse(cc).controlPlaneEndpoint).toBe(`${vip}:6443`);
    expect((await kubectl("-n kube-public get cm cluster-info -o jsonpath='{.data.kubeconfig}'")).stdout).toContain(server);
    expect((await kubectl("-n kube-system get cm kube-proxy -o jsonpath='{.data.kubeconfig\\.conf}'")).stdout).toContain(server);
    expect(await readyNodes()).toEqual(['cp1', 'w1', 'w2']);
    expect((await kubectl('get deploy web -o jsonpath={.spec.replicas}')).stdout).toBe('2');
    expect((await kubectl(`--server https://${vip}:6443 get --raw /readyz`)).stdout).toBe('ok');
  }, 600_000);

  it('a further plan finds nothing left to do', async () => {
    const run = await kubesmith(['endpoint', 'plan', '-i', file, '--output', 'json'], lab.root);
    expect(run.code, run.stderr).toBe(0);
    const left = hostOutcomes(run).filter((o) => o.task.startsWith('endpoint.') && o.outcome !== 'ok' && o.outcome !== 'skipped');
    expect(left).toEqual([]);
  }, 300_000);

  it('apply then joins two more control planes through the VIP; the workload is still there', async () => {
    editInventory((spec) => {
      for (const name of ['cp2', 'cp3'])
        spec.hosts.push({ name, address: lab.hosts.find((h) => h.name === name)!.ip, roles: ['control-plane'] });
    });
    const run = await kubesmith(['apply', '-i', file, '--output', 'json'], lab.root);
    expect(run.code, run.stdout.slice(-5000) + run.stderr.slice(-2000)).toBe(0);
    for (const h of ['cp2', 'cp3']) {
      expect(lab.readFile(h, '/etc/kubernetes/kubelet.conf'), h).toContain(`server: https://${vip}:6443`);
      const san = await lab.exec(h, 'openssl x509 -in /etc/kubernetes/pki/apiserver.crt -noout -ext subjectAltName');
      expect(san.stdout, h).toContain(`IP Address:${vip}`);
    }
    expect(await readyNodes()).toEqual(['cp1', 'cp2', 'cp3', 'w1', 'w2']);
    expect((await kubectl('get deploy web -o jsonpath={.spec.replicas}')).stdout).toBe('2');
  }, 900_000);
});
