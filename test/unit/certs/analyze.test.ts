import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { analyze, exitCodeFor, type NodeInput } from '../../../src/certs/analyze.js';
import { collectScript, parseCollected } from '../../../src/certs/collect.js';
import { formatReport, reportJson } from '../../../src/certs/report.js';
import { sharedStatus } from '../../../src/certs/shared.js';
import { makeCas, NOW, tempRoot, writeNodeTree, type NodeTreeOptions } from './fixture.js';

const IPS: Record<string, string> = { cp1: '10.0.0.1', cp2: '10.0.0.2', cp3: '10.0.0.3', w1: '10.0.0.9' };

// `nobody` exists on every Debian/Ubuntu machine (home /nonexistent): the collector finds the SSH user's home with getent
function node(name: string, controlPlane: boolean, o: Partial<NodeTreeOptions> = {}, sshUser = 'root'): NodeInput {
  const root = tempRoot();
  writeNodeTree(root, { node: name, ip: IPS[name]!, ...o });
  const collected = parseCollected(execFileSync('bash', ['-c', collectScript(controlPlane, root, sshUser).text], { encoding: 'utf8' }));
  delete collected.hostNow; // judged at opts.now here; the node's own clock has its test in host-clock.test.ts
  return { node: name, controlPlane, expectedSans: controlPlane ? [name, IPS[name]!] : [], collected };
}

const opts = { now: new Date(NOW), warnDays: 30 };

