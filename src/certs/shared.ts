/**
 * Shared trust roots across control planes: which node holds which version of each shared file, the majority,
 * and who lacks or differs. Certificates compare by the sha256 of their DER; keys by their public key's
 * fingerprint (derived on the node — the private key itself never leaves it).
 */
import { SHARED_FILES, type SharedFile } from './catalog.js';
import type { Collected } from './collect.js';
import { certFacts, pemCertificates, sha256Hex } from './x509.js';

const CERT_NAME: Record<string, string> = { 'ca.crt': 'ca', 'front-proxy-ca.crt': 'front-proxy-ca', 'etcd/ca.crt': 'etcd-ca' };

/** The fingerprint of one shared file on one node, or undefined when absent/unreadable. */
export function sharedFingerprint(c: Collected, file: SharedFile): string | undefined {
  const certName = CERT_NAME[file.name];
  if (certName) {
    const pem = pemCertificates(c.certs.get(certName)?.pem ?? '')[0];
    return pem ? certFacts(pem).fingerprint : undefined;
  }
  const pub = c.pubkeys.get(file.name);
  return pub && pub.der.length ? sha256Hex(pub.der) : undefined;
}

export interface SharedStatus {
  file: SharedFile;
  /** The fingerprint most control planes hold; undefined when there is no strict majority. */
  majority?: string;
  /** Nodes holding the majority version. */
  holders: string[];
  /** Nodes holding another version. */
  differing: string[];
  /** Nodes without the file. */
  missing: string[];
  byNode: Map<string, string | undefined>;
}

/** For each shared file: majority fingerprint, holders, differing and missing nodes (control planes only). */
export function sharedStatus(nodes: { node: string; collected: Collected }[]): SharedStatus[] {
  return SHARED_FILES.map((file) => {
    const byNode = new Map(nodes.map((n) => [n.node, sharedFingerprint(n.collected, file)] as const));
    const counts = new Map<string, number>();
    for (const fp of byNode.values()) if (fp) counts.set(fp, (counts.get(fp) ?? 0) + 1);
    const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1]);
    const top = ranked[0];
    // the version more nodes hold than any other (a tie has no majority: the operator must pick with --from)
    const majority = top && (ranked.length === 1 || top[1] > ranked[1]![1]) ? top[0] : undefined;
    const entries = [...byNode.entries()];
    return {
      file,
      ...(majority ? { majority } : {}),
      holders: entries.filter(([, fp]) => fp && fp === majority).map(([n]) => n),
      differing: entries.filter(([, fp]) => fp && fp !== majority).map(([n]) => n),
      missing: entries.filter(([, fp]) => !fp).map(([n]) => n),
      byNode,
    };
  });
}
