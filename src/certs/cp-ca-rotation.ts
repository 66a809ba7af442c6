/**
 * The CAs that live on the control planes only, rotated with the same stages as the cluster CA (ca-rotation.ts):
 * the front-proxy CA (front-proxy-ca.crt is the API server's --requestheader-client-ca-file; it signs
 * front-proxy-client, the API server's --proxy-client-cert-file) and the etcd CA of kubeadm's stacked etcd (etcd/ca.crt
 * is etcd's --trusted-ca-file and --peer-trusted-ca-file and the API server's --etcd-cafile; it signs etcd's server,
 * peer and healthcheck-client certificates and the API server's apiserver-etcd-client). As in Kubernetes' "Manual
 * Rotation of CA Certificates": both CAs in the bundle first (old still signs), then the new one signs and the
 * certificates are re-issued, then the old one leaves the bundle; node by node, each component restarted with its
 * health gate before the next. Workers hold none of these files. Pure: descriptions, facts in, steps out.
 */
import { certFingerprint, EXTENSION_AUTH_STEP, nodeStage, ORDER, rotationCas, type NodeCaFacts, type NodeStage } from './ca-rotation.js';
import { PKI_DIR } from './catalog.js';

export type CpCaName = 'front-proxy' | 'etcd';

export interface CpCa {
  name: CpCaName;
  /** The CA's pair under pki/, without extension (kubeadm's file names). */
  file: string;
  /** kubeadm's common name for it. */
  cn: string;
  /** Leaf certificates it signs: pki/ file (no extension) → `kubeadm certs renew` name. */
  leaves: Readonly<Record<string, string>>;
  /** Static pods that read its files, in restart order. */
  pods: readonly string[];
  /** What trusts the bundle, for the plan. */
  trustedBy: string;
}

export const CP_CAS: Readonly<Record<CpCaName, CpCa>> = {
  'front-proxy': {
    name: 'front-proxy',
    file: 'front-proxy-ca',
    cn: 'front-proxy-ca',
    leaves: { 'front-proxy-client': 'front-proxy-client' },
    pods: ['kube-apiserver'],
    trustedBy: "the API server's --requestheader-client-ca-file",
  },
  etcd: {
    name: 'etcd',
    file: 'etcd/ca',
    cn: 'etcd-ca',
    leaves: {
      'etcd/server': 'etcd-server',
      'etcd/peer': 'etcd-peer',
      'etcd/healthcheck-client': 'etcd-healthcheck-client',
      'apiserver-etcd-client': 'apiserver-etcd-client',
    },
    pods: ['etcd', 'kube-apiserver'],
    trustedBy: "etcd's --trusted-ca-file/--peer-trusted-ca-file and the API server's --etcd-cafile",
  },
};

/** The staging directory of a rotation of this CA (0700; new-ca.crt, new-ca.key 0600, old-ca.crt). */
export const cpRotationDir = (ca: CpCa): string => `${PKI_DIR}/ca-rotation-${ca.name}`;
/** The marker a stage writes before it changes this CA's files on a node, removed once the node is healthy. */
export const cpOwedFile = (ca: CpCa): string => `/var/lib/kubesmith/ca-rotation-owed-${ca.name}`;

/** A control plane's facts for this CA: no kubeconfigs, its leaves required (a missing one is not re-issued yet). */
export function cpFacts(
  ca: CpCa,
  node: string,
  read: {
    bundle: string[];
    keyFingerprint?: string | undefined;
    stagedNew?: string | undefined;
    stagedOld?: string | undefined;
    stagedNewKey?: string | undefined;
    leaves: Record<string, string>;
    owed?: string | undefined;
  },
): NodeCaFacts {
  const owed = read.owed?.trim() as NodeStage | undefined;
  return {
    node,
    controlPlane: true,
    bundle: read.bundle,
    keyFingerprint: read.keyFingerprint,
    stagedNew: read.stagedNew,
    stagedOld: read.stagedOld,
    stagedNewKey: read.stagedNewKey,
    kubeconfigCas: {},
    leaves: read.leaves,
    owedFor: owed && ORDER.includes(owed) ? owed : undefined,
    required: Object.keys(ca.leaves),
  };
}

export interface CpRotationStep {
  kind: 'generate' | 'stage' | 'trust' | 'sign' | 'drop-old' | 'extension-auth' | 'finish';
  node?: string;
  summary: string;
}

const atLeast = (s: NodeStage, min: NodeStage) => ORDER.indexOf(s) >= ORDER.indexOf(min);

/** Every step still to do for this CA, control planes in order (the first one first). */
export function planCpRotation(ca: CpCa, nodes: readonly NodeCaFacts[]): CpRotationStep[] {
  const first = nodes[0];
  if (!first) throw new Error(`no control plane: the ${ca.name} CA lives on the control planes`);
  const cas = rotationCas(first);
  const dir = cpRotationDir(ca);
  const steps: CpRotationStep[] = [];
  if (!cas)
    steps.push({
      kind: 'generate',
      node: first.node,
      summary: `${ca.name} CA: generate the new CA on ${first.node} (openssl, key 0600 in ${dir})`,
    });
  const stages = new Map(nodes.map((n) => [n.node, cas ? nodeStage(n, cas) : ('old' as NodeStage)]));
  const staged = (n: NodeCaFacts) => cas && n.stagedNew && certFingerprint(n.stagedNew) === certFingerprint(cas.new);
  for (const n of nodes.slice(1).filter((x) => !staged(x) && stages.get(x.node) !== 'new-only'))
    steps.push({ kind: 'stage', node: n.node, summary: `${ca.name} CA: copy the new CA to ${n.node} (${dir}, key 0600)` });
  const leaves = Object.keys(ca.leaves).join(', ');
  const restart = `restart ${ca.pods.join(' then ')} (health gate each)`;
  const phase = (min: NodeStage, kind: CpRotationStep['kind'], text: (n: string) => string) => {
    for (const n of nodes) if (!atLeast(stages.get(n.node)!, min)) steps.push({ kind, node: n.node, summary: text(n.node) });
  };
  phase('trusting', 'trust', (n) => `${n}: ${ca.name} CA: trust old+new in ${ca.file}.crt (${ca.trustedBy}), ${restart}`);
  phase('signing', 'sign', (n) => `${n}: ${ca.name} CA: the new CA signs; re-issue ${leaves}, ${restart}`);
  phase('new-only', 'drop-old', (n) => `${n}: ${ca.name} CA: remove the old CA from ${ca.file}.crt, ${restart}`);
  if (ca.name === 'front-proxy') steps.push({ kind: 'extension-auth', summary: `${ca.name} CA: ${EXTENSION_AUTH_STEP}` });
  steps.push({ kind: 'finish', summary: `${ca.name} CA: remove ${dir} from the control planes` });
  return steps;
}
