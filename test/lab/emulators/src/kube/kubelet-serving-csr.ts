// The kubelet's serving certificate with serverTLSBootstrap: true, and the controller-manager's kubelet-serving signer.
// Kubelet side (kubernetes pkg/kubelet/certificate/kubelet.go NewKubeletServerCertificateManager, client-go
// util/certificate/certificate_manager.go): no self-signed pair; it posts a CertificateSigningRequest
// (certificates.k8s.io/v1, staging/src/k8s.io/api/certificates/v1/types.go) with signerName kubernetes.io/kubelet-serving,
// usages "digital signature" + "server auth" (ECDSA P-256 key, so no "key encipherment"), subject O=system:nodes,
// CN=system:node:<node>, DNS SANs its Hostname address, IP SANs its InternalIP addresses; spec.username is the
// kubelet's identity system:node:<node>. Nothing approves it by itself; once approved and issued, the kubelet writes
// kubelet-server-<stamp>.pem (certificate + key) and points kubelet-server-current.pem at it.
// Signer side (pkg/controller/certificates/signer/signer.go, pkg/apis/certificates/v1 helpers IsKubeletServingCSR):
// an approved kubelet-serving request with O=[system:nodes], CN "system:node:" prefix, at least one DNS or IP SAN, no
// email or URI SAN and serving usages is signed by the cluster CA for --cluster-signing-duration (8760h); any other
// gets a Failed condition (reason SignerValidationFailure). The pending key lives in /run/lab (the kubelet process's memory).
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Cluster, type KubeNode, type KubeObject, objectKey, updateState } from './cluster-state.js';
import { hostName, hostPath, now, readText, remove, writeText } from './lab.js';
import { certInfo, generateKey, signCert } from './pki.js';

export const SERVING_SIGNER = 'kubernetes.io/kubelet-serving';
const PKI = '/var/lib/kubelet/pki';
export const SERVING_CURRENT = `${PKI}/kubelet-server-current.pem`;
const PENDING = '/run/lab/kubelet-serving-pending.json';
const YEAR_MS = 365 * 24 * 3600 * 1000;
const CSR = 'CertificateSigningRequest';
const isoNow = () => new Date(now()).toISOString().replace(/\.\d+Z$/, 'Z');

function openssl(args: string[], files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'lab-csr-'));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text, { mode: 0o600 });
    return execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }).toString('utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The PEM request the kubelet makes for its serving certificate. */
export function servingRequest(node: string, dns: string[], ips: string[], keyPem: string): string {
  const sans = [...dns.map((d) => `DNS:${d}`), ...ips.map((i) => `IP:${i}`)].join(',');
  return openssl(['req', '-new', '-key', 'k.pem', '-subj', `/O=system:nodes/CN=system:node:${node}`, '-addext', `subjectAltName=${sans}`], {
    'k.pem': keyPem,
  });
}

/** Subject and SANs of a PEM request, read with openssl. */
export function requestFacts(pem: string): { cn: string; orgs: string[]; dns: string[]; ips: string[]; other: string[] } {
  const subject = openssl(['req', '-in', 'r.pem', '-noout', '-subject', '-nameopt', 'RFC2253'], { 'r.pem': pem });
  const rdns = subject
    .replace(/^subject=/, '')
    .trim()
    .split(',');
  const text = openssl(['req', '-in', 'r.pem', '-noout', '-text'], { 'r.pem': pem });
  const sans = /X509v3 Subject Alternative Name:.*\n\s*(.+)/.exec(text)?.[1]?.split(', ') ?? [];
  return {
    cn: rdns.find((r) => r.startsWith('CN='))?.slice(3) ?? '',
    orgs: rdns.filter((r) => r.startsWith('O=')).map((r) => r.slice(2)),
    dns: sans.filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4)),
    ips: sans.filter((s) => s.startsWith('IP Address:')).map((s) => s.slice(11)),
    other: sans.filter((s) => !s.startsWith('DNS:') && !s.startsWith('IP Address:')),
  };
}

/** A new kubelet serving CSR object, as the kubelet posts it (generateName csr-). */
export function servingCsrObject(node: string, request: string): KubeObject {
  return {
    apiVersion: 'certificates.k8s.io/v1',
    kind: CSR,
    metadata: { name: `csr-${randomBytes(4).toString('hex').slice(0, 5)}`, generateName: 'csr-', creationTimestamp: isoNow() },
    spec: {
      groups: ['system:nodes', 'system:authenticated'],
      request: Buffer.from(request).toString('base64'),
      signerName: SERVING_SIGNER,
      usages: ['digital signature', 'server auth'],
      username: `system:node:${node}`,
    },
    status: {},
  } as KubeObject;
}

