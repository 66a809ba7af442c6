// The emulated kubelet with serverTLSBootstrap (src/kube/kubelet-serving-csr.ts): it posts a kubelet-serving CSR
// shaped as the real one (recorded sample: test/fixtures/real/kubectl/get-csr-kubelet-serving-o-json.json), `kubectl get
// csr` lists it Pending, `kubectl certificate approve` marks it Approved and the signer issues it from the cluster CA,
// and the kubelet's next sync writes kubelet-server-current.pem. A CSR created by hand carries the creator as requester.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { servingRotationDue } from '../../../lab/emulators/src/kube/kubelet-serving-csr.js';
import { Lab, REPO, initWithWorker, openssl } from './harness.js';

const DAY = 24 * 3600 * 1000;

/** A serving pair (certificate + key) for w1 signed by a throwaway CA, valid from now for `days`, with `san`. */
function foreignServingPair(days: number, san = 'DNS:w1,IP:10.199.0.11'): string {
  const dir = mkdtempSync(join(tmpdir(), 'serving-pair-'));
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key']);
    run(['req', '-x509', '-subj', '/CN=other-ca', '-key', 'ca.key', '-out', 'ca.crt', '-days', '3650']);
    run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'k.pem']);
    run(['req', '-new', '-key', 'k.pem', '-subj', '/O=system:nodes/CN=system:node:w1', '-out', 'r.pem']);
    writeFileSync(join(dir, 'ext'), `subjectAltName=${san}\nextendedKeyUsage=serverAuth\n`);
    run(['x509', '-req', '-in', 'r.pem', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-days', String(days), '-extfile', 'ext', '-out', 'c.pem']);
    return readFileSync(join(dir, 'c.pem'), 'utf8') + readFileSync(join(dir, 'k.pem'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('when the emulated kubelet requests a new serving certificate (servingRotationDue)', () => {
  const want = { node: 'w1', dns: ['w1'], ips: ['10.199.0.11'] };
  const pair = foreignServingPair(100);
  const start = Date.parse(openssl(['x509', '-noout', '-startdate'], pair).split('=')[1]!);
  const end = Date.parse(openssl(['x509', '-noout', '-enddate'], pair).split('=')[1]!);

  it('keeps a valid pair whatever CA signed it, until 70% of its lifetime; past 90% or expired it rotates', () => {
    expect(servingRotationDue(pair, want, start + DAY)).toBeUndefined();
    expect(servingRotationDue(pair, want, start + 0.69 * (end - start))).toBeUndefined();
    expect(servingRotationDue(pair, want, start + 0.91 * (end - start))).toMatch(/rotation deadline/);
    expect(servingRotationDue(pair, want, end + 1000)).toMatch(/expired/);
  });

  it('rotates when there is none, or when it lacks a name or address the kubelet asks for', () => {
    expect(servingRotationDue(undefined, want, start)).toMatch(/no serving certificate/);
    expect(servingRotationDue('garbage', want, start)).toMatch(/no readable/);
    expect(servingRotationDue(pair, { ...want, ips: ['10.199.0.11', '10.199.0.99'] }, start + DAY)).toMatch(/lacks 10\.199\.0\.99/);
    expect(servingRotationDue(pair, { ...want, node: 'w2' }, start + DAY)).toMatch(/lacks CN system:node:w2/);
  });
});

const lab = new Lab().seedKeys();
const kubectl = (args: string[], host = 'cp1', kubeconfig = '/etc/kubernetes/admin.conf') =>
  lab.run(host, 'kubectl', ['--kubeconfig', kubeconfig, ...args]);
const recorded = JSON.parse(readFileSync(join(REPO, 'test/fixtures/real/kubectl/get-csr-kubelet-serving-o-json.json'), 'utf8'));
const csrs = () => JSON.parse(kubectl(['get', 'csr', '-o', 'json']).stdout).items as any[];

describe.sequential('kubelet serving certificate from a CSR', () => {
  beforeAll(() => {
    initWithWorker(lab);
  }, 180_000);

  // a kubelet still waiting on a request (lab-node-sync serving-wait) ends with the test's hosts
  afterAll(() => {
    for (const host of ['cp1', 'w1']) {
      const file = lab.path(host, '/run/lab/pids/kubelet-serving-wait');
      const pid = existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : 0;
      try {
        if (pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('serving-wait')) process.kill(pid);
      } catch {
        /* already ended */
      }
    }
  });

  it('without serverTLSBootstrap no CSR is made', () => {
    lab.run('w1', 'lab-node-sync', []);
    expect(csrs().filter((c) => c.spec.signerName === 'kubernetes.io/kubelet-serving')).toEqual([]);
  });

  it('with it, the kubelet posts a serving CSR shaped as the real one, listed Pending', () => {
    lab.write('w1', '/var/lib/kubelet/config.yaml', `${lab.read('w1', '/var/lib/kubelet/config.yaml')}serverTLSBootstrap: true\n`);
    lab.run('w1', 'lab-node-sync', []);
    lab.run('w1', 'lab-node-sync', []); // a second sync while it waits posts no second request
    const serving = csrs().filter((c) => c.spec.signerName === 'kubernetes.io/kubelet-serving');
    expect(serving).toHaveLength(1);
    const [csr] = serving;
    const real = recorded.items[0];
    expect(Object.keys(csr.spec).sort()).toEqual(Object.keys(real.spec).sort());
    expect(csr).toMatchObject({
      apiVersion: real.apiVersion,
      kind: real.kind,
      spec: { usages: real.spec.usages, groups: real.spec.groups },
    });
    expect(csr.spec.username).toBe('system:node:w1');
    const text = openssl(['req', '-noout', '-text'], Buffer.from(csr.spec.request, 'base64').toString('utf8'));
    expect(text).toContain('Subject: O = system:nodes, CN = system:node:w1');
    expect(text).toMatch(/DNS:w1, IP Address:10\.199\.0\.11/);
    expect(text).toContain('NIST CURVE: P-256');
    const table = kubectl(['get', 'csr']).stdout.split('\n');
    expect(table[0]).toMatch(/^NAME\s+AGE\s+SIGNERNAME\s+REQUESTOR\s+REQUESTEDDURATION\s+CONDITION$/);
    expect(table.find((l) => l.startsWith(csr.metadata.name))).toMatch(
      /kubernetes\.io\/kubelet-serving\s+system:node:w1\s+<none>\s+Pending$/,
    );
  });

  it('approve: Approved,Issued from the cluster CA; the kubelet then writes kubelet-server-current.pem', () => {
    const [csr] = csrs().filter((c) => c.spec.signerName === 'kubernetes.io/kubelet-serving');
    const res = kubectl(['certificate', 'approve', csr.metadata.name]);
    expect(res.stdout.trim()).toBe(`certificatesigningrequest.certificates.k8s.io/${csr.metadata.name} approved`);
    const after = csrs().find((c) => c.metadata.name === csr.metadata.name);
    expect(after.status.conditions[0]).toMatchObject({
      type: 'Approved',
      status: 'True',
      reason: 'KubectlApprove',
      message: 'This CSR was approved by kubectl certificate approve.',
    });
    expect(kubectl(['get', 'csr', csr.metadata.name]).stdout).toMatch(/Approved,Issued\n?$/);
    // the kubelet waits on its request (lab-node-sync serving-wait) and stores the certificate without another sync
    const pem = lab.path('w1', '/var/lib/kubelet/pki/kubelet-server-current.pem');
    for (let i = 0; i < 100 && !existsSync(pem); i++) execFileSync('sleep', ['0.2']);
    expect(readlinkSync(pem)).toMatch(/^kubelet-server-\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d\.pem$/);
    lab.write('cp1', '/tmp/ca.crt', lab.read('cp1', '/etc/kubernetes/pki/ca.crt'));
    expect(openssl(['verify', '-CAfile', lab.path('cp1', '/tmp/ca.crt'), pem]).trim()).toMatch(/: OK$/);
    expect(openssl(['x509', '-noout', '-ext', 'subjectAltName,extendedKeyUsage', '-in', pem])).toMatch(
      /TLS Web Server Authentication\n[\s\S]*DNS:w1, IP Address:10\.199\.0\.11\n/,
    );
    lab.run('w1', 'lab-node-sync', []);
    expect(csrs().filter((c) => c.spec.signerName === 'kubernetes.io/kubelet-serving')).toHaveLength(1); // valid: no new request
  });

  it('a valid pair from another CA (a rotated cluster CA) is kept across syncs and a kubelet restart', () => {
    const count = () => csrs().filter((c) => c.spec.signerName === 'kubernetes.io/kubelet-serving').length;
    const before = count();
    const pem = '/var/lib/kubelet/pki/kubelet-server-current.pem';
    rmSync(lab.path('w1', pem), { force: true });
    lab.write('w1', pem, foreignServingPair(365));
    const kept = lab.read('w1', pem);
    lab.run('w1', 'lab-node-sync', []);
    lab.run('w1', 'lab-node-sync', ['kubelet-start']); // the kubelet unit's start hook: a restart
    expect(count()).toBe(before);
    expect(lab.read('w1', pem)).toBe(kept);
    // without it (moved aside, as an operator does to force a new one) the kubelet asks at its next start
    rmSync(lab.path('w1', pem), { force: true });
    lab.run('w1', 'lab-node-sync', ['kubelet-start']);
    expect(count()).toBe(before + 1);
    // denied, the kubelet's wait on it ends (no waiter outlives the test)
    const fresh = csrs().find((c) => c.spec.username === 'system:node:w1' && !c.status?.conditions?.length);
    expect(kubectl(['certificate', 'deny', fresh.metadata.name]).code).toBe(0);
  });

  it('a CSR created by hand carries its creator as requester; an unknown name is NotFound', () => {
    const manifest = `apiVersion: certificates.k8s.io/v1\nkind: CertificateSigningRequest\nmetadata:\n  name: forged\nspec:\n  request: ${recorded.items[0].spec.request}\n  signerName: kubernetes.io/kubelet-serving\n  usages: [digital signature, server auth]\n`;
    lab.write('w1', '/root/forged.yaml', manifest);
    expect(kubectl(['create', '-f', '/root/forged.yaml'], 'w1', '/etc/kubernetes/kubelet.conf').code).toBe(0);
    const forged = csrs().find((c) => c.metadata.name === 'forged');
    expect(forged.spec).toMatchObject({ username: 'system:node:w1', groups: ['system:nodes', 'system:authenticated'] });
    expect(kubectl(['get', 'csr', 'forged']).stdout).toMatch(/Pending\n?$/);
    const missing = kubectl(['certificate', 'approve', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe('Error from server (NotFound): certificatesigningrequests.certificates.k8s.io "nope" not found');
  });
});
