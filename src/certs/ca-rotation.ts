/**
 * Where a rotation of the cluster CA stands, read from the certificates on the hosts (never from a progress file),
 * and the steps still to do. It follows Kubernetes' "Manual Rotation of CA Certificates"
 * (https://kubernetes.io/docs/tasks/tls/manual-rotation-of-ca-certificates/): the new CA is trusted everywhere
 * (bundles old+new in pki/ca.crt, which is the API server's --client-ca-file, the controller-manager's
 * --root-ca-file and the kubelets' clientCAFile, and in every kubeconfig's certificate-authority-data) before any
 * certificate it signs is used; leaf certificates and kubeconfigs are then re-issued node by node; the old CA is
 * removed from every bundle last. Pure: facts in, stages and steps out.
 */
import { pemCertificates, sha256Hex, signedBy } from './x509.js';
import { X509Certificate } from 'node:crypto';

/** Where the rotation keeps the new CA on the control planes until it is the only one (0700 directory, key 0600). */
export const ROTATION_DIR = '/etc/kubernetes/pki/ca-rotation';

/** What one node holds, as read by the rotation's look-ups (public material only; keys as public-key fingerprints). */
export interface NodeCaFacts {
  node: string;
  controlPlane: boolean;
  /** pki/ca.crt's certificates, in order (the first signs: kubeadm and the controller-manager use it with ca.key). */
  bundle: string[];
  /** sha256 of ca.key's public key (control planes). */
  keyFingerprint?: string | undefined;
  /** The rotation's staged CA (control planes): new-ca.crt, new-ca.key's public key, old-ca.crt. */
  stagedNew?: string | undefined;
  stagedNewKey?: string | undefined;
  stagedOld?: string | undefined;
  /** certificate-authority-data of each kubeconfig present (admin.conf, kubelet.conf, …), as certificate lists. */
  kubeconfigCas: Record<string, string[]>;
  /** Leaf certificates signed by the cluster CA (apiserver, apiserver-kubelet-client, kubelet-client, admin.conf, …). */
  leaves: Record<string, string>;
  /** A rotation step changed files for this stage and has not restarted the node's components yet (a stopped run). */
  owedFor?: NodeStage | undefined;
  /** Leaves that must be present before the node counts as re-issued (default: its kubelet client certificate). */
  required?: readonly string[] | undefined;
  /**
   * With serverTLSBootstrap: the kubelet's serving certificate (kubelet-server-current.pem, certificate only), null
   * when there is none; undefined when the kubelet signs its own (not a cluster-CA leaf).
   */
  serving?: string | null | undefined;
}

export type NodeStage = 'old' | 'trusting' | 'signing' | 'new-only';
export const ORDER: readonly NodeStage[] = ['old', 'trusting', 'signing', 'new-only'];

export const certFingerprint = (pem: string): string => sha256Hex(new X509Certificate(pem).raw);
const fps = (pems: readonly string[]) => pems.map(certFingerprint);

export interface RotationCas {
  old: string;
  new: string;
  /** sha256 of the new CA key's public key. */
  newKey: string;
}

/** The CAs of a rotation in progress: the staged pair on the first control plane; undefined when none is under way. */
export function rotationCas(first: NodeCaFacts): RotationCas | undefined {
  if (!first.stagedNew || !first.stagedOld || !first.stagedNewKey) return undefined;
  return { old: first.stagedOld, new: first.stagedNew, newKey: first.stagedNewKey };
}

/** Every cluster-CA leaf of the node is signed by `ca`. */
function leavesSignedBy(n: NodeCaFacts, ca: string): string[] {
  return Object.entries(n.leaves)
    .filter(([, pem]) => !signedBy(pem, ca))
    .map(([name]) => name);
}

/** Each trust file (ca.crt, kubeconfigs) as a set of certificate fingerprints. */
function trustFiles(n: NodeCaFacts): string[][] {
  return [n.bundle, ...Object.values(n.kubeconfigCas)].map(fps);
}

/** The stage the node's files show (the furthest whose every condition holds), before any owed restart. */
function fileStage(n: NodeCaFacts, cas: RotationCas): NodeStage {
  const oldFp = certFingerprint(cas.old);
  const newFp = certFingerprint(cas.new);
  const files = trustFiles(n);
  if (!files.every((f) => f.includes(newFp))) return 'old';
  // every node has a kubelet client certificate: one missing (a stopped re-bootstrap) is not re-issued yet
  const present = (n.required ?? ['kubelet-client']).every((name) => n.leaves[name] !== undefined);
  const reissued = present && leavesSignedBy(n, cas.new).length === 0;
  // a control plane signs with ca.crt's first certificate and ca.key; a worker's ca.crt only says whom it trusts
  const signer = !n.controlPlane || (fps(n.bundle)[0] === newFp && n.keyFingerprint === cas.newKey);
  if (!reissued || !signer) return 'trusting';
  return files.some((f) => f.includes(oldFp)) ? 'signing' : 'new-only';
}

/**
 * The node's stage in the rotation `cas`. A node whose files were changed for a stage but whose components were not
 * restarted yet (`owedFor`, the marker a step writes before it changes files) is still at the stage before.
 */
export function nodeStage(n: NodeCaFacts, cas: RotationCas): NodeStage {
  const seen = fileStage(n, cas);
  if (!n.owedFor) return seen;
  const before = ORDER[Math.max(0, ORDER.indexOf(n.owedFor) - 1)]!;
  return ORDER.indexOf(seen) < ORDER.indexOf(before) ? seen : before;
}

