/**
 * audit and doctor on the lab, 1 control plane (real etcd) + 1 worker built by `apply`: doctor calls the fresh
 * cluster healthy (exit 0), its test pods reaching each other both ways, and removes them; the seed runbook's
 * anonymous cluster-admin binding and swap turned back on are named by audit (exit 2); a second NIC on the worker
 * carrying its default route, which flannel then picks (the seed's multi-NIC --iface note), fails the cross-node
 * reachability both ways; so does a blackhole route on the worker for the control plane's pod subnet; IPv4
 * forwarding turned off there is found too (exit 2). audit writes nothing; doctor writes only its test namespace.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubesmith, labReady, writesIn } from './helpers.js';
import { ADMIN, applyCluster, upEtcdLab, type EtcdLab } from './etcd-lab.js';
import { DEFAULT_PROBE_IMAGE, PROBE_NAMESPACE } from '../../src/doctor/probe-objects.js';

const NAME = 'e2e-audit-doctor';

const ANONYMOUS_ADMIN = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: test:anonymous
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: cluster-admin
subjects:
- apiGroup: rbac.authorization.k8s.io
  kind: User
  name: system:anonymous
`;

interface JsonReport {
  status: string;
  exitCode: number;
  checks: { id: string; findings: { severity: string; node?: string; message: string; evidence: string[] }[] }[];
}

/**
 * The lab's kubelet does not pull images (test/lab/emulators/src/kube/README.md: pods run only with their images on
 * the node); a real kubelet pulls kube-proxy and CoreDNS on a worker itself, here through the lab registry mirror.
 * Pull what the worker's pods wait for, as that kubelet would, so "healthy" means what it means on real hosts.
 */
async function pullAsKubeletWould(e: EtcdLab): Promise<void> {
  const pods = await e.lab.exec('cp1', `kubectl --kubeconfig ${ADMIN} get pods -A -o json`);
  const items = (JSON.parse(pods.stdout) as { items: { spec: { nodeName?: string; containers: { image: string }[] } }[] }).items;
  for (const w of e.workers) {
    const images = [...new Set(items.filter((p) => p.spec.nodeName === w).flatMap((p) => p.spec.containers.map((c) => c.image)))];
    for (const image of images) {
      const r = await e.lab.exec(w, `crictl --runtime-endpoint unix:///var/run/containerd/containerd.sock pull ${image}`);
      if (r.code !== 0) throw new Error(`pull ${image} on ${w}: ${r.stderr}`);
    }
  }
  // doctor's test pods land on every node; their kubelet would pull the image then (through the registry.k8s.io mirror)
  for (const h of e.lab.hosts) {
    const r = await e.lab.exec(h.name, `crictl --runtime-endpoint unix:///var/run/containerd/containerd.sock pull ${DEFAULT_PROBE_IMAGE}`);
    if (r.code !== 0) throw new Error(`pull ${DEFAULT_PROBE_IMAGE} on ${h.name}: ${r.stderr}`);
  }
}

/** What doctor may write: its own test namespace through kubectl on the control plane (created, probed from, deleted). */
const DOCTOR_WRITE = new RegExp(
  `^\\d+ kubectl --kubeconfig \\S+ (apply -f -|delete namespace ${PROBE_NAMESPACE} .*|-n ${PROBE_NAMESPACE} exec probe-\\d+ -- wget .*)$`,
);

