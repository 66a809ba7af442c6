import { describe, expect, it } from 'vitest';
import {
  blockedBy,
  bundleFor,
  bundleText,
  certFingerprint,
  nodeStage,
  planRotation,
  rotationCas,
  servingOwed,
  type NodeCaFacts,
  type RotationCas,
} from '../../../src/certs/ca-rotation.js';
import { sha256Hex } from '../../../src/certs/x509.js';
import { caFactsOf } from '../../../src/tasks/certs/rotate-facts.js';
import { bundleId, parseWorkloads, BUNDLE_ANNOTATION } from '../../../src/tasks/certs/rotate-workloads.js';
import { parseCollected } from '../../../src/certs/collect.js';
import { generateKey, publicKeyPem, signCert, type KeyPair } from '../../lab/emulators/src/kube/pki.js';
import { createPublicKey } from 'node:crypto';
import { real } from '../fixtures-real/real.js';

const DAY = 86_400_000;
const NOW = Date.now();
const ca = (): KeyPair => {
  const key = generateKey();
  return { key, cert: signCert({ cn: 'kubernetes', isCA: true, notBefore: NOW - DAY, notAfter: NOW + 3650 * DAY }, key) };
};
const OLD = ca();
const NEW = ca();
const LEAF_KEY = generateKey();
const leaf = (signer: KeyPair, cn = 'kube-apiserver') =>
  signCert({ cn, usages: ['client'], notBefore: NOW - DAY, notAfter: NOW + 365 * DAY }, LEAF_KEY, signer);
const keyFp = (k: KeyPair) => sha256Hex(createPublicKey(publicKeyPem(k.key)).export({ type: 'spki', format: 'der' }));
const OLD_LEAF = leaf(OLD);
const NEW_LEAF = leaf(NEW);

const CAS: RotationCas = { old: OLD.cert, new: NEW.cert, newKey: keyFp(NEW) };

/** A node whose every trust file holds `trust`, whose leaves are signed by `signer`. */
function node(name: string, cp: boolean, trust: KeyPair[], signer: KeyPair, extra: Partial<NodeCaFacts> = {}): NodeCaFacts {
  const pems = trust.map((t) => t.cert);
  return {
    node: name,
    controlPlane: cp,
    bundle: pems,
    keyFingerprint: cp ? keyFp(signer) : undefined,
    ...(cp ? { stagedNew: NEW.cert, stagedOld: OLD.cert, stagedNewKey: keyFp(NEW) } : {}),
    kubeconfigCas: cp ? { 'admin.conf': pems, 'kubelet.conf': pems } : { 'kubelet.conf': pems },
    leaves: { 'kubelet-client': signer === OLD ? OLD_LEAF : NEW_LEAF, ...(cp ? { apiserver: signer === OLD ? OLD_LEAF : NEW_LEAF } : {}) },
    ...extra,
  };
}

