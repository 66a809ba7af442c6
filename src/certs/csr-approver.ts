/**
 * Which kubelet serving CSRs kubesmith approves. With serverTLSBootstrap the kubelet asks the API for its serving
 * certificate (kubernetes pkg/kubelet/certificate/kubelet.go, NewKubeletServerCertificateManager: signer
 * kubernetes.io/kubelet-serving, subject CN system:node:<node> O system:nodes, DNS and IP SANs from its Node's
 * addresses, usages digital signature + server auth, + key encipherment for RSA keys), and nothing in kubeadm
 * approves it: the kube-controller-manager's csrapproving controller only approves client certificates. Approving
 * blindly would let any node (or anyone with a node's credentials) obtain a certificate for another node's address, so
 * a request is approved only when everything in it belongs to one inventory host; everything else stays pending and
 * is reported. The CSR object is certificates.k8s.io/v1 (staging/src/k8s.io/api/certificates/v1/types.go).
 */
import { isIP } from 'node:net';
import type { HostSpec } from '../inventory/schema.js';
import { canonicalIp, parseCsrPem } from './csr-der.js';

export const KUBELET_SERVING_SIGNER = 'kubernetes.io/kubelet-serving';
const SERVING_USAGES = new Set(['digital signature', 'key encipherment', 'server auth']);

/** The parts of a CertificateSigningRequest (certificates.k8s.io/v1) read here. */
export interface CsrObject {
  metadata: { name: string };
  spec: { request: string; signerName: string; usages?: string[]; username?: string };
  status?: { conditions?: { type: string; status?: string }[] };
}

export type CsrVerdict =
  | { name: string; decision: 'approve'; host: string }
  | { name: string; decision: 'refuse'; reason: string }
  | { name: string; decision: 'ignore'; reason: string };

/** The CSRs of `kubectl get csr -o json` (a List). */
export function parseCsrList(json: string): CsrObject[] {
  const list = JSON.parse(json) as { items?: CsrObject[] };
  if (!Array.isArray(list.items)) throw new Error('kubectl get csr -o json printed no items list');
  return list.items;
}

/** The names and addresses a host's serving certificate may carry: its inventory name and addresses. */
export function hostIdentity(host: HostSpec): { dns: Set<string>; ips: Set<string> } {
  const all = [host.name, host.address, host.internalAddress, host.address6].filter((v): v is string => !!v);
  return {
    dns: new Set(all.filter((v) => !isIP(v)).map((v) => v.toLowerCase())),
    ips: new Set(all.filter((v) => isIP(v)).map(canonicalIp)),
  };
}

/** The condition types a decided CSR carries (Approved, Denied, Failed); none: pending. */
const decided = (csr: CsrObject): string | undefined =>
  csr.status?.conditions?.find((c) => ['Approved', 'Denied', 'Failed'].includes(c.type) && c.status !== 'False')?.type;

/** Why the request does not match `host`, or undefined when it does. */
function mismatch(csr: CsrObject, host: HostSpec): string | undefined {
  const user = `system:node:${host.name}`;
  let facts;
  try {
    facts = parseCsrPem(Buffer.from(csr.spec.request, 'base64').toString('utf8'));
  } catch (e) {
    return `unreadable request (${(e as Error).message})`;
  }
  if (facts.commonName !== user) return `subject CN ${facts.commonName ?? '(none)'} is not ${user}`;
  if (facts.organizations.join(',') !== 'system:nodes') return `subject O ${facts.organizations.join(',') || '(none)'} is not system:nodes`;
  const usages = csr.spec.usages ?? [];
  const badUsage = usages.find((u) => !SERVING_USAGES.has(u));
  if (badUsage || !usages.includes('server auth')) return `usages ${usages.join(', ')} are not a serving certificate's`;
  if (facts.otherNames.length) return `SANs of other kinds (${facts.otherNames.join(', ')})`;
  if (!facts.dnsNames.length && !facts.ipAddresses.length) return 'no DNS or IP SAN';
  const id = hostIdentity(host);
  const foreignDns = facts.dnsNames.filter((d) => !id.dns.has(d.toLowerCase()));
  if (foreignDns.length) return `DNS name ${foreignDns.join(', ')} is not ${host.name}'s in the inventory`;
  const foreignIp = facts.ipAddresses.filter((ip) => !id.ips.has(canonicalIp(ip)));
  if (foreignIp.length) return `IP ${foreignIp.join(', ')} is not ${host.name}'s in the inventory`;
  return undefined;
}

/** The verdict on one CSR against the inventory's hosts. */
export function judgeCsr(csr: CsrObject, hosts: HostSpec[]): CsrVerdict {
  const name = csr.metadata.name;
  if (csr.spec.signerName !== KUBELET_SERVING_SIGNER) return { name, decision: 'ignore', reason: `signer ${csr.spec.signerName}` };
  const state = decided(csr);
  if (state) return { name, decision: 'ignore', reason: `already ${state}` };
  const user = csr.spec.username ?? '';
  const host = hosts.find((h) => user === `system:node:${h.name}`);
  if (!host) return { name, decision: 'refuse', reason: `requested by ${user || '(unknown)'}, not a node of the inventory` };
  const why = mismatch(csr, host);
  return why ? { name, decision: 'refuse', reason: why } : { name, decision: 'approve', host: host.name };
}