/** The API servers keep a removed CA in this ConfigMap until it is written again (rotate-extension-auth.ts). */
export const EXTENSION_AUTH_STEP =
  're-publish kube-system/extension-apiserver-authentication without the old CA (delete it; the API servers write it again from their files)';

export type StepKind =
  | 'backup'
  | 'generate'
  | 'stage'
  | 'trust'
  | 'workloads'
  | 'sign'
  | 'serving'
  | 'drop-old'
  | 'extension-auth'
  | 'kubeconfig'
  | 'finish';

export interface RotationStep {
  kind: StepKind;
  /** Node the step runs on; absent for cluster-wide steps. */
  node?: string;
  summary: string;
}

/** What certs.rotate-serving does on a node (rotate-serving.ts). */
export const SERVING_STEP =
  "move its kubelet serving certificate aside (into the run's backup), restart the kubelet, approve its new CSR if it matches the inventory, wait for a certificate from the new CA and until healthy";

/**
 * The node's kubelet serving certificate still has to come from the new CA: serverTLSBootstrap is on and there is no
 * rotation yet, or the certificate is missing or not signed by the new CA. A kubelet keeps a valid pair whatever CA
 * signed it (client-go's certificate manager rotates at 70–90% of its lifetime), so the rotation must ask for it.
 */
export function servingOwed(n: NodeCaFacts, cas: RotationCas | undefined): boolean {
  if (n.serving === undefined) return false;
  return !cas || !n.serving || !signedBy(n.serving, cas.new);
}

const atLeast = (s: NodeStage, min: NodeStage) => ORDER.indexOf(s) >= ORDER.indexOf(min);

/**
 * Every step still to do, in order, from the nodes' facts (control planes first in `nodes`, the first one first).
 * A node's later stage is never planned before every node reached the earlier one: the new CA is trusted everywhere
 * before it signs anything, and every certificate is re-issued before the old CA leaves any bundle.
 */
export function planRotation(nodes: readonly NodeCaFacts[]): RotationStep[] {
  const first = nodes.find((n) => n.controlPlane);
  if (!first) throw new Error('no control plane among the nodes: the cluster CA lives on the control planes');
  const cas = rotationCas(first);
  const steps: RotationStep[] = [{ kind: 'backup', summary: 'back up /etc/kubernetes and /var/lib/kubelet/pki of every node' }];
  if (!cas)
    steps.push({
      kind: 'generate',
      node: first.node,
      summary: `generate the new CA on ${first.node} (openssl, key 0600 in ${ROTATION_DIR})`,
    });
  const stages = new Map(nodes.map((n) => [n.node, cas ? nodeStage(n, cas) : ('old' as NodeStage)]));
  const staged = (n: NodeCaFacts) => cas && n.stagedNew && certFingerprint(n.stagedNew) === certFingerprint(cas.new);
  for (const n of nodes.filter((x) => x.controlPlane && x !== first && !staged(x) && stages.get(x.node) !== 'new-only'))
    steps.push({ kind: 'stage', node: n.node, summary: `copy the new CA to ${n.node} (${ROTATION_DIR}, key 0600)` });
  const phase = (min: NodeStage, kind: StepKind, text: (n: string) => string) => {
    for (const n of nodes) if (!atLeast(stages.get(n.node)!, min)) steps.push({ kind, node: n.node, summary: text(n.node) });
  };
  phase('trusting', 'trust', (n) => `${n}: trust old+new (ca.crt and kubeconfigs), restart its components, wait until healthy`);
  if (nodes.some((n) => !atLeast(stages.get(n.node)!, 'signing')))
    steps.push({
      kind: 'workloads',
      summary: 'kube-root-ca.crt holds old+new: restart Deployments/DaemonSets rolling (those not yet restarted for it)',
    });
  phase('signing', 'sign', (n) => `${n}: re-issue its certificates and kubeconfigs from the new CA, restart, wait until healthy`);
  for (const n of nodes.filter((x) => servingOwed(x, cas)))
    steps.push({ kind: 'serving', node: n.node, summary: `${n.node}: ${SERVING_STEP}` });
  phase('new-only', 'drop-old', (n) => `${n}: remove the old CA from ca.crt and kubeconfigs, restart, wait until healthy`);
  steps.push(
    { kind: 'extension-auth', summary: EXTENSION_AUTH_STEP },
    {
      kind: 'workloads',
      summary: 'kube-root-ca.crt holds the new CA only: restart Deployments/DaemonSets rolling (those not yet restarted for it)',
    },
    { kind: 'kubeconfig', summary: "fetch the new admin.conf to the admin machine and the nodes' ~/.kube/config" },
    { kind: 'finish', summary: `remove ${ROTATION_DIR} from the control planes` },
  );
  return steps;
}

/** The certificates a node must trust at a stage of the rotation, signer first (kubeadm signs with the first). */
export function bundleFor(target: 'trusting' | 'signing' | 'new-only', cas: RotationCas): string[] {
  if (target === 'trusting') return [cas.old, cas.new];
  if (target === 'signing') return [cas.new, cas.old];
  return [cas.new];
}

/** The node may move to `target` only when every node reached the stage before it. */
export function blockedBy(nodes: readonly NodeCaFacts[], cas: RotationCas, target: NodeStage): string[] {
  const before = ORDER[ORDER.indexOf(target) - 1]!;
  return nodes.filter((n) => !atLeast(nodeStage(n, cas), before)).map((n) => `${n.node} (${nodeStage(n, cas)})`);
}

/** The certificates of a PEM text, normalized (for writing bundles). */
export const bundleText = (pems: readonly string[]): string => pems.map((p) => pemCertificates(p)[0]!).join('');
