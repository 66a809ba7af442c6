/**
 * The facts a CA rotation decides from, read on every node in one round trip each: the certificate collector of
 * `certs check` (certificates and kubeconfig lines only, keys as public-key fingerprints computed on the node) plus
 * the rotation's staged CA and the restart a stopped run still owes. Nothing secret leaves a node.
 */
import { ROTATION_DIR, type NodeCaFacts, type NodeStage, ORDER } from '../../certs/ca-rotation.js';
import { KUBECONFIGS, KUBELET_CONF } from '../../certs/catalog.js';
import type { Collected } from '../../certs/collect.js';
import { pemCertificates, sha256Hex } from '../../certs/x509.js';
import type { TaskContext } from '../../engine/types.js';
import type { Host } from '../../model/host.js';
import { sh } from '../../transport/command.js';
import { lookups, read, run } from '../../transport/lookups.js';
import type { Transport } from '../../transport/types.js';
import { readNodeCerts } from './read.js';

/** The kubelet's serving pair with serverTLSBootstrap (a symlink to kubelet-server-<date>.pem: certificate + key). */
export const SERVING_CURRENT = '/var/lib/kubelet/pki/kubelet-server-current.pem';

/** Written before a rotation step changes a node's trust files, removed once its components restarted healthy. */
export const OWED_FILE = '/var/lib/kubesmith/ca-rotation-owed';

/** The cluster-CA leaves the collector reads: certificate files and the client certificates of kubeconfigs. */
const LEAF_CERTS = ['apiserver', 'apiserver-kubelet-client', 'kubelet-client'];
const TRUST_KUBECONFIGS = [...KUBECONFIGS.map((k) => k.name), KUBELET_CONF.name];

const newKeyFingerprint = () =>
  sh`k=${`${ROTATION_DIR}/new-ca.key`}; [ -r "$k" ] && openssl pkey -in "$k" -pubout -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1`;

/** Turn what was read into the rotation's facts (pure). */
export function caFactsOf(
  node: string,
  controlPlane: boolean,
  c: Collected,
  staged: { newCa: string | null; oldCa: string | null; newKey: string; owed: string | null; serving?: string | null },
): NodeCaFacts {
  const kubeconfigCas: Record<string, string[]> = {};
  const leaves: Record<string, string> = {};
  for (const name of TRUST_KUBECONFIGS) {
    const k = c.kubeconfigs.get(name)?.lines;
    if (!k) continue;
    kubeconfigCas[name] = pemCertificates(k.caData ?? '');
    if (k.clientCertData) leaves[name] = pemCertificates(k.clientCertData)[0] ?? '';
  }
  for (const name of LEAF_CERTS) {
    const pem = c.certs.get(name)?.pem;
    if (pem) leaves[name] = pemCertificates(pem)[0] ?? '';
  }
  const key = c.pubkeys.get('ca.key')?.der;
  const owed = staged.owed?.trim() as NodeStage | undefined;
  return {
    node,
    controlPlane,
    bundle: pemCertificates(c.certs.get('ca')?.pem ?? ''),
    keyFingerprint: key?.length ? sha256Hex(key) : undefined,
    stagedNew: staged.newCa ? pemCertificates(staged.newCa)[0] : undefined,
    stagedOld: staged.oldCa ? pemCertificates(staged.oldCa)[0] : undefined,
    stagedNewKey: /^[0-9a-f]{64}$/.test(staged.newKey.trim()) ? staged.newKey.trim() : undefined,
    kubeconfigCas,
    leaves,
    owedFor: owed && ORDER.includes(owed) ? owed : undefined,
    ...(staged.serving !== undefined ? { serving: staged.serving ? (pemCertificates(staged.serving)[0] ?? null) : null } : {}),
  };
}

/** The certificate of the kubelet's serving pair only (never its key, as the collector reads): empty when there is none. */
export const servingCertScript = () =>
  sh`f=${SERVING_CURRENT}; [ -r "$f" ] && sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/p' "$f" || true`;

/**
 * One node's facts. A worker's ca.crt (its kubelet's clientCAFile) is read by the rotation's look-up; with
 * `serving` (serverTLSBootstrap) also the kubelet's serving certificate.
 */
export async function readCaFacts(t: Transport, host: Host, serving = false): Promise<NodeCaFacts> {
  const c = await readNodeCerts(t, host.isControlPlane);
  const [newCa, oldCa, newKey, owed, ca, servingCert] = await lookups(t, [
    read(`${ROTATION_DIR}/new-ca.crt`),
    read(`${ROTATION_DIR}/old-ca.crt`),
    run(newKeyFingerprint()),
    read(OWED_FILE),
    read('/etc/kubernetes/pki/ca.crt'),
    run(serving ? servingCertScript() : sh`true`),
  ]);
  if (!host.isControlPlane && ca) c.certs.set('ca', { path: '/etc/kubernetes/pki/ca.crt', pem: ca });
  const facts = { newCa, oldCa, newKey: newKey.stdout, owed };
  return caFactsOf(host.name, host.isControlPlane, c, serving ? { ...facts, serving: servingCert.stdout.trim() || null } : facts);
}

/** Every node's facts, control planes first (the first control plane first), as the planner wants them. */
export async function clusterCaFacts(ctx: TaskContext): Promise<NodeCaFacts[]> {
  const hosts = [...ctx.hosts.controlPlanes, ...ctx.hosts.all.filter((h) => !h.isControlPlane)];
  const serving = ctx.inventory.spec.kubelet.serverTLSBootstrap === true;
  return Promise.all(hosts.map((h) => readCaFacts(ctx.transportFor(h), h, serving)));
}