describe.skipIf(!labReady())('audit and doctor on a lab cluster (1 control plane + 1 worker)', () => {
  let e: EtcdLab;
  const admin = mkdtempSync(join(tmpdir(), 'ks-auditdoc-'));
  const run = async (cmd: 'audit' | 'doctor') => {
    const before = e.lab.hosts.map((h) => e.lab.journal(h.name).length);
    const r = await kubesmith([cmd, '-i', e.inv, '--output', 'json'], admin);
    e.lab.hosts.forEach((h, i) =>
      expect(
        writesIn(e.lab.journal(h.name).slice(before[i])).filter((l) => !(cmd === 'doctor' && DOCTOR_WRITE.test(l))),
        `${cmd} wrote on ${h.name}`,
      ).toEqual([]),
    );
    const left = await e.lab.exec('cp1', `kubectl --kubeconfig ${ADMIN} get namespace ${PROBE_NAMESPACE}`);
    expect(left.stderr, 'doctor removed its test namespace').toContain('NotFound');
    return { ...r, report: JSON.parse(r.stdout) as JsonReport };
  };
  const findings = (r: JsonReport, check: string) => r.checks.filter((c) => c.id === check).flatMap((c) => c.findings);

  beforeAll(async () => {
    e = await upEtcdLab(NAME, ['cp1'], ['w1']);
    await applyCluster(e, admin);
    await pullAsKubeletWould(e);
  }, 1_200_000);

  afterAll(async () => {
    await e?.down();
  }, 120_000);

  it('doctor: the fresh cluster is healthy, exit 0', async () => {
    const r = await run('doctor');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.report.status).toBe('OK');
    const text = await kubesmith(['doctor', '-i', e.inv], admin);
    expect(text.stdout).toMatch(/^OK\s+etcd: every member healthy, one leader \(1 member\(s\), leader cp1\)$/m);
    expect(text.stdout).toMatch(/^DOCTOR OK - /m);
    // both ways between the two nodes, pod IP and Service ClusterIP
    for (const id of ['net.pod-to-pod', 'net.pod-to-service'])
      expect(r.report.checks.find((c) => c.id === id)).toEqual(expect.objectContaining({ info: '2/2 node pairs', findings: [] }));
  }, 300_000);

  it("doctor: a test namespace left by a killed run is replaced and removed; someone else's of that name is left alone", async () => {
    const leftover = `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"${PROBE_NAMESPACE}","labels":{"app.kubernetes.io/managed-by":"kubesmith","kubesmith.io/purpose":"doctor-probe"}}}`;
    expect((await e.lab.exec('cp1', `kubectl --kubeconfig ${ADMIN} apply -f -`, { input: leftover })).code).toBe(0);
    const r = await run('doctor');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const foreign = `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"${PROBE_NAMESPACE}"}}`;
    expect((await e.lab.exec('cp1', `kubectl --kubeconfig ${ADMIN} apply -f -`, { input: foreign })).code).toBe(0);
    const refused = await kubesmith(['doctor', '-i', e.inv, '--output', 'json'], admin);
    expect(refused.code, refused.stdout).toBe(3);
    expect(findings(JSON.parse(refused.stdout) as JsonReport, 'net.pod-to-pod')).toEqual([
      expect.objectContaining({ severity: 'unknown', message: expect.stringContaining('was not made by kubesmith doctor') }),
    ]);
    const still = await e.lab.exec('cp1', `kubectl --kubeconfig ${ADMIN} delete namespace ${PROBE_NAMESPACE}`);
    expect(still.code, 'the foreign namespace was left alone').toBe(0);
  }, 300_000);

  it('audit: names the planted anonymous cluster-admin binding and swap turned on again, exit 2', async () => {
    const put = await e.lab.exec('cp1', `kubectl --kubeconfig ${ADMIN} apply -f -`, { input: ANONYMOUS_ADMIN });
    expect(put.code, put.stderr).toBe(0);
    const swap = await e.lab.exec('w1', 'swapon /swap.img && swapon --show --noheadings');
    expect(swap.stdout).toContain('/swap.img');
    const r = await run('audit');
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(findings(r.report, 'rbac.anonymous')).toEqual([
      expect.objectContaining({
        severity: 'critical',
        message: expect.stringContaining('test:anonymous gives cluster-admin to system:anonymous'),
      }),
    ]);
    expect(findings(r.report, 'host.swap')).toEqual([expect.objectContaining({ node: 'w1', evidence: ['/proc/swaps: /swap.img'] })]);
    // apply built it right: its own certificates are on their own nodes
    expect(findings(r.report, 'certs').filter((f) => /does not name this node/.test(f.message))).toEqual([]);
    // swap off again: the lab's kubelet (like a restarted real one) does not run with swap on
    const back = await e.lab.exec('w1', 'swapoff /swap.img && lab-node-sync');
    expect(back.code, back.stderr).toBe(0);
  }, 300_000);

  it("doctor: flannel on the worker's second NIC (its default route) is CRITICAL, naming both interfaces", async () => {
    // a second NIC inside w1's own namespace (a veth pair, both ends there) and the default route on it
    const nic = await e.lab.exec(
      'w1',
      'ip link add eth1 type veth peer name eth1p && ip addr add 192.168.50.12/24 dev eth1 && ip link set eth1 up && ip link set eth1p up && ip route add default via 192.168.50.1 dev eth1 && lab-node-sync',
    );
    expect(nic.code, nic.stderr).toBe(0);
    const r = await run('doctor');
    const seen = [
      (await e.lab.exec('w1', 'ip -o -4 addr show; ip -4 route show default; command -v ip')).stdout,
      (await e.lab.exec('cp1', `kubectl --kubeconfig ${ADMIN} get node w1 -o json`)).stdout.slice(0, 1500),
    ].join('\n');
    expect(r.code, r.stdout + r.stderr + seen).toBe(2);
    const w1 = e.lab.hosts.find((h) => h.name === 'w1')!.ip;
    expect(findings(r.report, 'flannel.iface'), seen).toEqual([
      expect.objectContaining({
        node: 'w1',
        severity: 'critical',
        message: expect.stringContaining(`flannel uses 192.168.50.12 (eth1), not the inventory address ${w1} (eth0)`),
      }),
    ]);
    // cp1 has no route to w1's wrong VTEP address: the cross-node traffic fails both ways (w1's answers too)
    expect(
      findings(r.report, 'net.pod-to-pod')
        .map((f) => `${f.node} ${f.severity}`)
        .sort(),
      seen,
    ).toEqual(['cp1 critical', 'w1 critical']);
    expect(findings(r.report, 'net.pod-to-pod')[0]!.evidence[0]).toContain('wget: download timed out');
  }, 300_000);

  it("doctor: a blackhole route on the worker for the control plane's pod subnet fails the cross-node checks, nothing else", async () => {
    const back = await e.lab.exec('w1', 'ip link del eth1 && lab-node-sync');
    expect(back.code, back.stderr).toBe(0);
    const healthy = await run('doctor');
    expect(healthy.code, healthy.stdout).toBe(0);
    const node = JSON.parse((await e.lab.exec('cp1', `kubectl --kubeconfig ${ADMIN} get node cp1 -o json`)).stdout) as {
      spec: { podCIDR: string };
    };
    const plant = await e.lab.exec('w1', `ip route add blackhole ${node.spec.podCIDR} && lab-node-sync`);
    expect(plant.code, plant.stderr).toBe(0);
    const r = await run('doctor');
    expect(r.code, r.stdout + r.stderr).toBe(2);
    const bad = r.report.checks.filter((c) => c.findings.length).map((c) => c.id);
    expect(bad).toEqual(['net.pod-to-pod', 'net.pod-to-service']);
    expect(findings(r.report, 'net.pod-to-pod').map((f) => f.message)).toEqual([
      expect.stringMatching(/^the test pod on cp1 cannot reach the test pod on w1 \(http:\/\/10\./),
      expect.stringMatching(/^the test pod on w1 cannot reach the test pod on cp1 \(http:\/\/10\./),
    ]);
    const gone = await e.lab.exec('w1', `ip route del blackhole ${node.spec.podCIDR} && lab-node-sync`);
    expect(gone.code, gone.stderr).toBe(0);
  }, 300_000);

  it('doctor: IPv4 forwarding turned off on the worker is CRITICAL, exit 2', async () => {
    const off = await e.lab.exec('w1', 'sysctl -w net.ipv4.ip_forward=0');
    expect(off.code, off.stderr).toBe(0);
    const r = await run('doctor');
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(findings(r.report, 'host.sysctl')).toEqual([
      expect.objectContaining({ node: 'w1', severity: 'critical', evidence: ['net.ipv4.ip_forward = 0'] }),
    ]);
  }, 300_000);
});
