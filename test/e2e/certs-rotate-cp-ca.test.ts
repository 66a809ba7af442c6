/**
 * certs rotate-ca --ca etcd,front-proxy on 1 control plane + 1 worker with a 2-replica workload: the plan shows every
 * step of both and writes nothing; the etcd CA rotation, killed with -9 while the control plane trusts both etcd CAs,
 * completes on a re-run; afterwards every etcd and front-proxy certificate chains to its new CA, the old CAs are in no
 * file under /etc/kubernetes of any node nor in extension-apiserver-authentication, the cluster works and the workload
 * kept a ready replica whenever the API answered. The lab's API server refuses to serve when its etcd link fails TLS
 * with what both loaded at their last start (test/lab/emulators/src/kube/trust.ts), so a step out of order fails here.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labDown, type Lab } from '../lab/lab.js';
import { kubesmith, labReady } from './helpers.js';
import { killMidwayThenRerun, upRotateLab } from './helpers/certs-rotate.js';
import type { LabRegistry } from './registry.js';

const NAME = 'e2e-rotate-cp-ca';
const ADMIN = '/etc/kubernetes/admin.conf';
const PKI = '/etc/kubernetes/pki';
const ETCD_LEAVES = ['etcd/server', 'etcd/peer', 'etcd/healthcheck-client', 'apiserver-etcd-client'];
const WAIT = ['--restart-wait', '3', '--health-timeout', '120'];

describe.skipIf(!labReady())('certs rotate-ca --ca etcd,front-proxy: the control-plane CAs without downtime (1 cp + 1 worker)', () => {
  let lab: Lab;
  let inv: string;
  let registry: LabRegistry;
  const admin = mkdtempSync(join(tmpdir(), 'ks-rotate-cp-ca-'));
  const kubectl = (args: string) => lab.exec('cp1', `kubectl --kubeconfig ${ADMIN} ${args}`);
  const pem = async (file: string) => (await lab.exec('cp1', `cat ${PKI}/${file}`)).stdout;
  /** A full line of the certificate's signature (unique to it): found by grep wherever the certificate is. */
  const bodyLine = (cert: string) => {
    const lines = cert.trim().split('\n');
    return lines[lines.length - 3]!;
  };
  const old: Record<string, string> = {};

  beforeAll(async () => {
    ({ lab, inv, registry } = await upRotateLab(NAME, ['cp1'], ['w1'], admin));
    old.etcd = await pem('etcd/ca.crt');
    old.frontProxy = await pem('front-proxy-ca.crt');
  }, 1_200_000);

  afterAll(async () => {
    await registry?.close();
    if (lab) await labDown(NAME);
  }, 120_000);

  it('--plan shows every step of both CAs and changes nothing; an unknown CA is refused', async () => {
    const files = `sha256sum ${PKI}/etcd/* ${PKI}/front-proxy-* ${PKI}/apiserver-etcd-client.crt; ls ${PKI}`;
    const before = await lab.exec('cp1', files);
    const run = await kubesmith(['certs', 'rotate-ca', '-i', inv, '--ca', 'front-proxy,etcd', '--plan'], admin);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    for (const step of [
      'etcd CA: generate the new CA on cp1',
      'cp1: etcd CA: trust old+new in etcd/ca.crt',
      'cp1: etcd CA: the new CA signs; re-issue etcd/server, etcd/peer, etcd/healthcheck-client, apiserver-etcd-client',
      'cp1: etcd CA: remove the old CA',
      'front-proxy CA: generate the new CA on cp1',
      'cp1: front-proxy CA: trust old+new in front-proxy-ca.crt',
      'cp1: front-proxy CA: remove the old CA',
      'front-proxy CA: re-publish kube-system/extension-apiserver-authentication',
    ])
      expect(run.stdout, step).toContain(step);
    expect(run.stdout).not.toContain('w1');
    expect(run.stdout.indexOf('etcd CA: generate')).toBeLessThan(run.stdout.indexOf('front-proxy CA: generate'));
    expect((await lab.exec('cp1', files)).stdout).toBe(before.stdout);
    const bad = await kubesmith(['certs', 'rotate-ca', '-i', inv, '--ca', 'sa-key', '--plan'], admin);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--ca sa-key: unknown CA (expected etcd, front-proxy, cluster');
  }, 300_000);

  it('killed with -9 while both etcd CAs are trusted, a re-run completes both rotations; the workload keeps a ready replica', async () => {
    await killMidwayThenRerun({
      kubectl,
      args: ['certs', 'rotate-ca', '-i', inv, '--ca', 'etcd', '--ca', 'front-proxy', '--yes', ...WAIT],
      planArgs: ['certs', 'rotate-ca', '-i', inv, '--ca', 'etcd', '--plan'],
      admin,
      midway: [
        'cp1 trusting both etcd CAs',
        async () => (await lab.exec('cp1', `grep -c "BEGIN CERTIFICATE" ${PKI}/etcd/ca.crt`)).stdout.trim() === '2',
      ],
      underway: 'A rotation of the etcd CA is under way',
    });
  }, 1_800_000);

  it('afterwards: every etcd and front-proxy certificate chains to its new CA, the old CAs are trusted nowhere, the cluster works', async () => {
    const etcdCa = await pem('etcd/ca.crt');
    const proxyCa = await pem('front-proxy-ca.crt');
    for (const [now, before] of [
      [etcdCa, old.etcd!],
      [proxyCa, old.frontProxy!],
    ] as const) {
      expect(now.match(/BEGIN CERTIFICATE/g)?.length).toBe(1);
      expect(now).not.toBe(before);
    }
    const verify = (ca: string, leaf: string) => lab.exec('cp1', `openssl verify -CAfile ${PKI}/${ca} ${PKI}/${leaf}.crt`);
    for (const leaf of ETCD_LEAVES) expect((await verify('etcd/ca.crt', leaf)).stdout, leaf).toMatch(/: OK$/m);
    expect((await verify('front-proxy-ca.crt', 'front-proxy-client')).stdout).toMatch(/: OK$/m);
    // each CA key signs for its certificate: the key matches the new CA
    for (const ca of ['etcd/ca', 'front-proxy-ca']) {
      const pub = await lab.exec(
        'cp1',
        `a=$(openssl x509 -noout -pubkey -in ${PKI}/${ca}.crt | sha256sum); b=$(openssl pkey -pubout -in ${PKI}/${ca}.key | sha256sum); [ "$a" = "$b" ] && echo same`,
      );
      expect(pub.stdout.trim(), ca).toBe('same');
    }
    for (const h of ['cp1', 'w1'])
      for (const before of [old.etcd!, old.frontProxy!]) {
        const found = await lab.exec(h, `grep -rlF -- '${bodyLine(before)}' /etc/kubernetes || true`);
        expect(found.stdout.trim(), `${h} still holds an old CA`).toBe('');
      }
    for (const dir of ['ca-rotation-etcd', 'ca-rotation-front-proxy'])
      expect((await lab.exec('cp1', `test -e ${PKI}/${dir}`)).code).not.toBe(0);
    const ext = await kubectl('get configmap extension-apiserver-authentication -n kube-system -o json');
    expect(ext.code, ext.stderr).toBe(0);
    const published = JSON.parse(ext.stdout).data['requestheader-client-ca-file'] as string;
    expect(published.match(/BEGIN CERTIFICATE/g)?.length).toBe(1);
    expect(published).toContain(bodyLine(proxyCa));
    const nodes = await kubectl('get nodes --no-headers');
    expect(
      nodes.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(/\s+/).slice(0, 2).join(' ')),
    ).toEqual(['cp1 Ready', 'w1 Ready']);
    const check = await kubesmith(['certs', 'check', '-i', inv], admin);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect((await kubectl('get deploy shop -o jsonpath={.status.readyReplicas}')).stdout).toBe('2');
  }, 300_000);

  it('the lab holds kubesmith to the order: etcd restarted trusting only the old CA cuts the API server off', async () => {
    const restartEtcd = () => lab.exec('cp1', 'cd /etc/kubernetes && mv manifests/etcd.yaml . && sleep 1 && mv etcd.yaml manifests/');
    const current = await pem('etcd/ca.crt');
    expect((await lab.exec('cp1', `cat > ${PKI}/etcd/ca.crt`, { input: old.etcd! })).code).toBe(0);
    await restartEtcd();
    const cut = await kubectl('get nodes');
    expect(cut.code).not.toBe(0);
    expect(cut.stderr).toMatch(/The connection to the server .* was refused/);
    expect((await lab.exec('cp1', `cat > ${PKI}/etcd/ca.crt`, { input: current })).code).toBe(0);
    await restartEtcd();
    expect((await kubectl('get nodes')).code).toBe(0);
  }, 120_000);
});