describe('nodeStage: where a node stands, from its certificates', () => {
  it('old CA only → old; both everywhere → trusting', () => {
    expect(nodeStage(node('cp1', true, [OLD], OLD), CAS)).toBe('old');
    expect(nodeStage(node('cp1', true, [OLD, NEW], OLD), CAS)).toBe('trusting');
    expect(nodeStage(node('w1', false, [OLD, NEW], OLD), CAS)).toBe('trusting');
  });

  it('one kubeconfig still without the new CA keeps the node at old', () => {
    const n = node('cp1', true, [OLD, NEW], OLD);
    n.kubeconfigCas['kubelet.conf'] = [OLD.cert];
    expect(nodeStage(n, CAS)).toBe('old');
  });

  it('a control plane signs with the new CA only when ca.crt starts with it, ca.key is its key and every leaf is re-issued', () => {
    expect(nodeStage(node('cp1', true, [NEW, OLD], NEW), CAS)).toBe('signing');
    // new CA first but the old key still in ca.key: not signing yet
    expect(nodeStage(node('cp1', true, [NEW, OLD], NEW, { keyFingerprint: keyFp(OLD) }), CAS)).toBe('trusting');
    // a leaf still from the old CA
    const n = node('cp1', true, [NEW, OLD], NEW);
    n.leaves['admin.conf'] = OLD_LEAF;
    expect(nodeStage(n, CAS)).toBe('trusting');
  });

  it("a worker is signing once its kubelet's client certificate comes from the new CA (ca.crt order does not matter)", () => {
    expect(nodeStage(node('w1', false, [OLD, NEW], NEW), CAS)).toBe('signing');
    // a re-bootstrap stopped after the old certificate was set aside: not re-issued yet
    const { 'kubelet-client': _gone, ...rest } = node('w1', false, [OLD, NEW], NEW).leaves;
    expect(nodeStage({ ...node('w1', false, [OLD, NEW], NEW), leaves: rest }, CAS)).toBe('trusting');
  });

  it('the new CA alone everywhere with re-issued leaves → new-only; the old CA left in one file → signing', () => {
    expect(nodeStage(node('cp1', true, [NEW], NEW), CAS)).toBe('new-only');
    const n = node('cp1', true, [NEW], NEW);
    n.kubeconfigCas['admin.conf'] = [NEW.cert, OLD.cert];
    expect(nodeStage(n, CAS)).toBe('signing');
  });

  it('a restart still owed keeps the node at the stage before the one its files show', () => {
    expect(nodeStage(node('cp1', true, [OLD, NEW], OLD, { owedFor: 'trusting' }), CAS)).toBe('old');
    expect(nodeStage(node('cp1', true, [NEW], NEW, { owedFor: 'new-only' }), CAS)).toBe('signing');
    // files not yet changed when the run stopped: the files' own stage
    expect(nodeStage(node('cp1', true, [OLD], OLD, { owedFor: 'trusting' }), CAS)).toBe('old');
  });
});

describe('planRotation: the steps left, in a safe order', () => {
  it('no rotation under way: backup, a new CA, then trust, workloads, re-issue, drop per node, in that order', () => {
    const cp = node('cp1', true, [OLD], OLD, { stagedNew: undefined, stagedOld: undefined, stagedNewKey: undefined });
    const steps = planRotation([cp, node('cp2', true, [OLD], OLD, { stagedNew: undefined }), node('w1', false, [OLD], OLD)]);
    expect(steps.map((s) => `${s.kind}${s.node ? `:${s.node}` : ''}`)).toEqual([
      'backup',
      'generate:cp1',
      'stage:cp2',
      'trust:cp1',
      'trust:cp2',
      'trust:w1',
      'workloads',
      'sign:cp1',
      'sign:cp2',
      'sign:w1',
      'drop-old:cp1',
      'drop-old:cp2',
      'drop-old:w1',
      'extension-auth',
      'workloads',
      'kubeconfig',
      'finish',
    ]);
  });

  it('resumed half-way: only what the certificates show is left (workloads are checked by their annotation)', () => {
    const steps = planRotation([node('cp1', true, [NEW, OLD], NEW), node('w1', false, [OLD, NEW], OLD)]);
    expect(steps.map((s) => `${s.kind}${s.node ? `:${s.node}` : ''}`)).toEqual([
      'backup',
      'workloads',
      'sign:w1',
      'drop-old:cp1',
      'drop-old:w1',
      'extension-auth',
      'workloads',
      'kubeconfig',
      'finish',
    ]);
  });

  it('every node new-only: no node step is left, only the clean-up', () => {
    const steps = planRotation([node('cp1', true, [NEW], NEW), node('w1', false, [NEW], NEW)]);
    expect(steps.map((s) => s.kind)).toEqual(['backup', 'extension-auth', 'workloads', 'kubeconfig', 'finish']);
  });

  it('refuses without a control plane', () => {
    expect(() => planRotation([node('w1', false, [OLD], OLD)])).toThrow(/no control plane/);
  });
});

