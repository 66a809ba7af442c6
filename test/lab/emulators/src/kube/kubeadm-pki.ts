// kubeadm's certificate tree and kubeconfig files for one node, created, shared and renewed.
import YAML from './yaml-lazy.js';
import { exists, readText, writeText } from './lab.js';
import { certInfo, generateKey, type KeyAlgorithm, type KeyPair, publicKeyPem, signCert, type CertSpec } from './pki.js';

export interface PkiContext {
  certDir: string; // /etc/kubernetes/pki
  nodeName: string;
  advertiseAddress: string;
  bindPort: number;
  controlPlaneEndpoint: string; // host:port or ""
  certSANs: string[];
  serviceSubnet: string;
  dnsDomain: string;
  clusterName: string;
  algorithm: KeyAlgorithm;
  validityMs: number;
  caValidityMs: number;
  now: number;
}

const BACKDATE = 5 * 60e3;
const isIP = (s: string) => /^\d+\.\d+\.\d+\.\d+$/.test(s) || s.includes(':');
const hostOf = (endpoint: string) => endpoint.replace(/^\[?([^\]]+?)\]?(:\d+)?$/, '$1');

export const CAS = [
  { name: 'ca', file: 'ca', cn: 'kubernetes' },
  { name: 'front-proxy-ca', file: 'front-proxy-ca', cn: 'front-proxy-ca' },
  { name: 'etcd-ca', file: 'etcd/ca', cn: 'etcd-ca' },
] as const;

/** Leaf certificates in check-expiration order: name, file, signing CA. */
export const LEAVES = [
  { name: 'apiserver', file: 'apiserver', ca: 'ca' },
  { name: 'apiserver-etcd-client', file: 'apiserver-etcd-client', ca: 'etcd-ca' },
  { name: 'apiserver-kubelet-client', file: 'apiserver-kubelet-client', ca: 'ca' },
  { name: 'etcd-healthcheck-client', file: 'etcd/healthcheck-client', ca: 'etcd-ca' },
  { name: 'etcd-peer', file: 'etcd/peer', ca: 'etcd-ca' },
  { name: 'etcd-server', file: 'etcd/server', ca: 'etcd-ca' },
  { name: 'front-proxy-client', file: 'front-proxy-client', ca: 'front-proxy-ca' },
] as const;

export const KUBECONFIGS = [
  { name: 'admin.conf', cn: 'kubernetes-admin', orgs: ['kubeadm:cluster-admins'], local: false },
  { name: 'controller-manager.conf', cn: 'system:kube-controller-manager', orgs: [], local: true },
  { name: 'scheduler.conf', cn: 'system:kube-scheduler', orgs: [], local: true },
  { name: 'super-admin.conf', cn: 'kubernetes-super-admin', orgs: ['system:masters'], local: false },
] as const;

/** The files a control-plane join receives from the uploaded-certs bundle. */
export const SHARED_FILES = [
  'ca.crt',
  'ca.key',
  'sa.key',
  'sa.pub',
  'front-proxy-ca.crt',
  'front-proxy-ca.key',
  'etcd/ca.crt',
  'etcd/ca.key',
];

export function firstServiceIP(subnet: string): string {
  const o = subnet.split('/')[0]!.split('.').map(Number);
  return `${o[0]}.${o[1]}.${o[2]}.${o[3]! + 1}`;
}

export function readPair(certDir: string, file: string): KeyPair | undefined {
  const cert = readText(`${certDir}/${file}.crt`);
  const key = readText(`${certDir}/${file}.key`);
  return cert && key ? { cert, key } : undefined;
}

function writePair(certDir: string, file: string, pair: KeyPair): void {
  writeText(`${certDir}/${file}.key`, pair.key, 0o600);
  writeText(`${certDir}/${file}.crt`, pair.cert);
}

