/**
 * The facts a rotation of the front-proxy or etcd CA decides from, read on each control plane in one round trip: the
 * CA bundle, the CA key's public-key fingerprint (computed on the node), the staged CA, the leaves it signs and the
 * restart a stopped run still owes. Nothing secret leaves a node.
 */
import { cpFacts, cpOwedFile, cpRotationDir, CP_CAS, type CpCa, type CpCaName } from '../../certs/cp-ca-rotation.js';
import type { NodeCaFacts } from '../../certs/ca-rotation.js';
import { PKI_DIR } from '../../certs/catalog.js';
import { pemCertificates } from '../../certs/x509.js';
import type { TaskContext } from '../../engine/types.js';
import type { Host } from '../../model/host.js';
import { sh } from '../../transport/command.js';
import { lookups, read, run } from '../../transport/lookups.js';
import type { Transport } from '../../transport/types.js';

/** sha256 of a private key's public half, or nothing when the file is absent. */
const keyFingerprint = (path: string) =>
  sh`k=${path}; [ -r "$k" ] && openssl pkey -in "$k" -pubout -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1; true`;

const hex64 = (s: string) => (/^[0-9a-f]{64}$/.test(s.trim()) ? s.trim() : undefined);
const first = (pem: string | null) => (pem ? pemCertificates(pem)[0] : undefined);

/** The CA of `ctx.options.cpCa` (set by `kubesmith certs rotate-ca --ca front-proxy|etcd`). */
export function cpCaOf(ctx: Pick<TaskContext, 'options'>): CpCa {
  const name = ctx.options.cpCa as CpCaName | undefined;
  if (!name || !CP_CAS[name]) throw new Error('the front-proxy/etcd CA rotation runs only from `kubesmith certs rotate-ca --ca ...`');
  return CP_CAS[name];
}

export async function readCpCaFacts(ca: CpCa, t: Transport, host: Host): Promise<NodeCaFacts> {
  const dir = cpRotationDir(ca);
  const leafFiles = Object.keys(ca.leaves);
  const [bundle, key, newCa, oldCa, newKey, owed, ...leaves] = await lookups(t, [
    read(`${PKI_DIR}/${ca.file}.crt`),
    run(keyFingerprint(`${PKI_DIR}/${ca.file}.key`)),
    read(`${dir}/new-ca.crt`),
    read(`${dir}/old-ca.crt`),
    run(keyFingerprint(`${dir}/new-ca.key`)),
    read(cpOwedFile(ca)),
    ...leafFiles.map((f) => read(`${PKI_DIR}/${f}.crt`)),
  ]);
  const leafPems: Record<string, string> = {};
  leafFiles.forEach((f, i) => {
    const pem = first((leaves[i] as string | null) ?? null);
    if (pem) leafPems[f] = pem;
  });
  return cpFacts(ca, host.name, {
    bundle: pemCertificates((bundle as string | null) ?? ''),
    keyFingerprint: hex64(key.stdout),
    stagedNew: first(newCa),
    stagedOld: first(oldCa),
    stagedNewKey: hex64(newKey.stdout),
    leaves: leafPems,
    owed: owed ?? undefined,
  });
}

/** Every control plane's facts for this CA, the first control plane first. */
export async function clusterCpCaFacts(ctx: TaskContext, ca: CpCa): Promise<NodeCaFacts[]> {
  return Promise.all(ctx.hosts.controlPlanes.map((h) => readCpCaFacts(ca, ctx.transportFor(h), h)));
}
