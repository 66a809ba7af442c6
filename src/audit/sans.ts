/**
 * Node-specific certificates that belong to another node: the runbook way of adding a master copies
 * /etc/kubernetes/pki from the first one, apiserver.crt and the etcd server/peer certificates included, whose
 * SANs name the first master. Clients that reach this node by its own address then fail TLS; etcd peers refuse it.
 */
import { pemCertificates, certFacts, normalizeIp } from '../certs/x509.js';
import type { Collected } from '../certs/collect.js';
import type { Finding } from '../checks/report.js';

/** Per node: the certificates kubeadm makes for that node alone, with the SANs kubeadm gives them. */
export const NODE_CERTS = ['apiserver', 'etcd-server', 'etcd-peer'] as const;

export interface NodeIdentity {
  node: string;
  /** Names the node goes by: inventory name and the host's own hostname. */
  names: string[];
  /** Its addresses: inventory address/internalAddress and every address configured on it. */
  addresses: string[];
}

const norm = (s: string) => (/^[\d.]+$|:/.test(s) ? normalizeIp(s) : s.toLowerCase());

/** Which node a certificate belongs to, judged by its SANs: this one, another one, or none that we know. */
export function certSanFindings(self: NodeIdentity, others: NodeIdentity[], collected: Collected): Finding[] {
  const out: Finding[] = [];
  for (const name of NODE_CERTS) {
    const entry = collected.certs.get(name);
    const pem = entry && pemCertificates(entry.pem)[0];
    if (!pem) continue;
    const f = certFacts(pem);
    const sans = new Set([...f.dnsNames, ...f.ips].map(norm));
    const own = [...self.names, ...self.addresses].map(norm).filter((x) => sans.has(x));
    const ownAddress = self.addresses.map(norm).some((a) => sans.has(a));
    const foreign = others.filter((o) => [...o.names, ...o.addresses].map(norm).some((x) => sans.has(x)));
    if (ownAddress && own.length) continue;
    const belongs = foreign.map((o) => o.node);
    out.push({
      check: 'certs.node-sans',
      severity: 'critical',
      node: self.node,
      message: `${name}.crt does not name this node${belongs.length ? `; it names ${belongs.join(', ')} (copied from another control plane?)` : ''}`,
      evidence: [
        `${entry!.path} SANs: ${[...f.dnsNames, ...f.ips].join(', ')}`,
        `this node: ${[...self.names, ...self.addresses].join(', ')}`,
      ],
      fix: `re-issue it on ${self.node} from the node's own identity: move ${entry!.path} and its key aside and run \`kubeadm init phase certs ${name}\` there with its own advertise address (restart the static pod), or re-join the control plane with \`kubesmith apply\` after \`kubesmith node remove ${self.node}\``,
    });
  }
  return out;
}