function leafSpec(ctx: PkiContext, name: string): Omit<CertSpec, 'notBefore' | 'notAfter'> {
  const loopback = { dnsNames: [ctx.nodeName, 'localhost'], ips: [ctx.advertiseAddress, '127.0.0.1', '0:0:0:0:0:0:0:1'] };
  switch (name) {
    case 'apiserver': {
      const dns = [ctx.nodeName, 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', `kubernetes.default.svc.${ctx.dnsDomain}`];
      const ips = [firstServiceIP(ctx.serviceSubnet), ctx.advertiseAddress];
      for (const extra of [ctx.controlPlaneEndpoint ? hostOf(ctx.controlPlaneEndpoint) : '', ...ctx.certSANs]) {
        if (!extra) continue;
        const list = isIP(extra) ? ips : dns;
        if (!list.includes(extra)) list.push(extra);
      }
      return { cn: 'kube-apiserver', usages: ['server'], dnsNames: dns, ips };
    }
    case 'apiserver-kubelet-client':
      return { cn: 'kube-apiserver-kubelet-client', orgs: ['kubeadm:cluster-admins'], usages: ['client'] };
    case 'apiserver-etcd-client':
      return { cn: 'kube-apiserver-etcd-client', usages: ['client'] };
    case 'etcd-healthcheck-client':
      return { cn: 'kube-etcd-healthcheck-client', usages: ['client'] };
    case 'etcd-peer':
      return { cn: ctx.nodeName, usages: ['server', 'client'], ...loopback };
    case 'etcd-server':
      return { cn: ctx.nodeName, usages: ['server', 'client'], ...loopback };
    case 'front-proxy-client':
      return { cn: 'front-proxy-client', usages: ['client'] };
    default:
      throw new Error(`unknown certificate ${name}`);
  }
}

export function createCAs(ctx: PkiContext): void {
  for (const ca of CAS) {
    if (readPair(ctx.certDir, ca.file)) continue; // user-provided CA (external files) are kept
    const key = generateKey(ctx.algorithm);
    const cert = signCert(
      { cn: ca.cn, isCA: true, dnsNames: [ca.cn], notBefore: ctx.now - BACKDATE, notAfter: ctx.now + ctx.caValidityMs },
      key,
    );
    writePair(ctx.certDir, ca.file, { key, cert });
  }
  if (!exists(`${ctx.certDir}/sa.key`)) {
    const key = generateKey(ctx.algorithm === 'ECDSA-P256' ? 'ECDSA-P256' : 'RSA-2048');
    writeText(`${ctx.certDir}/sa.key`, key, 0o600);
    writeText(`${ctx.certDir}/sa.pub`, publicKeyPem(key));
  }
}

const caPair = (ctx: PkiContext, caName: string): KeyPair => {
  const ca = CAS.find((c) => c.name === caName)!;
  const pair = readPair(ctx.certDir, ca.file);
  if (!pair) throw new Error(`couldn't load the certificate authority "${ca.file}" from ${ctx.certDir}`);
  return pair;
};

/** One leaf certificate of this node (LEAVES' name, e.g. "apiserver"), signed by its CA's files; returns its PEM. */
export function createLeaf(ctx: PkiContext, name: string): string {
  const leaf = LEAVES.find((l) => l.name === name)!;
  const key = generateKey(ctx.algorithm);
  const spec = { ...leafSpec(ctx, leaf.name), notBefore: ctx.now - BACKDATE, notAfter: ctx.now + ctx.validityMs };
  const cert = signCert(spec, key, caPair(ctx, leaf.ca));
  writePair(ctx.certDir, leaf.file, { key, cert });
  return cert;
}

/** The names and addresses kubeadm's configuration asks of a leaf certificate. */
export function leafSans(ctx: PkiContext, name: string): { dnsNames: string[]; ips: string[] } {
  const spec = leafSpec(ctx, name);
  return { dnsNames: spec.dnsNames ?? [], ips: spec.ips ?? [] };
}

/** This node's own leaf certificates (control-plane nodes only). */
export function createLeaves(ctx: PkiContext): string[] {
  for (const leaf of LEAVES) createLeaf(ctx, leaf.name);
  return LEAVES.map((l) => l.name);
}

export interface KubeconfigUser {
  cert?: string | undefined;
  key?: string | undefined;
  certFile?: string;
  keyFile?: string;
}

export function kubeconfigYaml(
  clusterName: string,
  server: string,
  caCert: string,
  userName: string,
  user: KubeconfigUser,
  contextName?: string,
): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const u: Record<string, string> = {};
  if (user.certFile) u['client-certificate'] = user.certFile;
  if (user.cert) u['client-certificate-data'] = b64(user.cert);
  if (user.keyFile) u['client-key'] = user.keyFile;
  if (user.key) u['client-key-data'] = b64(user.key);
  const ctxName = contextName ?? `${userName}@${clusterName}`;
  return YAML.stringify({
    apiVersion: 'v1',
    clusters: [{ cluster: { 'certificate-authority-data': b64(caCert), server }, name: clusterName }],
    contexts: [{ context: { cluster: clusterName, user: userName }, name: ctxName }],
    'current-context': ctxName,
    kind: 'Config',
    preferences: {},
    users: [{ name: userName, user: u }],
  });
}

