/**
 * `kubesmith audit` and `kubesmith doctor` end to end on recording transports: every command they send is expected
 * (anything else fails), answers are the recorded real samples, nothing is written; exit codes as `certs check`.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { collectScript } from '../../../src/certs/collect.js';
import type { RecordingTransport } from '../../../src/transport/recording.js';
import { cli, tempDir, writeInventory, GOOD_INVENTORY } from '../cli/helpers.js';
import { makeCas, tempRoot, writeNodeTree } from '../certs/fixture.js';
import { real } from '../fixtures-real/real.js';

const cas = makeCas();
const trees = { cp1: tempRoot(), w1: tempRoot() };
writeNodeTree(trees.cp1, { node: 'cp1', ip: '10.199.0.10', cas });
writeNodeTree(trees.w1, { node: 'w1', ip: '10.199.0.11', cas });
const certsOf = (host: 'cp1' | 'w1') => execFileSync('bash', ['-c', collectScript(host === 'cp1', trees[host]).text], { encoding: 'utf8' });
const ipAddr = (ip: string) =>
  `1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever\n2: eth0    inet ${ip}/24 scope global eth0\\       valid_lft forever preferred_lft forever\n`;

/** A host of the seed's kind: swap on (w1), the old Aliyun source, containerd 1.6.20. */
function auditHost(t: RecordingTransport): void {
  const name = t.host as 'cp1' | 'w1';
  const ip = name === 'cp1' ? '10.199.0.10' : '10.199.0.11';
  t.setFile('/proc/swaps', real('proc', name === 'w1' ? 'swaps.txt' : 'swaps-none.txt'));
  t.setFile('/var/lib/kubelet/kubeadm-flags.env', real('kubeadm', 'kubeadm-flags-env.txt'));
  t.expect(/^grep -rHnsE/, { code: 2, stdout: real('grep', 'repo-lines-no-yum.txt') });
  t.expect(/^containerd --version$/, { stdout: real('containerd', 'version.txt') });
  t.expect(/^ip -o addr show$/, { stdout: ipAddr(ip) });
  t.expect(/^hostname$/, { stdout: `${name}\n` });
  t.expect(/^b64\(\) \{/, { stdout: certsOf(name) });
  if (name === 'cp1') {
    t.expect(/get clusterrolebindings -o json$/, { stdout: real('kubectl', 'get-clusterrolebindings-o-json.json') });
    t.expect(/get nodes -o json$/, { stdout: real('kubectl', 'get-nodes-o-json.json') });
    t.expect(/get configmap kubeadm-config -o json$/, { stdout: real('kubectl', 'get-cm-kubeadm-config-o-json.json') });
  }
}

describe('kubesmith audit (command)', () => {
  it('reads every host and the API once, writes nothing, names each hazard, exits 2 (CRITICAL)', async () => {
    const inv = writeInventory(tempDir());
    const r = await cli(['audit', '-i', inv, '--output', 'json'], { prepare: auditHost });
    const report = JSON.parse(r.stdout) as {
      status: string;
      exitCode: number;
      checks: { id: string; findings: { severity: string; node?: string }[] }[];
    };
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(report.exitCode).toBe(2);
    const found = (id: string) =>
      report.checks.filter((c) => c.id === id).flatMap((c) => c.findings.map((f) => `${f.severity}:${f.node ?? ''}`));
    expect(found('rbac.anonymous')).toEqual(['critical:']);
    expect(found('kubeadm.endpoint')).toEqual(['warning:']);
    expect(found('host.swap')).toEqual(['warning:w1']);
    expect(found('packages.repos')).toEqual(['warning:cp1', 'warning:w1']);
    expect(found('runtime.containerd-eol')).toEqual(expect.arrayContaining(['warning:cp1', 'warning:w1']));
    expect(found('certs')).toEqual([]); // apiserver.crt of cp1 names cp1 and 10.199.0.10
    for (const t of r.transports.values()) {
      t.assertDone();
      expect(t.calls.filter((c) => c.kind === 'writeFile')).toEqual([]);
    }
    const text = await cli(['audit', '-i', inv], { prepare: auditHost });
    expect(text.stdout).toMatch(/^CRITICAL\s+RBAC: nothing bound to anonymous or unauthenticated users$/m);
    expect(text.stdout).toContain('    fix:  kubectl delete clusterrolebinding test:anonymous');
    expect(text.stdout).toMatch(/^AUDIT CRITICAL - 1 critical, \d+ warning$/m);
  });

  it('a host that cannot be reached makes its checks UNKNOWN (3); a broken inventory is UNKNOWN too', async () => {
    const inv = writeInventory(tempDir());
    const r = await cli(['audit', '-i', inv, '--output', 'json'], {
      prepare: (t) => {
        if (t.host === 'cp1') return auditHost(t);
        t.allow(/./, () => {
          throw new Error('connect ECONNREFUSED 10.199.0.11:22');
        });
      },
    });
    const cp1Only = JSON.parse(r.stdout) as { checks: { id: string; findings: { severity: string; node?: string }[] }[] };
    expect(cp1Only.checks.find((c) => c.id === 'host.swap')?.findings).toEqual([
      expect.objectContaining({ severity: 'unknown', node: 'w1' }),
    ]);
    expect(r.code).toBe(2); // the anonymous binding is still CRITICAL, which outranks UNKNOWN
    const bad = await cli([
      'audit',
      '-i',
      writeInventory(tempDir(), GOOD_INVENTORY.replace('roles: [worker]', 'roles: [bogus]')),
      '--output',
      'json',
    ]);
    expect(bad.code).toBe(3);
    expect(JSON.parse(bad.stdout)).toMatchObject({ type: 'audit', status: 'UNKNOWN', exitCode: 3 });
  });
});

describe('kubesmith doctor (command)', () => {
  it('with the API down and no etcd container: the API checks UNKNOWN, etcd CRITICAL (exit 2), hosts still checked', async () => {
    const inv = writeInventory(tempDir());
    const r = await cli(['doctor', '-i', inv], {
      prepare: (t) => {
        t.allow(/^kubectl /, { code: 1, stderr: 'The connection to the server 10.199.0.10:6443 was refused' });
        t.allow(/^sysctl -n net\.bridge\.bridge-nf-call-iptables$/, { stdout: real('sysctl', 'n-bridge-nf-call-iptables.txt') });
        t.allow(/^sysctl -n net\.ipv4\.ip_forward$/, { stdout: '1\n' });
        t.allow(/^ip -o link show$/, { stdout: real('ip', 'link-show-o-mtu.txt') });
        t.allow(/^ip -o addr show$/, { stdout: real('ip', 'addr-show-o.txt') });
        t.allow(/^test -f \/etc\/kubernetes\/pki\/etcd\/healthcheck-client\.crt$/, { code: 1 });
      },
    });
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stdout).toMatch(/^UNKNOWN\s+Cluster API: nodes, pods, kube-proxy$/m);
    expect(r.stdout).toContain('no control plane has a healthy local etcd member');
    expect(r.stdout).toMatch(/^OK\s+Hosts: br_netfilter loaded, bridge-nf-call-iptables and ip_forward on$/m);
    expect(r.stdout).toMatch(/^DOCTOR CRITICAL - 1 critical, 1 unknown$/m);
    for (const t of r.transports.values()) expect(t.calls.filter((c) => c.kind === 'writeFile')).toEqual([]);
  });
});