const condition = (type: string, reason: string, message: string) => ({
  type,
  status: 'True',
  reason,
  message,
  lastTransitionTime: isoNow(),
  lastUpdateTime: isoNow(),
});

/** The controller-manager's kubelet-serving signer on an approved request: status.certificate, or a Failed condition. */
export function signServing(c: Cluster, csr: KubeObject): void {
  const o = csr as any;
  if (o.spec?.signerName !== SERVING_SIGNER || o.status?.certificate) return;
  const pem = Buffer.from(String(o.spec.request ?? ''), 'base64').toString('utf8');
  let f: ReturnType<typeof requestFacts> | undefined;
  try {
    f = requestFacts(pem);
  } catch {
    f = undefined;
  }
  const usages: string[] = o.spec.usages ?? [];
  const valid =
    f &&
    f.orgs.join(',') === 'system:nodes' &&
    f.cn.startsWith('system:node:') &&
    f.dns.length + f.ips.length > 0 &&
    f.other.length === 0 &&
    usages.includes('server auth') &&
    usages.every((u) => ['digital signature', 'key encipherment', 'server auth'].includes(u));
  o.status ??= {};
  if (!valid || !f) {
    o.status.conditions = [...(o.status.conditions ?? []), condition('Failed', 'SignerValidationFailure', 'invalid certificate request')];
    return;
  }
  const t = now();
  const spec = {
    cn: f.cn,
    orgs: f.orgs,
    usages: ['server' as const],
    dnsNames: f.dns,
    ips: f.ips,
    notBefore: t - 5 * 60_000,
    request: pem,
  };
  const cert = signCert({ ...spec, notAfter: Math.min(t + YEAR_MS, certInfo(c.caCert).notAfter) }, '', { cert: c.caCert, key: c.caKey });
  o.status.certificate = Buffer.from(cert).toString('base64');
}

/** `kubectl certificate approve|deny`: the condition kubectl adds (k8s.io/kubectl pkg/cmd/certificates). */
export function decide(csr: KubeObject, approve: boolean): void {
  const o = csr as any;
  o.status ??= {};
  const type = approve ? 'Approved' : 'Denied';
  if ((o.status.conditions ?? []).some((x: any) => x.type === type)) return;
  const verb = approve ? 'approved' : 'denied';
  o.status.conditions = [
    ...(o.status.conditions ?? []),
    condition(
      type,
      `Kubectl${approve ? 'Approve' : 'Deny'}`,
      `This CSR was ${verb} by kubectl certificate ${approve ? 'approve' : 'deny'}.`,
    ),
  ];
}

/** kubectl's CONDITION column (pkg/printers/internalversion printCertificateSigningRequest). */
export function csrCondition(csr: KubeObject): string {
  const o = csr as any;
  const types = (o.status?.conditions ?? [])
    .map((x: any) => String(x.type))
    .filter((t: string) => ['Approved', 'Denied', 'Failed'].includes(t));
  const text = types.length ? types.join(',') : 'Pending';
  return o.status?.certificate ? `${text},Issued` : text;
}

/** What the kubelet asks for: CN system:node:<node>, O system:nodes, its hostname and InternalIP addresses. */
export interface ServingTemplate {
  node: string;
  dns: string[];
  ips: string[];
}

/**
 * Why the kubelet's certificate manager would request a new serving certificate now, or undefined when it keeps
 * `pem` (client-go util/certificate/certificate_manager.go): none stored or expired (Current() nil, store.Current()
 * NoCertKeyError); the certificate misses the template's CN, orgs, DNS names or IPs (certSatisfiesTemplateLocked); or
 * the rotation deadline passed, notBefore + 70–90% of its lifetime (nextRotationDeadline, jitteryDuration:
 * wait.Jitter(total, 0.2) - 0.3·total). The real manager draws the jitter afresh at each deadline; here it is derived
 * from the certificate's bytes, so a lab run is reproducible. Who signed it does not matter: a kubelet restart with a
 * valid pair keeps it, also after its CA was rotated.
 */
