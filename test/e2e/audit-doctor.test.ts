/**
 * audit and doctor on the lab, 1 control plane (real etcd) + 1 worker built by `apply`: doctor calls the fresh
 * cluster healthy (exit 0); the seed runbook's anonymous cluster-admin binding and swap turned back on are named by
 * audit (exit 2); a second NIC on the worker carrying its default route, which flannel then picks (the seed's
 * multi-NIC --iface note), and IPv4 forwarding turned off there are found by doctor (exit 2). Both stay read-only.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubesmith, labReady, writesIn } from './helpers.js';
import { ADMIN, applyCluster, upEtcdLab, type EtcdLab } from './etcd-lab.js';

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
}

describe.skipIf(!labReady())('audit and doctor on a lab cluster (1 control plane + 1 worker)', () => {
  let e: EtcdLab;
  const admin = mkdtempSync(join(tmpdir(), 'ks-auditdoc-'));
  const run = async (cmd: 'audit' | 'doctor') => {
    const before = e.lab.hosts.map((h) => e.lab.journal(h.name).length);
    const r = await kubesmith([cmd, '-i', e.inv, '--output', 'json'], admin);
    e.lab.hosts.forEach((h, i) => expect(writesIn(e.lab.journal(h.name).slice(before[i])), `${cmd} wrote on ${h.name}`).toEqual([]));
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
