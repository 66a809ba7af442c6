/**
 * X.509 facts from PEM text (node:crypto's X509Certificate): validity, subject, SANs, issuer, fingerprints.
 * Pure: no I/O. Private keys are never parsed here; keys are compared through their public halves only.
 */
import { createHash, createPublicKey, X509Certificate } from 'node:crypto';

export interface CertFacts {
  subjectCN: string;
  subjectOrgs: string[];
  issuerCN: string;
  notBefore: Date;
  notAfter: Date;
  isCA: boolean;
  dnsNames: string[];
  ips: string[];
  /** sha256 of the DER certificate, hex. */
  fingerprint: string;
  /** sha256 of the DER SubjectPublicKeyInfo, hex (the same value `openssl pkey -pubout -outform DER | sha256sum` gives). */
  publicKeyFingerprint: string;
  serial: string;
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Every certificate block of a PEM text, in order (other blocks, e.g. keys, are ignored). */
export function pemCertificates(text: string): string[] {
  return (text.match(PEM_BLOCK) ?? []).map((b) => b + '\n');
}

function field(dn: string, key: string): string[] {
  return dn
    .split('\n')
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => l.slice(key.length + 1));
}

/** Split "DNS:a, IP Address:1.2.3.4" (node's subjectAltName text). */
export function parseSubjectAltName(text: string | undefined): { dnsNames: string[]; ips: string[] } {
  const parts = (text ?? '').split(/,\s*/).filter(Boolean);
  return {
    dnsNames: parts.filter((p) => p.startsWith('DNS:')).map((p) => p.slice(4)),
    ips: parts.filter((p) => p.startsWith('IP Address:')).map((p) => normalizeIp(p.slice(11))),
  };
}

/** Lower-case IPv6, drop leading zeros of groups, collapse the longest zero run; IPv4 unchanged. */
export function normalizeIp(ip: string): string {
  const s = ip
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  if (!s.includes(':')) return s;
  const [head = '', tail] = s.split('::');
  const groups = (g: string) => (g ? g.split(':') : []);
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const full = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const trimmed = full.map((g) => g.replace(/^0+(?=.)/, ''));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < trimmed.length; ) {
    if (trimmed[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < trimmed.length && trimmed[j] === '0') j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  if (best < 0) return trimmed.join(':');
  return `${trimmed.slice(0, best).join(':')}::${trimmed.slice(best + bestLen).join(':')}`;
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** sha256 of a public key's DER SPKI, from PEM (public key or certificate). */
export function publicKeyFingerprintOfPem(pem: string): string {
  const key = pem.includes('BEGIN CERTIFICATE') ? new X509Certificate(pem).publicKey : createPublicKey(pem);
  return sha256Hex(key.export({ type: 'spki', format: 'der' }));
}

export function certFacts(pem: string): CertFacts {
  const c = new X509Certificate(pem);
  const san = parseSubjectAltName(c.subjectAltName);
  return {
    subjectCN: field(c.subject, 'CN')[0] ?? '',
    subjectOrgs: field(c.subject, 'O'),
    issuerCN: field(c.issuer, 'CN')[0] ?? '',
    notBefore: new Date(c.validFrom),
    notAfter: new Date(c.validTo),
    isCA: c.ca,
    ...san,
    fingerprint: sha256Hex(c.raw),
    publicKeyFingerprint: sha256Hex(c.publicKey.export({ type: 'spki', format: 'der' })),
    serial: c.serialNumber,
  };
}

/** Whether `pem` was issued and signed by the CA certificate `caPem`. */
export function signedBy(pem: string, caPem: string): boolean {
  try {
    const c = new X509Certificate(pem);
    const ca = new X509Certificate(caPem);
    return c.checkIssued(ca) && c.verify(ca.publicKey);
  } catch {
    return false;
  }
}

/** Whole days from `now` until `date` (negative once past), rounded down. */
export function daysLeft(date: Date, now: Date): number {
  return Math.floor((date.getTime() - now.getTime()) / 86_400_000);
}

/** Days before expiry at which kubesmith makes a kubelet certificate again (as the control-plane kubelet's margin). */
export const KUBELET_RENEW_DAYS = 30;

/** "expired N day(s) ago", or "expires in N day(s)" when fewer than `minDays` are left at `now`; else undefined. */
export function expiryProblem(pem: string, now: Date, minDays: number): string | undefined {
  const { notAfter } = certFacts(pem);
  if (now >= notAfter) return `expired ${daysLeft(now, notAfter)} day(s) ago`;
  const left = daysLeft(notAfter, now);
  return left < minDays ? `expires in ${left} day(s)` : undefined;
}
