// Real X.509 material: keys from node:crypto, certificates signed by `openssl ca` (exact validity
// windows), parsed back with X509Certificate. Mirrors kubeadm's certificate tree.
import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { claimPooledKey, generatePem } from './keypool.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { clusterDir, ExitError } from './lab.js';

export type KeyAlgorithm = 'RSA-2048' | 'RSA-3072' | 'RSA-4096' | 'ECDSA-P256';

export interface CertSpec {
  cn: string;
  orgs?: string[];
  isCA?: boolean;
  usages?: ('server' | 'client')[];
  dnsNames?: string[];
  ips?: string[];
  notBefore: number;
  notAfter: number;
  /** A PEM certificate request to sign as it is (subject kept), instead of one made from the key (the CSR signer's case). */
  request?: string;
}

export interface KeyPair {
  key: string;
  cert: string;
}

/** A private key for a new certificate: from the lab's key pool when it has one (keypool.ts), else generated. */
export function generateKey(alg: KeyAlgorithm = 'RSA-2048'): string {
  return claimPooledKey(clusterDir(), alg) ?? freshKey(alg);
}

export const freshKey = (alg: KeyAlgorithm): string => generatePem(alg);

export const publicKeyPem = (keyPem: string): string => createPublicKey(keyPem).export({ type: 'spki', format: 'pem' }).toString();

const stamp = (ms: number) => new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';

function extensions(spec: CertSpec): string {
  const lines = ['[ext]'];
  if (spec.isCA) {
    lines.push('basicConstraints = critical,CA:TRUE', 'keyUsage = critical,digitalSignature,keyEncipherment,keyCertSign');
  } else {
    lines.push('basicConstraints = critical,CA:FALSE', 'keyUsage = critical,digitalSignature,keyEncipherment');
    const eku = (spec.usages ?? []).map((u) => (u === 'server' ? 'serverAuth' : 'clientAuth'));
    if (eku.length) lines.push(`extendedKeyUsage = ${eku.join(',')}`);
    lines.push('authorityKeyIdentifier = keyid');
  }
  lines.push('subjectKeyIdentifier = hash');
  const sans = [...(spec.dnsNames ?? []).map((d) => `DNS:${d}`), ...(spec.ips ?? []).map((i) => `IP:${i}`)];
  if (sans.length) lines.push(`subjectAltName = ${sans.join(',')}`);
  return lines.join('\n') + '\n';
}

const CA_CONF = `[ca]
default_ca = lab
[lab]
database = ./index.txt
serial = ./serial
new_certs_dir = .
default_md = sha256
policy = anything
unique_subject = no
email_in_dn = no
[anything]
organizationName = optional
commonName = supplied
[req]
distinguished_name = dn
[dn]
`;

