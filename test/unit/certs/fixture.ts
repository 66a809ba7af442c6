/**
 * A kubeadm PKI tree on disk for unit tests: real keys and openssl-signed certificates (the lab's signCert,
 * exact validity windows), written under a temp root exactly where kubeadm puts them on a node.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { generateKey, publicKeyPem, signCert, type KeyPair } from '../../lab/emulators/src/kube/pki.js';
import { kubeconfigYaml } from '../../lab/emulators/src/kube/kubeadm-pki.js';

const DAY = 86_400_000;
export const NOW = Date.now();

export interface NodeTreeOptions {
  node: string;
  ip: string;
  /** Shared CAs (pass the same object to several nodes to share them). */
  cas?: SharedCas;
  /** Leaf validity in days relative to NOW: [start, end]. */
  leafDays?: [number, number];
  extraSans?: string[];
  /** Leave the node's IP out of the apiserver certificate. */
  dropIpSan?: boolean;
  /** Home directories that get a copy of admin.conf as ~/.kube/config (what controlplane.kubeconfig hands out). */
  copies?: string[];
  /** The API server the kubeconfigs name (default https://<ip>:6443). */
  server?: string;
}

export interface SharedCas {
  ca: KeyPair;
  frontProxy: KeyPair;
  etcd: KeyPair;
  sa: string;
}

function ca(cn: string, days: number): KeyPair {
  const key = generateKey();
  return { key, cert: signCert({ cn, isCA: true, notBefore: NOW - DAY, notAfter: NOW + days * DAY }, key) };
}

/** The three CAs and the sa key; `days` is the CAs' life left (kubeadm's default: ten years). */
export function makeCas(days = 3650): SharedCas {
  return { ca: ca('kubernetes', days), frontProxy: ca('front-proxy-ca', days), etcd: ca('etcd-ca', days), sa: generateKey() };
}

/** One key shared by every leaf (key generation is the slow part; the checks never look at leaf keys). */
const LEAF_KEY = generateKey();

export function writeNodeTree(root: string, o: NodeTreeOptions): SharedCas {
  const cas = o.cas ?? makeCas();
  const [from, to] = o.leafDays ?? [-1, 365];
  const write = (path: string, text: string, mode = 0o644) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text, { mode });
  };
  const leaf = (cn: string, signer: KeyPair, extra: { dnsNames?: string[]; ips?: string[]; orgs?: string[] } = {}) =>
    signCert({ cn, ...extra, usages: ['client'], notBefore: NOW + from * DAY, notAfter: NOW + to * DAY }, LEAF_KEY, signer);
  const pki = '/etc/kubernetes/pki';
  for (const [file, pair] of [
    ['ca', cas.ca],
    ['front-proxy-ca', cas.frontProxy],
    ['etcd/ca', cas.etcd],
  ] as const) {
    write(`${pki}/${file}.crt`, pair.cert);
    write(`${pki}/${file}.key`, pair.key, 0o600);
  }
  write(`${pki}/sa.key`, cas.sa, 0o600);
  write(`${pki}/sa.pub`, publicKeyPem(cas.sa));
  const ips = o.dropIpSan ? ['10.96.0.1'] : ['10.96.0.1', o.ip];
  write(`${pki}/apiserver.crt`, leaf('kube-apiserver', cas.ca, { dnsNames: [o.node, 'kubernetes', ...(o.extraSans ?? [])], ips }));
  write(`${pki}/apiserver-kubelet-client.crt`, leaf('kube-apiserver-kubelet-client', cas.ca));
  write(`${pki}/apiserver-etcd-client.crt`, leaf('kube-apiserver-etcd-client', cas.etcd));
  write(`${pki}/front-proxy-client.crt`, leaf('front-proxy-client', cas.frontProxy));
  // etcd server and peer carry kubeadm's SANs: the node name and localhost, its IP and the loopbacks
  const etcdSans = { dnsNames: [o.node, 'localhost'], ips: [o.ip, '127.0.0.1', '::1'] };
  for (const f of ['etcd/server', 'etcd/peer']) write(`${pki}/${f}.crt`, leaf(o.node, cas.etcd, etcdSans));
  write(`${pki}/etcd/healthcheck-client.crt`, leaf('kube-etcd-healthcheck-client', cas.etcd));
  for (const name of ['admin.conf', 'super-admin.conf', 'controller-manager.conf', 'scheduler.conf']) {
    const conf = kubeconfigYaml('k', o.server ?? `https://${o.ip}:6443`, cas.ca.cert, name, { cert: leaf(name, cas.ca), key: LEAF_KEY });
    write(`/etc/kubernetes/${name}`, conf, 0o600);
    if (name === 'admin.conf') for (const home of o.copies ?? []) write(`${home}/.kube/config`, conf, 0o600);
  }
  const pem = '/var/lib/kubelet/pki/kubelet-client-current.pem';
  write(pem, leaf(`system:node:${o.node}`, cas.ca) + LEAF_KEY, 0o600);
  write(
    '/etc/kubernetes/kubelet.conf',
    kubeconfigYaml('default-cluster', `https://${o.ip}:6443`, cas.ca.cert, 'default-auth', { certFile: pem, keyFile: pem }),
    0o600,
  );
  const servingKey = generateKey();
  write('/var/lib/kubelet/pki/kubelet.crt', signCert({ cn: `${o.node}@1`, notBefore: NOW - DAY, notAfter: NOW + 365 * DAY }, servingKey));
  return cas;
}

export function tempRoot(): string {
  return mkdtempSync(join(tmpdir(), 'ks-certs-'));
}
