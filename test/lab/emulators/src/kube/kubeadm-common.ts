// Pieces every kubeadm subcommand shares: defaults, the local cluster, tokens, keys, join commands.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { type Cluster, loadState } from './cluster-state.js';
import { ExitError, now, readText } from './lab.js';
import { caCertHash, type KeyAlgorithm } from './pki.js';
import { clusterForCa } from './trust.js';
import { parseKubeconfig, type PkiContext, SHARED_FILES } from './kubeadm-pki.js';
import { parseDuration } from './args.js';

export const HOUR = 3600e3;

export function defaultClusterConfiguration(cc: Record<string, any> = {}, version: string): Record<string, any> {
  return {
    apiVersion: 'kubeadm.k8s.io/v1beta4',
    kind: 'ClusterConfiguration',
    ...cc,
    kubernetesVersion: cc.kubernetesVersion ?? version,
    clusterName: cc.clusterName ?? 'kubernetes',
    certificatesDir: cc.certificatesDir ?? '/etc/kubernetes/pki',
    imageRepository: cc.imageRepository ?? 'registry.k8s.io',
    controlPlaneEndpoint: cc.controlPlaneEndpoint ?? '',
    networking: { dnsDomain: 'cluster.local', serviceSubnet: '10.96.0.0/12', ...(cc.networking ?? {}) },
    etcd: cc.etcd ?? { local: { dataDir: '/var/lib/etcd' } },
    apiServer: cc.apiServer ?? {},
    controllerManager: cc.controllerManager ?? {},
    scheduler: cc.scheduler ?? {},
    dns: cc.dns ?? {},
    proxy: cc.proxy ?? {},
    encryptionAlgorithm: cc.encryptionAlgorithm ?? 'RSA-2048',
    certificateValidityPeriod: cc.certificateValidityPeriod ?? '8760h0m0s',
    caCertificateValidityPeriod: cc.caCertificateValidityPeriod ?? '87600h0m0s',
  };
}

export function pkiContext(cc: Record<string, any>, node: { name: string; address: string; bindPort: number }): PkiContext {
  return {
    certDir: cc.certificatesDir,
    nodeName: node.name,
    advertiseAddress: node.address,
    bindPort: node.bindPort,
    controlPlaneEndpoint: cc.controlPlaneEndpoint ?? '',
    certSANs: cc.apiServer?.certSANs ?? [],
    serviceSubnet: cc.networking.serviceSubnet,
    dnsDomain: cc.networking.dnsDomain,
    clusterName: cc.clusterName,
    algorithm: (cc.encryptionAlgorithm ?? 'RSA-2048') as KeyAlgorithm,
    validityMs: parseDuration(cc.certificateValidityPeriod ?? '8760h0m0s'),
    caValidityMs: parseDuration(cc.caCertificateValidityPeriod ?? '87600h0m0s'),
    now: now(),
  };
}

const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
const randomString = (n: number) => Array.from(randomBytes(n), (b) => ALNUM[b % 36]).join('');
export const generateToken = (): string => `${randomString(6)}.${randomString(16)}`;
export const TOKEN_RE = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
export const generateCertificateKey = (): string => randomBytes(32).toString('hex');

/** The cluster of the kubeconfig kubeadm talks through (default /etc/kubernetes/admin.conf). */
export function clusterFromKubeconfig(path = '/etc/kubernetes/admin.conf'): Cluster {
  const text = readText(path);
  if (!text)
    throw new ExitError(
      `error: failed to load admin kubeconfig: open ${path}: no such file or directory\nTo see the stack trace of this error execute with --v=5 or higher`,
    );
  const kc = parseKubeconfig(text);
  const c = clusterForCa(loadState(), kc.caCert);
  const host = kc.server.replace(/^https:\/\//, '');
  if (!c)
    throw new ExitError(
      `error: Get "https://${host}/api/v1/namespaces/kube-system/configmaps/kubeadm-config?timeout=10s": dial tcp ${host}: connect: connection refused\nTo see the stack trace of this error execute with --v=5 or higher`,
    );
  return c;
}

export function encryptBundle(key: string, certDir: string, files: Record<string, string>): { iv: string; tag: string; data: string } {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', Buffer.from(key, 'hex'), iv);
  const data = Buffer.concat([c.update(JSON.stringify({ certDir, files })), c.final()]);
  return { iv: iv.toString('base64'), tag: c.getAuthTag().toString('base64'), data: data.toString('base64') };
}

export function decryptBundle(key: string, b: { iv: string; tag: string; data: string }): Record<string, string> {
  try {
    const d = createDecipheriv('aes-256-gcm', Buffer.from(key, 'hex'), Buffer.from(b.iv, 'base64'));
    d.setAuthTag(Buffer.from(b.tag, 'base64'));
    const plain = Buffer.concat([d.update(Buffer.from(b.data, 'base64')), d.final()]).toString();
    return (JSON.parse(plain) as { files: Record<string, string> }).files;
  } catch {
    throw new ExitError(
      'error: error execution phase control-plane-prepare/download-certs: error downloading certs: error decoding secret data with provided key: cipher: message authentication failed\nTo see the stack trace of this error execute with --v=5 or higher',
    );
  }
}

export function sharedFiles(certDir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of SHARED_FILES) {
    const t = readText(`${certDir}/${f}`);
    if (t) out[f] = t;
  }
  return out;
}

export function uploadCerts(c: Cluster, key: string, certDir: string): void {
  if (!/^[0-9a-f]{64}$/.test(key))
    throw new ExitError(
      `error: error execution phase upload-certs: error uploading certs: error decoding certificate key: encoding/hex: invalid byte`,
    );
  c.uploadedCerts = { expires: now() + 2 * HOUR, ...encryptBundle(key, certDir, sharedFiles(certDir)) };
}

export interface JoinCommandInput {
  endpoint: string;
  token: string;
  hash: string;
  certificateKey?: string | undefined;
  controlPlane?: boolean;
}

/** The multi-line join commands of init's closing text. */
export function joinCommandBlock(j: JoinCommandInput): string {
  let s = `kubeadm join ${j.endpoint} --token ${j.token} \\\n\t--discovery-token-ca-cert-hash ${j.hash} `;
  if (j.controlPlane) s += j.certificateKey ? `\\\n\t--control-plane --certificate-key ${j.certificateKey}` : `\\\n\t--control-plane `;
  return s;
}

/** `token create --print-join-command`: one line. */
export function joinCommandLine(j: JoinCommandInput): string {
  let s = `kubeadm join ${j.endpoint} --token ${j.token} --discovery-token-ca-cert-hash ${j.hash} `;
  if (j.controlPlane) s += `--control-plane ${j.certificateKey ? `--certificate-key ${j.certificateKey}` : ''}`;
  return s;
}

export const clusterHash = (c: Cluster): string => caCertHash(c.caCert);

export const stackHint = 'To see the stack trace of this error execute with --v=5 or higher';
