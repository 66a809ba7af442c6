import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type CsrObject, judgeCsr, parseCsrList } from '../../../src/certs/csr-approver.js';
import { canonicalIp, parseCsrPem } from '../../../src/certs/csr-der.js';
import type { HostSpec } from '../../../src/inventory/schema.js';

const REPO = resolve(import.meta.dirname, '../../..');
const real = readFileSync(join(REPO, 'test/fixtures/real/kubectl/get-csr-kubelet-serving-o-json.json'), 'utf8');
/** The recorded kubelet serving CSR (OKD 4 lab), made pending again: it was approved when recorded. */
const recorded = (): CsrObject => {
  const csr = structuredClone(parseCsrList(real)[0]!);
  csr.status = {};
  return csr;
};
const NODE = 'okd4-control-plane-1.lab.okd.local';
const host = (over: Partial<HostSpec> = {}): HostSpec =>
  ({ name: NODE, address: '192.168.112.103', roles: ['control-plane'], ...over }) as HostSpec;
const other = { name: 'w1', address: '192.168.112.104', roles: ['worker'] } as HostSpec;

const dir = mkdtempSync(join(tmpdir(), 'csr-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
/** A request shaped as the kubelet makes it (ECDSA P-256, CN/O, SANs), made with openssl. */
function request(cn: string, san: string, org = 'system:nodes'): string {
  execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', join(dir, 'k.pem')]);
  const out = execFileSync('openssl', [
    'req',
    '-new',
    '-key',
    join(dir, 'k.pem'),
    '-subj',
    `/O=${org}/CN=${cn}`,
    '-addext',
    `subjectAltName=${san}`,
  ]);
  return out.toString('utf8');
}
function servingCsr(name: string, username: string, pem: string): CsrObject {
  return {
    metadata: { name },
    spec: {
      request: Buffer.from(pem).toString('base64'),
      signerName: 'kubernetes.io/kubelet-serving',
      usages: ['digital signature', 'server auth'],
      username,
    },
    status: {},
  };
}

describe('the CSR reader', () => {
  it("reads the recorded kubelet request's subject and SANs", () => {
    const facts = parseCsrPem(Buffer.from(recorded().spec.request, 'base64').toString('utf8'));
    expect(facts).toEqual({
      commonName: `system:node:${NODE}`,
      organizations: ['system:nodes'],
      dnsNames: [NODE],
      ipAddresses: ['192.168.112.103'],
      otherNames: [],
    });
  });

  it('reads IPv6 SANs and other SAN kinds', () => {
    const facts = parseCsrPem(request('system:node:w1', 'DNS:w1,IP:fd00:10::5,email:a@b.example'));
    expect(facts.ipAddresses).toEqual([canonicalIp('fd00:10::5')]);
    expect(facts.dnsNames).toEqual(['w1']);
    expect(facts.otherNames).toEqual(['type 1']);
  });

  it('refuses what is not a request', () => {
    expect(() => parseCsrPem('-----BEGIN CERTIFICATE REQUEST-----\nMAA=\n-----END CERTIFICATE REQUEST-----')).toThrow();
    expect(() => parseCsrPem('hello')).toThrow(/not a PEM certificate request/);
  });
});

describe('the approver', () => {
  it('approves the recorded request of an inventory host with that name and address', () => {
    expect(judgeCsr(recorded(), [other, host()])).toEqual({ name: 'csr-c7mw4', decision: 'approve', host: NODE });
  });

  it('leaves an already approved request alone', () => {
    expect(judgeCsr(parseCsrList(real)[0]!, [host()])).toMatchObject({ decision: 'ignore', reason: 'already Approved' });
  });

  it("refuses a request whose IP is not the host's in the inventory", () => {
    const v = judgeCsr(recorded(), [host({ address: '192.168.112.50' })]);
    expect(v).toMatchObject({ decision: 'refuse' });
    expect('reason' in v && v.reason).toMatch(/IP 192\.168\.112\.103 is not .*'s in the inventory/);
  });

  it('refuses a foreign IP next to the right ones', () => {
    const csr = servingCsr('csr-forged', 'system:node:w1', request('system:node:w1', 'DNS:w1,IP:192.168.112.104,IP:10.9.9.9'));
    expect(judgeCsr(csr, [other])).toMatchObject({ decision: 'refuse', reason: "IP 10.9.9.9 is not w1's in the inventory" });
  });

  it('refuses a request made by another node or by a non-node', () => {
    const asW1 = { ...recorded(), spec: { ...recorded().spec, username: 'system:node:w1' } };
    expect(judgeCsr(asW1, [host(), other])).toMatchObject({ decision: 'refuse', reason: expect.stringMatching(/^subject CN/) });
    const asAdmin = { ...recorded(), spec: { ...recorded().spec, username: 'kubernetes-admin' } };
    expect(judgeCsr(asAdmin, [host()])).toMatchObject({ decision: 'refuse', reason: expect.stringMatching(/not a node of the inventory/) });
  });

  it('refuses a wrong organisation, a foreign DNS name and client usages', () => {
    const org = servingCsr('a', 'system:node:w1', request('system:node:w1', 'DNS:w1', 'system:masters'));
    expect(judgeCsr(org, [other])).toMatchObject({ decision: 'refuse', reason: expect.stringMatching(/subject O system:masters/) });
    const dns = servingCsr('b', 'system:node:w1', request('system:node:w1', 'DNS:w1,DNS:api.example.com'));
    expect(judgeCsr(dns, [other])).toMatchObject({ decision: 'refuse', reason: expect.stringMatching(/api\.example\.com/) });
    const client = servingCsr('c', 'system:node:w1', request('system:node:w1', 'DNS:w1'));
    client.spec.usages = ['digital signature', 'client auth'];
    expect(judgeCsr(client, [other])).toMatchObject({ decision: 'refuse', reason: expect.stringMatching(/usages/) });
  });

  it('approves IPv6 and internal addresses of the host', () => {
    const h = { ...other, internalAddress: '10.0.0.4', address6: 'fd00:10:0:0::4' } as HostSpec;
    const csr = servingCsr('d', 'system:node:w1', request('system:node:w1', 'DNS:w1,IP:10.0.0.4,IP:fd00:10::4'));
    expect(judgeCsr(csr, [h])).toMatchObject({ decision: 'approve', host: 'w1' });
  });

  it('ignores requests of other signers', () => {
    const client = { ...recorded(), spec: { ...recorded().spec, signerName: 'kubernetes.io/kube-apiserver-client-kubelet' } };
    expect(judgeCsr(client, [host()])).toMatchObject({ decision: 'ignore', reason: 'signer kubernetes.io/kube-apiserver-client-kubelet' });
  });
});
