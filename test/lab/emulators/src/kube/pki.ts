// Real X.509 material: keys from node:crypto, certificates signed by `openssl ca` (exact validity
// windows), parsed back with X509Certificate. Mirrors kubeadm's certificate tree.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { clusterDir, ExitError } from "./lab.js";

export type KeyAlgorithm = "RSA-2048" | "RSA-3072" | "RSA-4096" | "ECDSA-P256";

export interface CertSpec {
  cn: string;
  orgs?: string[];
  isCA?: boolean;
  usages?: ("server" | "client")[];
  dnsNames?: string[];
  ips?: string[];
  notBefore: number;
  notAfter: number;
}

export interface KeyPair { key: string; cert: string }

/**
 * A private key for a new certificate. RSA generation costs ~100-300 ms here, so a lab may pre-fill
 * $LAB_CLUSTER_DIR/keypool/<algorithm>/*.pem (`lab-node-sync keypool fill N`): each key is claimed by an
 * atomic rename and used exactly once; an empty pool falls back to generating.
 */
export function generateKey(alg: KeyAlgorithm = "RSA-2048"): string {
  return claimPooledKey(alg) ?? freshKey(alg);
}

function claimPooledKey(alg: KeyAlgorithm): string | undefined {
  const dir = join(clusterDir(), "keypool", alg);
  if (!existsSync(dir)) return undefined;
  for (const f of readdirSync(dir)) {
    if (!f.endsWith(".pem")) continue;
    const claimed = join(dir, `${f}.${process.pid}.claimed`);
    try {
      renameSync(join(dir, f), claimed);
    } catch {
      continue; // another process took it
    }
    const pem = readFileSync(claimed, "utf8");
    rmSync(claimed, { force: true });
    return pem;
  }
  return undefined;
}

export function fillKeyPool(alg: KeyAlgorithm, count: number): number {
  const dir = join(clusterDir(), "keypool", alg);
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < count; i++) {
    const tmp = join(dir, `.${process.pid}-${i}.tmp`);
    writeFileSync(tmp, freshKey(alg), { mode: 0o600 });
    renameSync(tmp, join(dir, `${process.pid}-${Date.now()}-${i}.pem`));
  }
  return readdirSync(dir).filter((f) => f.endsWith(".pem")).length;
}

function freshKey(alg: KeyAlgorithm): string {
  if (alg === "ECDSA-P256") {
    return generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey.export({ type: "sec1", format: "pem" }).toString();
  }
  const bits = Number(alg.split("-")[1]);
  return generateKeyPairSync("rsa", { modulusLength: bits }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
}

export const publicKeyPem = (keyPem: string): string =>
  createPublicKey(keyPem).export({ type: "spki", format: "pem" }).toString();

const stamp = (ms: number) => new Date(ms).toISOString().replace(/[-:T]/g, "").slice(0, 14) + "Z";

function extensions(spec: CertSpec): string {
  const lines = ["[ext]"];
  if (spec.isCA) {
    lines.push("basicConstraints = critical,CA:TRUE", "keyUsage = critical,digitalSignature,keyEncipherment,keyCertSign");
  } else {
    lines.push("basicConstraints = critical,CA:FALSE", "keyUsage = critical,digitalSignature,keyEncipherment");
    const eku = (spec.usages ?? []).map((u) => (u === "server" ? "serverAuth" : "clientAuth"));
    if (eku.length) lines.push(`extendedKeyUsage = ${eku.join(",")}`);
    lines.push("authorityKeyIdentifier = keyid");
  }
  lines.push("subjectKeyIdentifier = hash");
  const sans = [...(spec.dnsNames ?? []).map((d) => `DNS:${d}`), ...(spec.ips ?? []).map((i) => `IP:${i}`)];
  if (sans.length) lines.push(`subjectAltName = ${sans.join(",")}`);
  return lines.join("\n") + "\n";
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
  const dir = mkdtempSync(join(tmpdir(), "lab-pki-"));
  try {
    const f = (n: string) => join(dir, n);
    writeFileSync(f("ca.cnf"), CA_CONF);
    writeFileSync(f("index.txt"), "");
    writeFileSync(f("serial"), "4" + randomBytes(8).toString("hex").slice(1) + "\n");
    writeFileSync(f("ext.cnf"), extensions(spec));
    writeFileSync(f("leaf.key"), keyPem, { mode: 0o600 });
    const subj = [...(spec.orgs ?? []).map((o) => `/O=${o}`), `/CN=${spec.cn}`].join("");
    const ossl = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    ossl(["req", "-new", "-config", "ca.cnf", "-key", "leaf.key", "-subj", subj, "-out", "leaf.csr"]);
    const common = ["ca", "-batch", "-config", "ca.cnf", "-notext", "-preserveDN", "-in", "leaf.csr", "-out", "leaf.crt",
      "-startdate", stamp(spec.notBefore), "-enddate", stamp(spec.notAfter), "-extfile", "ext.cnf", "-extensions", "ext"];
    if (signer) {
      writeFileSync(f("signer.key"), signer.key, { mode: 0o600 });
      writeFileSync(f("signer.crt"), signer.cert);
      ossl([...common, "-cert", "signer.crt", "-keyfile", "signer.key"]);
    } else {
      ossl([...common, "-selfsign", "-keyfile", "leaf.key"]);
    }
    return readFileSync(f("leaf.crt"), "utf8");
  } catch (e) {
    const err = e as { stderr?: Buffer };
    throw new ExitError(`lab pki: openssl failed for ${spec.cn}: ${err.stderr?.toString() ?? String(e)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface CertInfo {
  cn: string;
  orgs: string[];
  notBefore: number;
  notAfter: number;
  dnsNames: string[];
  ips: string[];
  isCA: boolean;
  usages: ("server" | "client")[];
}

export function certInfo(pem: string): CertInfo {
  const c = new X509Certificate(pem);
  const subj = c.subject.split("\n");
  const san = (c.subjectAltName ?? "").split(", ").filter(Boolean);
  const text = execFileSync("openssl", ["x509", "-noout", "-ext", "extendedKeyUsage"], { input: pem }).toString();
  const usages: ("server" | "client")[] = [];
  if (text.includes("TLS Web Server Authentication")) usages.push("server");
  if (text.includes("TLS Web Client Authentication")) usages.push("client");
  return {
    cn: subj.find((l) => l.startsWith("CN="))?.slice(3) ?? "",
    orgs: subj.filter((l) => l.startsWith("O=")).map((l) => l.slice(2)),
    notBefore: Date.parse(c.validFrom),
    notAfter: Date.parse(c.validTo),
    dnsNames: san.filter((s) => s.startsWith("DNS:")).map((s) => s.slice(4)),
    ips: san.filter((s) => s.startsWith("IP Address:")).map((s) => s.slice(11).toLowerCase()),
    isCA: c.ca,
    usages,
  };
}

/** sha256 of the DER SubjectPublicKeyInfo, as in --discovery-token-ca-cert-hash. */
export function caCertHash(certPem: string): string {
  const der = new X509Certificate(certPem).publicKey.export({ type: "spki", format: "der" });
  return "sha256:" + createHash("sha256").update(der).digest("hex");
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