export function servingRotationDue(pem: string | undefined, want: ServingTemplate, at: number): string | undefined {
  let info: ReturnType<typeof certInfo>;
  try {
    if (!pem) return 'no serving certificate';
    info = certInfo(pem);
  } catch {
    return 'no readable serving certificate';
  }
  if (at > info.notAfter) return 'the serving certificate expired';
  const missing = [
    ...(info.cn === `system:node:${want.node}` ? [] : [`CN system:node:${want.node}`]),
    ...(info.orgs.includes('system:nodes') ? [] : ['O system:nodes']),
    ...want.dns.filter((d) => !info.dnsNames.includes(d)),
    ...want.ips.filter((ip) => !info.ips.includes(ip.toLowerCase())),
  ];
  if (missing.length) return `the serving certificate lacks ${missing.join(', ')}`;
  const jitter = createHash('sha256').update(pem).digest().readUInt32BE(0) / 2 ** 32;
  const deadline = info.notBefore + (0.7 + 0.2 * jitter) * (info.notAfter - info.notBefore);
  return at >= deadline ? 'the rotation deadline (70–90% of its lifetime) passed' : undefined;
}

/** This node's kubelet: keep its serving certificate until servingRotationDue, then request one and pick it up once issued. */
export function syncServing(c: Cluster, node: KubeNode, serverTLSBootstrap: boolean): void {
  if (!serverTLSBootstrap) return;
  const want = { node: node.name, dns: [hostName()], ips: node.internalIP.split(',').filter(Boolean) };
  if (!servingRotationDue(readText(SERVING_CURRENT), want, now())) return;
  const pending = JSON.parse(readText(PENDING) ?? 'null') as { name: string; key: string } | null;
  const csr = pending ? (c.objects[objectKey(CSR, undefined, pending.name)] as any) : undefined;
  if (pending && csr?.status?.certificate) {
    const cert = Buffer.from(csr.status.certificate, 'base64').toString('utf8');
    const file = `${PKI}/kubelet-server-${new Date(now()).toISOString().slice(0, 19).replace(/[T:]/g, '-')}.pem`;
    writeText(file, cert + pending.key, 0o600);
    const link = hostPath(`${SERVING_CURRENT}.tmp`);
    rmSync(link, { force: true });
    symlinkSync(file.slice(PKI.length + 1), link);
    renameSync(link, hostPath(SERVING_CURRENT));
    remove(PENDING);
    return;
  }
  if (csr && !(csr.status?.conditions ?? []).some((x: any) => x.type === 'Denied' || x.type === 'Failed')) return; // waiting
  const key = generateKey('ECDSA-P256');
  const obj = servingCsrObject(node.name, servingRequest(node.name, want.dns, want.ips, key));
  updateState((s) => {
    const cl = s.clusters[c.id];
    if (cl) cl.objects[objectKey(CSR, undefined, obj.metadata!.name!)] = obj;
  });
  writeText(PENDING, JSON.stringify({ name: obj.metadata!.name, key }), 0o600);
  startServingWatch();
}

/** Where this kubelet's pending serving request stands: none pending, waiting, issued, or denied/failed/gone. */
export function pendingServing(c: Cluster): 'none' | 'waiting' | 'issued' | 'refused' {
  const pending = JSON.parse(readText(PENDING) ?? 'null') as { name: string } | null;
  if (!pending) return 'none';
  const csr = c.objects[objectKey(CSR, undefined, pending.name)] as any;
  if (csr?.status?.certificate) return 'issued';
  if (!csr || (csr.status?.conditions ?? []).some((x: any) => x.type === 'Denied' || x.type === 'Failed')) return 'refused';
  return 'waiting';
}

const WATCH_PID = '/run/lab/pids/kubelet-serving-wait';

/**
 * The real kubelet waits on its request (rotateCerts: csr.WaitForCertificate, up to certificateWaitTimeout) and
 * stores the certificate once issued: here a detached `lab-node-sync serving-wait` (node-state.ts watchServing) does,
 * one per host, ending with the request, the kubelet unit or 15 minutes.
 */
function startServingWatch(): void {
  const pid = Number(readText(WATCH_PID)?.trim());
  try {
    if (pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('serving-wait')) return;
  } catch {
    /* not running */
  }
  mkdirSync(hostPath('/run/lab/pids'), { recursive: true });
  const child = spawn(process.execPath, [fileURLToPath(new URL('./lab-node-sync.js', import.meta.url)), 'serving-wait'], {
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, LAB_JOURNAL_OFF: '1' },
  });
  writeFileSync(hostPath(WATCH_PID), `${child.pid}\n`);
  child.unref();
}