describe('certs check analysis', () => {
  const cas = makeCas();
  const healthy = [node('cp1', true, { cas }), node('cp2', true, { cas }), node('cp3', true, { cas }), node('w1', false, { cas })];

  it('a healthy HA cluster is OK (exit 0) with one row per certificate', () => {
    const r = analyze(healthy, opts);
    expect(r.findings).toEqual([]);
    expect(r.exitCode).toBe(0);
    const cp1 = r.rows.filter((x) => x.node === 'cp1').map((x) => x.cert);
    expect(cp1).toEqual(
      expect.arrayContaining([
        'ca',
        'etcd-ca',
        'apiserver',
        'etcd-server',
        'admin.conf',
        'super-admin.conf',
        'kubelet-client',
        'kubelet-serving',
      ]),
    );
    expect(r.rows.filter((x) => x.node === 'w1').map((x) => x.cert)).toEqual(['kubelet-client', 'kubelet-serving']);
    const api = r.rows.find((x) => x.node === 'cp2' && x.cert === 'apiserver')!;
    expect(api.ca).toBe('ca');
    expect(api.daysLeft).toBe(364);
    expect(r.rows.find((x) => x.cert === 'etcd-peer')!.ca).toBe('etcd-ca');
    expect(r.rows.find((x) => x.cert === 'kubelet-serving')!.ca).toBe('self-signed');
  });

  it('certificates expiring within --warn-days: WARNING (exit 1); a wider window than their life left', () => {
    const soon = [node('cp1', true, { cas, leafDays: [-355, 10] })];
    const r = analyze(soon, opts);
    expect(r.exitCode).toBe(1);
    expect(r.rows.find((x) => x.cert === 'apiserver')).toMatchObject({ daysLeft: 9, status: 'warning' });
    expect(analyze(soon, { ...opts, warnDays: 5 }).exitCode).toBe(0);
  });

  it('expired certificates: CRITICAL (exit 2), with how long ago', () => {
    const r = analyze([node('cp1', true, { cas, leafDays: [-395, -30] })], opts);
    expect(r.exitCode).toBe(2);
    expect(r.rows.find((x) => x.cert === 'admin.conf')).toMatchObject({ status: 'critical', note: 'expired 30 day(s) ago' });
    expect(r.rows.find((x) => x.cert === 'ca')!.status).toBe('ok');
  });

  it('not yet valid: CRITICAL', () => {
    const r = analyze([node('cp1', true, { cas, leafDays: [2, 300] })], opts);
    expect(r.exitCode).toBe(2);
    expect(r.rows.find((x) => x.cert === 'apiserver')!.note).toMatch(/not valid before/);
  });

  it('a control plane with its own CA: CRITICAL, names the odd node and the majority', () => {
    const r = analyze([healthy[0]!, node('cp2', true), healthy[2]!], opts);
    expect(r.exitCode).toBe(2);
    const msgs = r.findings.map((f) => f.message);
    expect(msgs).toContain('ca.crt differs on cp2 from the majority (cp1, cp3)');
    expect(msgs).toContain('sa.key differs on cp2 from the majority (cp1, cp3)');
    const status = sharedStatus([healthy[0]!, node('cp2', true), healthy[2]!].map((n) => ({ node: n.node, collected: n.collected! })));
    expect(status.every((s) => s.differing.join() === 'cp2' && s.holders.join() === 'cp1,cp3')).toBe(true);
  });

  it('two control planes with different CAs: no majority, CRITICAL, says so', () => {
    const r = analyze([healthy[0]!, node('cp2', true)], opts);
    expect(r.exitCode).toBe(2);
    expect(r.findings.map((f) => f.message)).toContain('ca.crt: control planes disagree and no version has a majority (cp1, cp2)');
    const missing = node('cp3', true, { cas });
    missing.collected!.pubkeys.delete('sa.key');
    expect(analyze([healthy[0]!, healthy[1]!, missing], opts).findings.map((f) => f.message)).toContain('sa.key missing on cp3');
  });

  it('an apiserver certificate without its node IP or the endpoint host: CRITICAL missing SAN', () => {
    const r = analyze([node('cp1', true, { cas, dropIpSan: true })], opts);
    expect(r.exitCode).toBe(2);
    expect(r.findings.map((f) => f.message)).toContain('apiserver certificate lacks SAN 10.0.0.1');
    const ep = analyze([healthy[0]!], { ...opts, endpointHost: 'lb.example' });
    expect(ep.findings.map((f) => f.message)).toEqual(['apiserver certificate lacks SAN lb.example']);
    expect(analyze([node('cp1', true, { cas, extraSans: ['lb.example'] })], { ...opts, endpointHost: 'LB.example' }).exitCode).toBe(0);
  });

  it('an unreachable node is UNKNOWN (3), unless something is CRITICAL', () => {
    const down: NodeInput = { node: 'cp3', controlPlane: true, expectedSans: [], unreachable: 'connect ETIMEDOUT' };
    expect(analyze([healthy[0]!, down], opts).exitCode).toBe(3);
    expect(analyze([node('cp1', true, { cas, leafDays: [-395, -30] }), down], opts).exitCode).toBe(2);
    expect(exitCodeFor(['warning', 'unknown'])).toBe(3);
    expect(exitCodeFor(['ok', 'warning'])).toBe(1);
    expect(exitCodeFor([])).toBe(0);
  });

  it('a missing file is CRITICAL; super-admin.conf may be absent (joined control planes)', () => {
    const n = node('cp2', true, { cas });
    n.collected!.kubeconfigs.delete('super-admin.conf');
    expect(analyze([n], opts).exitCode).toBe(0);
    n.collected!.certs.delete('etcd-server');
    const r = analyze([n], opts);
    expect(r.exitCode).toBe(2);
    expect(r.rows.find((x) => x.cert === 'etcd-server')!.note).toBe('missing');
  });

  it('table and JSON output', () => {
    const r = analyze(
      [node('cp1', true, { cas, leafDays: [-355, 10] }), { node: 'w1', controlPlane: false, expectedSans: [], unreachable: 'refused' }],
      opts,
    );
    const text = formatReport(r);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^NODE\s+CERTIFICATE\s+EXPIRES\s+DAYS LEFT\s+SIGNING CA\s+STATUS$/);
    expect(lines.find((l) => /^cp1\s+apiserver\s/.test(l))).toMatch(/\s9\s+ca\s+WARNING \(expires within 30 days\)$/);
    expect(text).toMatch(/^w1\s+\*.*UNKNOWN \(refused\)$/m);
    expect(text.trimEnd().split('\n').pop()).toMatch(/^CERTS UNKNOWN - \d+ warning, 1 unknown$/);
    const json = JSON.parse(reportJson(r));
    expect(json).toMatchObject({ type: 'certs.check', status: 'UNKNOWN', exitCode: 3 });
    expect(json.certificates.length).toBe(r.rows.length);
  });

  it('CA life: WARNING below a year (whatever --warn-days says), CRITICAL below 90 days', () => {
    const r = analyze([node('cp1', true, { cas: makeCas(200) })], opts);
    expect(r.exitCode).toBe(1);
    expect(r.rows.find((x) => x.cert === 'etcd-ca')).toMatchObject({
      daysLeft: 199,
      status: 'warning',
      note: 'expires within 365 days (a CA is rotated, not renewed)',
    });
    expect(r.rows.find((x) => x.cert === 'apiserver')!.status).toBe('ok');
    expect(analyze([node('cp1', true, { cas: makeCas(200) })], { ...opts, warnDays: 5 }).exitCode).toBe(1);
    const short = analyze([node('cp1', true, { cas: makeCas(60), leafDays: [-1, 50] })], opts);
    expect(short.exitCode).toBe(2);
    expect(short.rows.find((x) => x.cert === 'ca')).toMatchObject({ status: 'critical', note: 'CA expires within 90 days (rotate it)' });
    expect(short.findings.map((f) => f.message)).toContain('front-proxy-ca: CA expires within 90 days (rotate it)');
  });

  it("the admin.conf copies: root's and the SSH user's ~/.kube/config on every node that has one, and the admin machine's", () => {
    const cp1 = node('cp1', true, { cas, copies: ['/root', '/nonexistent'] }, 'nobody');
    const w1 = node('w1', false, { cas, copies: ['/nonexistent'], server: 'https://10.0.0.1:6443' }, 'nobody');
    const adminConf = cp1.collected!.kubeconfigs.get('admin.conf')!;
    const r = analyze([cp1, w1], { ...opts, adminCopy: { path: '/home/op/.kubesmith/k/admin.conf', lines: adminConf.lines } });
    expect(r.findings).toEqual([]);
    const copies = r.rows.filter((x) => x.cert.includes('.kube/config') || x.node === 'admin').map((x) => `${x.node} ${x.cert} ${x.ca}`);
    expect(copies).toEqual([
      'cp1 ~root/.kube/config ca',
      'cp1 ~nobody/.kube/config ca',
      'w1 ~nobody/.kube/config ca',
      'admin admin.conf ca',
    ]);
    expect(r.rows.find((x) => x.node === 'admin')).toMatchObject({ path: '/home/op/.kubesmith/k/admin.conf', daysLeft: 364, status: 'ok' });
    // w1 has no root copy: an absent copy is not a finding
    expect(w1.collected!.missing.get('~root/.kube/config')).toMatch(/\/root\/\.kube\/config$/);
  });

  it('a copy that expired, one left behind by a renewal, and one trusting another CA', () => {
    const cp1 = node('cp1', true, { cas });
    const server = 'https://10.0.0.1:6443'; // every copy names the API server of cp1's admin.conf, as copies of it do
    const old = node('cp2', true, { cas, leafDays: [-395, -3], copies: ['/root'], server }).collected!.kubeconfigs.get(
      '~root/.kube/config',
    )!;
    const stale = node('cp3', true, { cas, leafDays: [-100, 265], copies: ['/root'] }).collected!.kubeconfigs.get('~root/.kube/config')!;
    // a copy of this cluster's admin.conf (same API server) signed by and trusting a CA the cluster does not have
    const foreign = node('w1', false, { copies: ['/root'], server }).collected!.kubeconfigs.get('~root/.kube/config')!;
    // the SSH user's kubeconfig of another cluster (another API server): not a copy of ours, not checked
    const other = node('w1', false, { copies: ['/root'] }).collected!.kubeconfigs.get('~root/.kube/config')!;
    cp1.collected!.kubeconfigs.set('~root/.kube/config', old);
    const w1 = node('w1', false, { cas });
    w1.collected!.kubeconfigs.set('~root/.kube/config', foreign);
    w1.collected!.kubeconfigs.set('~kube/.kube/config', other);
    const r = analyze([cp1, w1], { ...opts, adminCopy: stale });
    expect(r.rows.find((x) => x.node === 'cp1' && x.cert === '~root/.kube/config')).toMatchObject({
      status: 'critical',
      note: 'expired 3 day(s) ago; not the current admin.conf',
    });
    expect(r.rows.find((x) => x.node === 'admin')).toMatchObject({ status: 'ok', daysLeft: 264, note: 'not the current admin.conf' });
    expect(r.rows.find((x) => x.node === 'w1' && x.cert === '~root/.kube/config')!.status).toBe('critical');
    expect(r.findings.map((f) => `${f.node}: ${f.message}`)).toContain(
      "w1: ~root/.kube/config: embedded CA differs from the cluster's pki/ca.crt",
    );
    expect(r.rows.filter((x) => x.cert === '~kube/.kube/config')).toEqual([]);
    expect(r.exitCode).toBe(2);
  });

  it('a kubelet.conf embedding its client certificate (kubeadm init before 1.17): the row comes from it, and a WARNING says it never rotates', () => {
    const cp1 = node('cp1', true, { cas });
    const conf = cp1.collected!.kubeconfigs.get('kubelet.conf')!;
    const pem = cp1.collected!.certs.get('kubelet-client')!.pem;
    conf.lines.clientCertData = pem;
    delete conf.lines.clientCertFile;
    const r = analyze([cp1], opts);
    expect(r.rows.find((x) => x.cert === 'kubelet-client')).toMatchObject({ path: '/etc/kubernetes/kubelet.conf', status: 'ok' });
    expect(r.findings).toContainEqual(
      expect.objectContaining({
        severity: 'warning',
        node: 'cp1',
        message: expect.stringMatching(/^kubelet\.conf embeds its client certificate/),
      }),
    );
    expect(r.exitCode).toBe(1);
    expect(analyze([node('cp1', true, { cas })], opts).findings.some((f) => /embeds/.test(f.message))).toBe(false);
  });

  it('a worker checked alone (--limit) has no CA to compare with: its signer is unknown, not wrong', () => {
    const w1 = node('w1', false, { cas });
    w1.collected!.kubeconfigs.get('kubelet.conf')!.lines.caData = undefined;
    const r = analyze([w1], opts);
    expect(r.rows.find((x) => x.cert === 'kubelet-client')).toMatchObject({ ca: '? (issuer CN=kubernetes)', status: 'ok' });
  });
});