export function createKubeconfigs(ctx: PkiContext, kubeDir: string, names: string[]): void {
  const ca = caPair(ctx, 'ca');
  const local = `https://${ctx.advertiseAddress}:${ctx.bindPort}`;
  const shared = ctx.controlPlaneEndpoint ? `https://${ctx.controlPlaneEndpoint}` : local;
  for (const kc of KUBECONFIGS.filter((k) => names.includes(k.name))) {
    const key = generateKey(ctx.algorithm);
    const cert = signCert(
      { cn: kc.cn, orgs: [...kc.orgs], usages: ['client'], notBefore: ctx.now - BACKDATE, notAfter: ctx.now + ctx.validityMs },
      key,
      ca,
    );
    writeText(`${kubeDir}/${kc.name}`, kubeconfigYaml(ctx.clusterName, kc.local ? local : shared, ca.cert, kc.cn, { cert, key }), 0o600);
  }
}

/** kubelet.conf in its post-bootstrap shape: it points at the rotating kubelet client certificate. */
export function createKubeletKubeconfig(ctx: PkiContext, kubeDir: string, server: string, signer?: KeyPair): void {
  const ca = signer ?? caPair(ctx, 'ca');
  const key = generateKey(ctx.algorithm);
  const cert = signCert(
    {
      cn: `system:node:${ctx.nodeName}`,
      orgs: ['system:nodes'],
      usages: ['client'],
      notBefore: ctx.now - BACKDATE,
      notAfter: ctx.now + ctx.validityMs,
    },
    key,
    ca,
  );
  const pem = '/var/lib/kubelet/pki/kubelet-client-current.pem';
  writeText(pem, cert + key, 0o600);
  writeText(
    `${kubeDir}/kubelet.conf`,
    kubeconfigYaml('default-cluster', server, ca.cert, 'default-auth', { certFile: pem, keyFile: pem }, 'default-context'),
    0o600,
  );
}

/** Re-sign an existing leaf certificate with the same CA, keeping CN, O and SANs (kubeadm certs renew). */
export function renewLeaf(ctx: PkiContext, file: string, caName: string): void {
  const old = readPair(ctx.certDir, file);
  if (!old) throw new Error(`open ${ctx.certDir}/${file}.crt: no such file or directory`);
  const info = certInfo(old.cert);
  const spec: CertSpec = {
    cn: info.cn,
    orgs: info.orgs,
    usages: info.usages,
    dnsNames: info.dnsNames,
    ips: info.ips.map(normIP),
    notBefore: ctx.now - BACKDATE,
    notAfter: ctx.now + ctx.validityMs,
  };
  writePair(ctx.certDir, file, { key: old.key, cert: signCert(spec, old.key, caPair(ctx, caName)) });
}

const normIP = (ip: string) => (ip === '::1' ? '0:0:0:0:0:0:0:1' : ip);

export interface ParsedKubeconfig {
  server: string;
  caCert: string;
  cert?: string | undefined;
  key?: string | undefined;
  userName: string;
  clusterName: string;
}

export function parseKubeconfig(text: string): ParsedKubeconfig {
  return canonicalKubeconfig(text) ?? parseKubeconfigYaml(text);
}