describe('blockedBy: a stage waits for every node to reach the one before', () => {
  it('re-issuing waits for a node that does not trust the new CA yet; removing the old CA waits for every re-issue', () => {
    const nodes = [node('cp1', true, [OLD, NEW], OLD), node('w1', false, [OLD], OLD)];
    expect(blockedBy(nodes, CAS, 'signing')).toEqual(['w1 (old)']);
    expect(blockedBy(nodes, CAS, 'trusting')).toEqual([]);
    expect(blockedBy(nodes, CAS, 'new-only')).toEqual(['cp1 (trusting)', 'w1 (old)']);
  });
});

describe('bundles', () => {
  it('old signs while trusting, new signs from re-issue on, new alone at the end', () => {
    const fps = (pems: string[]) => pems.map(certFingerprint);
    expect(fps(bundleFor('trusting', CAS))).toEqual(fps([OLD.cert, NEW.cert]));
    expect(fps(bundleFor('signing', CAS))).toEqual(fps([NEW.cert, OLD.cert]));
    expect(fps(bundleFor('new-only', CAS))).toEqual(fps([NEW.cert]));
    expect(bundleText([OLD.cert, NEW.cert])).toBe(OLD.cert + NEW.cert);
  });

  it('bundleId is the set of CAs: the order (which CA signs) does not restart workloads again', () => {
    expect(bundleId(OLD.cert + NEW.cert)).toBe(bundleId(NEW.cert + OLD.cert));
    expect(bundleId(NEW.cert)).not.toBe(bundleId(NEW.cert + OLD.cert));
  });
});

describe('caFactsOf: the collector output and the staged CA become facts', () => {
  it('reads the bundle, kubeconfig CAs and client certificates, the staged CA and an owed restart', () => {
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const out = [
      '@@cert ca /etc/kubernetes/pki/ca.crt',
      b64(OLD.cert + NEW.cert),
      '@@cert apiserver /etc/kubernetes/pki/apiserver.crt',
      b64(NEW_LEAF),
      '@@kubeconfig admin.conf /etc/kubernetes/admin.conf',
      b64(`    certificate-authority-data: ${b64(OLD.cert + NEW.cert)}\n    client-certificate-data: ${b64(OLD_LEAF)}\n`),
      '@@end',
    ].join('\n');
    const f = caFactsOf('cp1', true, parseCollected(out), {
      newCa: NEW.cert,
      oldCa: OLD.cert,
      newKey: `${keyFp(NEW)}\n`,
      owed: 'signing\n',
    });
    expect(f.bundle.map(certFingerprint)).toEqual([OLD.cert, NEW.cert].map(certFingerprint));
    expect(f.kubeconfigCas['admin.conf']!.length).toBe(2);
    expect(certFingerprint(f.leaves['admin.conf']!)).toBe(certFingerprint(OLD_LEAF));
    expect(f.owedFor).toBe('signing');
    expect(rotationCas(f)).toEqual(CAS);
    // admin.conf's client certificate is still from the old CA: the node trusts both but does not sign with the new one
    expect(nodeStage(f, CAS)).toBe('trusting');
  });

  it('ignores an owed marker it does not know and a missing key fingerprint', () => {
    const f = caFactsOf('w1', false, parseCollected('@@end\n'), { newCa: null, oldCa: null, newKey: '', owed: 'garbage' });
    expect(f.owedFor).toBeUndefined();
    expect(rotationCas(f)).toBeUndefined();
  });
});

