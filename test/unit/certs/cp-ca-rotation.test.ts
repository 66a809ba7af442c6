import { createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { nodeStage, type RotationCas } from '../../../src/certs/ca-rotation.js';
import { CP_CAS, cpFacts, planCpRotation } from '../../../src/certs/cp-ca-rotation.js';
import { sha256Hex } from '../../../src/certs/x509.js';
import { selectedCas } from '../../../src/commands/certs-rotate-select.js';
import type { Cluster, ControlPlaneMember } from '../../lab/emulators/src/kube/cluster-state.js';
import { generateKey, publicKeyPem, signCert, type KeyPair } from '../../lab/emulators/src/kube/pki.js';
import { etcdLinkProblem, extensionAuthentication } from '../../lab/emulators/src/kube/trust.js';

const DAY = 86_400_000;
const NOW = Date.now();
const ca = (cn: string): KeyPair => {
  const key = generateKey();
  return { key, cert: signCert({ cn, isCA: true, notBefore: NOW - DAY, notAfter: NOW + 3650 * DAY }, key) };
};
const OLD = ca('etcd-ca');
const NEW = ca('etcd-ca');
const LEAF_KEY = generateKey();
const leaf = (signer: KeyPair) =>
  signCert({ cn: 'cp1', usages: ['server', 'client'], notBefore: NOW - DAY, notAfter: NOW + 365 * DAY }, LEAF_KEY, signer);
const keyFp = (k: KeyPair) => sha256Hex(createPublicKey(publicKeyPem(k.key)).export({ type: 'spki', format: 'der' }));
const CAS: RotationCas = { old: OLD.cert, new: NEW.cert, newKey: keyFp(NEW) };
const ETCD = CP_CAS.etcd;

/** A control plane whose etcd/ca.crt holds `trust`, whose CA key is `key`'s and whose etcd leaves `signer` signed. */
function cp(name: string, trust: KeyPair[], key: KeyPair, signer: KeyPair, extra: { owed?: string; without?: string } = {}) {
  const leaves = Object.fromEntries(
    Object.keys(ETCD.leaves)
      .filter((f) => f !== extra.without)
      .map((f) => [f, leaf(signer)]),
  );
  return cpFacts(ETCD, name, {
    bundle: trust.map((t) => t.cert),
    keyFingerprint: keyFp(key),
    stagedNew: NEW.cert,
    stagedOld: OLD.cert,
    stagedNewKey: keyFp(NEW),
    leaves,
    owed: extra.owed,
  });
}

describe('the etcd / front-proxy CA rotation: stages from the control planes certificates', () => {
  it('old → trusting → signing → new-only, from the bundle, the key and every leaf', () => {
    expect(nodeStage(cp('cp1', [OLD], OLD, OLD), CAS)).toBe('old');
    expect(nodeStage(cp('cp1', [OLD, NEW], OLD, OLD), CAS)).toBe('trusting');
    expect(nodeStage(cp('cp1', [NEW, OLD], NEW, NEW), CAS)).toBe('signing');
    expect(nodeStage(cp('cp1', [NEW], NEW, NEW), CAS)).toBe('new-only');
  });

  it('a leaf missing or still from the old CA, or the old key, keeps the control plane at trusting; no kubelet certificate is needed', () => {
    expect(nodeStage(cp('cp1', [NEW, OLD], NEW, NEW, { without: 'apiserver-etcd-client' }), CAS)).toBe('trusting');
    const one = cp('cp1', [NEW, OLD], NEW, NEW);
    one.leaves['etcd/peer'] = leaf(OLD);
    expect(nodeStage(one, CAS)).toBe('trusting');
    expect(nodeStage(cp('cp1', [NEW, OLD], OLD, NEW), CAS)).toBe('trusting');
  });

  it('a stage whose restart is owed counts as the stage before', () => {
    expect(nodeStage(cp('cp1', [NEW], NEW, NEW, { owed: 'new-only' }), CAS)).toBe('signing');
  });

  it('the plan: generate, stage, every control plane trusted before any signs, every one signed before the old CA leaves any', () => {
    const fresh = [cp('cp1', [OLD], OLD, OLD), cp('cp2', [OLD], OLD, OLD)].map((n) => ({
      ...n,
      stagedNew: undefined,
      stagedOld: undefined,
      stagedNewKey: undefined,
    }));
    const steps = planCpRotation(ETCD, fresh).map((s) => `${s.kind} ${s.node ?? ''}`.trim());
    expect(steps).toEqual([
      'generate cp1',
      'stage cp2',
      'trust cp1',
      'trust cp2',
      'sign cp1',
      'sign cp2',
      'drop-old cp1',
      'drop-old cp2',
      'finish',
    ]);
    const midway = planCpRotation(ETCD, [cp('cp1', [NEW, OLD], NEW, NEW), cp('cp2', [OLD, NEW], OLD, OLD)]);
    expect(midway.map((s) => `${s.kind} ${s.node ?? ''}`.trim())).toEqual(['sign cp2', 'drop-old cp1', 'drop-old cp2', 'finish']);
    expect(planCpRotation(CP_CAS['front-proxy'], fresh).map((s) => s.kind)).toContain('extension-auth');
  });
});

describe('certs rotate-ca --ca', () => {
  it('default cluster; comma lists and repeats in rotation order; unknown names refused', () => {
    expect(selectedCas(undefined)).toEqual(['cluster']);
    expect(selectedCas(['cluster,front-proxy', 'etcd'])).toEqual(['etcd', 'front-proxy', 'cluster']);
    expect(selectedCas('front-proxy')).toEqual(['front-proxy']);
    expect(() => selectedCas(['etcd,sa'])).toThrow(/--ca sa: unknown CA \(expected etcd, front-proxy, cluster/);
  });
});

describe('lab: what the API server and etcd loaded decide whether the API serves', () => {
  const apiServer = (etcdCA: string, etcdClient: string, proxyCA = OLD.cert) => ({
    since: '1',
    clientCA: OLD.cert,
    serving: leaf(OLD),
    etcdCA,
    etcdClient,
    proxyCA,
  });
  const member = (api: ReturnType<typeof apiServer>, etcd: { clientCA: string; serving: string }): ControlPlaneMember =>
    ({
      name: 'cp1',
      advertiseAddress: '10.0.0.1',
      bindPort: 6443,
      apiserverNotAfter: 0,
      apiServerTrust: api,
      etcdTrust: { since: '1', ...etcd },
    }) as ControlPlaneMember;

  it("etcd's serving certificate must chain to --etcd-cafile, the etcd client certificate to etcd's --trusted-ca-file", () => {
    expect(etcdLinkProblem(member(apiServer(OLD.cert + NEW.cert, leaf(OLD)), { clientCA: OLD.cert, serving: leaf(NEW) }))).toBeUndefined();
    expect(etcdLinkProblem(member(apiServer(OLD.cert, leaf(OLD)), { clientCA: OLD.cert, serving: leaf(NEW) }))).toMatch(
      /etcd's serving certificate: x509: certificate signed by unknown authority/,
    );
    expect(etcdLinkProblem(member(apiServer(NEW.cert, leaf(OLD)), { clientCA: NEW.cert, serving: leaf(NEW) }))).toMatch(
      /etcd client certificate/,
    );
  });

  it('extension-apiserver-authentication combines what it holds with the loaded files (as kube-apiserver does)', () => {
    const c = {
      controlPlane: { cp1: member(apiServer(OLD.cert, leaf(OLD), NEW.cert), { clientCA: OLD.cert, serving: leaf(OLD) }) },
    } as unknown as Cluster;
    expect(extensionAuthentication(c)!['requestheader-client-ca-file']).toBe(NEW.cert);
    const kept = extensionAuthentication(c, { 'requestheader-client-ca-file': OLD.cert })!;
    expect(kept['requestheader-client-ca-file']).toBe(OLD.cert + NEW.cert);
  });
});