// Plain scalars YAML reads back as these very strings: names (no boolean/null look-alikes, no trailing colon),
// base64 data and absolute paths.
const NAME = String.raw`(?!(?:true|True|TRUE|false|False|FALSE|null|Null|NULL)\n)[A-Za-z](?:[A-Za-z0-9@:._/-]*[A-Za-z0-9@._/-])?`;
const B64 = '[A-Za-z][A-Za-z0-9+/]*={0,2}';
const CANONICAL = new RegExp(
  String.raw`^apiVersion: v1\nclusters:\n  - cluster:\n      certificate-authority-data: (${B64})\n` +
    String.raw`      server: (https://[A-Za-z0-9.:\[\]-]+)\n    name: (${NAME})\ncontexts:\n  - context:\n      cluster: ${NAME}\n` +
    String.raw`      user: ${NAME}\n    name: ${NAME}\ncurrent-context: ${NAME}\nkind: Config\npreferences: \{\}\nusers:\n  - name: (${NAME})\n` +
    String.raw`    user:\n((?:      client-(?:certificate|key)(?:-data)?: (?:${B64}|/(?:[A-Za-z0-9@:._/-]*[A-Za-z0-9@._/-])?)\n)+)$`,
);

/**
 * The kubeconfig files this emulator writes (kubeconfigYaml: one cluster, one context, one user), read without the
 * yaml package; anything else is undefined (parsed as YAML). Same result as parseKubeconfigYaml for those files.
 */
export function canonicalKubeconfig(text: string): ParsedKubeconfig | undefined {
  const m = CANONICAL.exec(text);
  if (!m) return undefined;
  const u: Record<string, string> = {};
  for (const line of m[5]!.trimEnd().split('\n')) {
    const [k, v] = line.trim().split(': ') as [string, string];
    if (k in u) return undefined; // a duplicate key is a YAML error: let the parser report it
    u[k] = v;
  }
  return { server: m[2]!, caCert: fromB64(m[1])!, ...credentials(u), userName: m[4]!, clusterName: m[3]! };
}

const fromB64 = (s?: string) => (s ? Buffer.from(s, 'base64').toString() : undefined);

/** A kubeconfig user's client certificate and key: inline data, else the files it names. */
function credentials(u: Record<string, string | undefined>): { cert?: string | undefined; key?: string | undefined } {
  return {
    cert: fromB64(u['client-certificate-data']) ?? (u['client-certificate'] ? readText(u['client-certificate']) : undefined),
    key: fromB64(u['client-key-data']) ?? (u['client-key'] ? readText(u['client-key']) : undefined),
  };
}

export function parseKubeconfigYaml(text: string): ParsedKubeconfig {
  const doc = YAML.parse(text) as Record<string, any>;
  const ctxName = doc['current-context'];
  const context = (doc.contexts ?? []).find((c: any) => c.name === ctxName)?.context ?? doc.contexts?.[0]?.context ?? {};
  const cluster = (doc.clusters ?? []).find((c: any) => c.name === context.cluster) ?? doc.clusters?.[0];
  const user = (doc.users ?? []).find((u: any) => u.name === context.user) ?? doc.users?.[0];
  const { cert, key } = credentials(user?.user ?? {});
  const caCert =
    fromB64(cluster?.cluster?.['certificate-authority-data']) ??
    (cluster?.cluster?.['certificate-authority'] ? (readText(cluster.cluster['certificate-authority']) ?? '') : '');
  return { server: cluster?.cluster?.server ?? '', caCert, cert, key, userName: user?.name ?? '', clusterName: cluster?.name ?? '' };
}

/** Rewrite the client certificate of a kubeconfig in place, same subject, same CA (certs renew). */
export function renewKubeconfig(ctx: PkiContext, path: string): void {
  const text = readText(path);
  if (!text) throw new Error(`failed to load kubeconfig file ${path}: open ${path}: no such file or directory`);
  const kc = parseKubeconfig(text);
  if (!kc.cert || !kc.key) throw new Error(`kubeconfig file ${path} does not contain a client certificate`);
  const info = certInfo(kc.cert);
  const cert = signCert(
    { cn: info.cn, orgs: info.orgs, usages: ['client'], notBefore: ctx.now - BACKDATE, notAfter: ctx.now + ctx.validityMs },
    kc.key,
    caPair(ctx, 'ca'),
  );
  writeText(path, kubeconfigYaml(kc.clusterName, kc.server, kc.caCert, kc.userName, { cert, key: kc.key }), 0o600);
}