describe('parseWorkloads', () => {
  it('reads a real `kubectl get daemonsets -A -o json` (kubeadm + flannel): both available, none annotated yet', () => {
    expect(parseWorkloads(real('kubectl', 'get-ds-all-namespaces-o-json.json'))).toEqual([
      { kind: 'DaemonSet', namespace: 'kube-flannel', name: 'kube-flannel-ds', annotation: undefined, healthy: true },
      { kind: 'DaemonSet', namespace: 'kube-system', name: 'kube-proxy', annotation: undefined, healthy: true },
    ]);
  });

  it('reads kind, namespace, name, the trust-bundle annotation of the pod template and whether it was fully available', () => {
    const json = JSON.stringify({
      items: [
        {
          kind: 'Deployment',
          metadata: { name: 'web', namespace: 'default' },
          spec: { template: { metadata: { annotations: { [BUNDLE_ANNOTATION]: 'abc' } } } },
        },
        {
          kind: 'DaemonSet',
          metadata: { name: 'kube-proxy', namespace: 'kube-system' },
          spec: { template: {} },
          status: { desiredNumberScheduled: 2, numberAvailable: 1 },
        },
      ],
    });
    expect(parseWorkloads(json)).toEqual([
      { kind: 'Deployment', namespace: 'default', name: 'web', annotation: 'abc', healthy: true },
      { kind: 'DaemonSet', namespace: 'kube-system', name: 'kube-proxy', annotation: undefined, healthy: false },
    ]);
  });
});

const SERVING_KEY = generateKey('ECDSA-P256');
const serving = (signer: KeyPair) =>
  signCert(
    { cn: 'system:node:w1', orgs: ['system:nodes'], usages: ['server'], dnsNames: ['w1'], notBefore: NOW - DAY, notAfter: NOW + 365 * DAY },
    SERVING_KEY,
    signer,
  );
const facts = (name: string, cp: boolean, extra: Partial<NodeCaFacts> = {}): NodeCaFacts => ({
  node: name,
  controlPlane: cp,
  bundle: [OLD.cert],
  kubeconfigCas: {},
  leaves: {},
  ...extra,
});

describe('servingOwed: which kubelet serving certificates the rotation re-issues', () => {
  it('with serverTLSBootstrap off (no serving fact) never', () => {
    expect(servingOwed(facts('w1', false), CAS)).toBe(false);
    expect(servingOwed(facts('w1', false), undefined)).toBe(false);
  });

  it('one from the old CA, or none at all, is owed; one already from the new CA is left alone (a re-run)', () => {
    expect(servingOwed(facts('w1', false, { serving: serving(OLD) }), CAS)).toBe(true);
    expect(servingOwed(facts('w1', false, { serving: null }), CAS)).toBe(true);
    expect(servingOwed(facts('w1', false, { serving: serving(NEW) }), CAS)).toBe(false);
  });

  it('before any rotation (no new CA yet) every serverTLSBootstrap node will need one', () => {
    expect(servingOwed(facts('w1', false, { serving: serving(OLD) }), undefined)).toBe(true);
  });
});

describe('planRotation lists the serving step per node after the re-issue and before the old CA leaves', () => {
  it('shows it for each serverTLSBootstrap node still owing one, in order', () => {
    const steps = planRotation([facts('cp1', true, { serving: serving(OLD) }), facts('w1', false, { serving: serving(OLD) })]);
    const kinds = steps.map((s) => `${s.kind}${s.node ? `:${s.node}` : ''}`);
    expect(kinds.filter((k) => k.startsWith('serving'))).toEqual(['serving:cp1', 'serving:w1']);
    expect(kinds.indexOf('serving:cp1')).toBeGreaterThan(kinds.lastIndexOf('sign:w1'));
    expect(kinds.indexOf('serving:w1')).toBeLessThan(kinds.indexOf('drop-old:cp1'));
    expect(steps.find((s) => s.kind === 'serving')!.summary).toMatch(/^cp1: move its kubelet serving certificate aside/);
  });

  it('leaves it out when the option is off', () => {
    expect(planRotation([facts('cp1', true), facts('w1', false)]).some((s) => s.kind === 'serving')).toBe(false);
  });
});