/** Issue a certificate for `keyPem`, signed by `signer` (self-signed when absent). */
export function signCert(spec: CertSpec, keyPem: string, signer?: KeyPair): string {
  const dir = mkdtempSync(join(tmpdir(), 'lab-pki-'));
  try {
    const f = (n: string) => join(dir, n);
    writeFileSync(f('ca.cnf'), CA_CONF);
    writeFileSync(f('index.txt'), '');
    writeFileSync(f('serial'), '4' + randomBytes(8).toString('hex').slice(1) + '\n');
    writeFileSync(f('ext.cnf'), extensions(spec));
    writeFileSync(f('leaf.key'), keyPem, { mode: 0o600 });
    const ossl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const rdns: [string, string][] = [...(spec.orgs ?? []).map((o): [string, string] => ['O', o]), ['CN', spec.cn]];
    // the request as `openssl req` writes it, built here (one openssl process less per certificate) for plain names
    const csr = spec.request ?? (rdns.every(([, v]) => PLAIN_RDN.test(v)) ? certificateRequest(rdns, keyPem) : undefined);
    if (csr) writeFileSync(f('leaf.csr'), csr);
    else
      ossl([
        'req',
        '-new',
        '-config',
        'ca.cnf',
        '-key',
        'leaf.key',
        '-subj',
        rdns.map(([k, v]) => `/${k}=${v}`).join(''),
        '-out',
        'leaf.csr',
      ]);
    const common = [
      'ca',
      '-batch',
      '-config',
      'ca.cnf',
      '-notext',
      '-preserveDN',
      '-in',
      'leaf.csr',
      '-out',
      'leaf.crt',
      '-startdate',
      stamp(spec.notBefore),
      '-enddate',
      stamp(spec.notAfter),
      '-extfile',
      'ext.cnf',
      '-extensions',
      'ext',
    ];
    if (signer) {
      writeFileSync(f('signer.key'), signer.key, { mode: 0o600 });
      writeFileSync(f('signer.crt'), signer.cert);
      ossl([...common, '-cert', 'signer.crt', '-keyfile', 'signer.key']);
    } else {
      ossl([...common, '-selfsign', '-keyfile', 'leaf.key']);
    }
    return readFileSync(f('leaf.crt'), 'utf8');
  } catch (e) {
    const err = e as { stderr?: Buffer };
    throw new ExitError(`lab pki: openssl failed for ${spec.cn}: ${err.stderr?.toString() ?? String(e)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// DER pieces of a PKCS#10 request: tag-length-value, OIDs of O and CN, the signature algorithms `openssl req` picks.
const tlv = (tag: number, ...parts: Buffer[]): Buffer => {
  const body = Buffer.concat(parts);
  const n = body.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...len]), body]);
};
const RDN_OID: Record<string, Buffer> = { O: Buffer.from('060355040a', 'hex'), CN: Buffer.from('0603550403', 'hex') };
const SIG_ALG: Record<string, Buffer> = {
  rsa: Buffer.from('300d06092a864886f70d01010b0500', 'hex'), // sha256WithRSAEncryption, NULL
  ec: Buffer.from('300a06082a8648ce3d040302', 'hex'), // ecdsa-with-SHA256
};
/** Names `openssl req -subj` takes literally (no escapes, no multi-valued RDNs, at most 64 characters) and encodes as UTF8String. */
const PLAIN_RDN = /^[A-Za-z0-9:._@-]{1,64}$/;

/** The PEM certificate request `openssl req -new -key KEY -subj /O=../CN=..` writes (same DER for RSA keys); undefined
 *  for keys it cannot read or sign with (openssl req then runs). */
export function certificateRequest(rdns: [string, string][], keyPem: string): string | undefined {
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch {
    return undefined; // openssl req reports it in its words
  }
  const alg = SIG_ALG[key.asymmetricKeyType ?? ''];
  if (!alg) return undefined;
  const name = tlv(0x30, ...rdns.map(([k, v]) => tlv(0x31, tlv(0x30, RDN_OID[k]!, tlv(0x0c, Buffer.from(v))))));
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const info = tlv(0x30, Buffer.from([0x02, 0x01, 0x00]), name, spki, Buffer.from([0xa0, 0x00]));
  const signature = sign('sha256', info, key);
  const der = tlv(0x30, info, alg, tlv(0x03, Buffer.from([0]), signature));
  return `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END CERTIFICATE REQUEST-----\n`;
}

export interface CertInfo {
  cn: string;
  orgs: string[];
  notBefore: number;
  notAfter: number;
  dnsNames: string[];
  ips: string[];
  isCA: boolean;
  usages: ('server' | 'client')[];
}

export function certInfo(pem: string): CertInfo {
  const c = new X509Certificate(pem);
  const subj = c.subject.split('\n');
  const san = (c.subjectAltName ?? '').split(', ').filter(Boolean);
  const eku = c.keyUsage ?? []; // node:crypto's keyUsage lists the extended key usage OIDs
  const usages: ('server' | 'client')[] = [];
  if (eku.includes('1.3.6.1.5.5.7.3.1')) usages.push('server');
  if (eku.includes('1.3.6.1.5.5.7.3.2')) usages.push('client');
  return {
    cn: subj.find((l) => l.startsWith('CN='))?.slice(3) ?? '',
    orgs: subj.filter((l) => l.startsWith('O=')).map((l) => l.slice(2)),
    notBefore: Date.parse(c.validFrom),
    notAfter: Date.parse(c.validTo),
    dnsNames: san.filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4)),
    ips: san.filter((s) => s.startsWith('IP Address:')).map((s) => s.slice(11).toLowerCase()),
    isCA: c.ca,
    usages,
  };
}

/** sha256 of the DER SubjectPublicKeyInfo, as in --discovery-token-ca-cert-hash. */
export function caCertHash(certPem: string): string {
  const der = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return 'sha256:' + createHash('sha256').update(der).digest('hex');
}

export const signedBy = (certPem: string, caPem: string): boolean => {
  try {
    const c = new X509Certificate(certPem);
    const ca = new X509Certificate(caPem);
    return c.checkIssued(ca) && c.verify(ca.publicKey);
  } catch {
    return false;
  }
};

export const keyMatchesCert = (keyPem: string, certPem: string): boolean =>
  new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem));
