// What a control plane's components trust and present, as they read it when their static pod last started: the API
// server its --client-ca-file (client certificates it accepts) and --tls-cert-file (the serving certificate clients
// verify), the controller-manager its --cluster-signing-cert/key-file (the CSR signer: kubelet client certificates)
// and --root-ca-file (published as the kube-root-ca.crt ConfigMap of every namespace). A file changed afterwards
// changes nothing until the pod restarts, as on a real node: a CA rotation done in the wrong order fails here.
// A pod's start is seen from its manifest: a new ctime (written, touched, or moved out and back) or content; the load is
// recorded by the next emulator run on that host that asks (lab-node-sync, kubectl) — kubesmith's health gates
// query each restarted control plane right after its restart, so the record follows within seconds.
// The TLS checks: Go's crypto/x509 with the trust bundle as roots, i.e. some CA of the bundle signed the certificate;
// the error texts are Go's ("x509: certificate signed by unknown authority", kubectl prefixes "Unable to connect to
// the server: tls: failed to verify certificate: ").
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import type { Cluster, ClusterState, ControlPlaneMember } from './cluster-state.js';
import { hostPath, now, readText } from './lab.js';
import { caCertHash, certInfo, keyMatchesCert, signedBy } from './pki.js';

export interface LoadedApiServer {
  /** The static pod's start: manifest mtime and content hash. */
  since: string;
  clientCA: string;
  serving: string;
  etcdCA?: string | undefined;
  etcdClient?: string | undefined;
  proxyCA?: string | undefined;
  proxyClient?: string | undefined;
}

export const UNKNOWN_AUTHORITY = 'x509: certificate signed by unknown authority';

const PEM = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g;
export const certificatesOf = (bundle: string | undefined): string[] => (bundle ?? '').match(PEM) ?? [];

/** Some CA of `bundle` signed `cert` (crypto/x509 Verify with the bundle as its root pool). */
export const bundleTrusts = (bundle: string | undefined, cert: string | undefined): boolean =>
  !!cert && certificatesOf(bundle).some((ca) => signedBy(cert, ca));

/** The cluster a kubeconfig's CA bundle belongs to: any of its CAs is the cluster's first or a CA it rotated to. */
export function clusterForCa(s: ClusterState, bundle: string | undefined): Cluster | undefined {
  const ids = new Set(certificatesOf(bundle).map(caCertHash));
  return Object.values(s.clusters).find((c) => ids.has(c.id) || (c.caIds ?? []).some((id) => ids.has(id)));
}

const MANIFESTS = '/etc/kubernetes/manifests';
const flagOf = (manifest: string, name: string) => new RegExp(`--${name}=(\\S+)`).exec(manifest)?.[1]?.replace(/^"|"$/g, '');

function started(component: string): { since: string; manifest: string } | undefined {
  const path = `${MANIFESTS}/${component}.yaml`;
  const manifest = readText(path);
  if (!manifest) return undefined;
  // ctime: moving the manifest out and back (kubeadm's documented restart) keeps its mtime but not its ctime
  const ctime = statSync(hostPath(path)).ctimeMs;
  return { since: `${ctime}:${createHash('sha256').update(manifest).digest('hex').slice(0, 16)}`, manifest };
}

/**
 * Record what this control plane's API server and controller-manager read at their last start (only when that start
 * is newer than the record). Called inside updateState. The newest controller-manager start holds the lease: its
 * signer signs CSRs and its root CA bundle is kube-root-ca.crt.
 */
export function recordLoadedTrust(c: Cluster, member: string): void {
  const m = c.controlPlane[member];
  if (!m) return;
  const api = started('kube-apiserver');
  if (api && m.apiServerTrust?.since !== api.since) {
    const clientCA = readText(flagOf(api.manifest, 'client-ca-file') ?? '') ?? '';
    const serving = readText(flagOf(api.manifest, 'tls-cert-file') ?? '') ?? '';
    if (clientCA && serving) {
      m.apiServerTrust = { since: api.since, clientCA, serving, ...apiServerSideFiles(api.manifest) };
      publishExtensionAuthentication(c);
    }
  }
  recordLoadedEtcd(m);
  const cm = started('kube-controller-manager');
  if (cm && m.controllerManagerSince !== cm.since) {
    const cert = certificatesOf(readText(flagOf(cm.manifest, 'cluster-signing-cert-file') ?? ''))[0];
    const key = readText(flagOf(cm.manifest, 'cluster-signing-key-file') ?? '');
    const root = readText(flagOf(cm.manifest, 'root-ca-file') ?? '');
    m.controllerManagerSince = cm.since;
    if (cert && key && root && keyMatchesCert(key, cert)) {
      // running pods keep the bundle they started with
      for (const [k, o] of Object.entries(c.objects))
        if ((o.kind === 'Deployment' || o.kind === 'DaemonSet') && !c.podTrust?.[k]) (c.podTrust ??= {})[k] = rootCA(c);
      c.caCert = cert;
      c.caKey = key;
      c.rootCA = root;
      const id = caCertHash(cert);
      if (id !== c.id && !(c.caIds ?? []).includes(id)) c.caIds = [...(c.caIds ?? []), id];
    }
  }
}

/** The API servers' loaded trust (members that recorded one). */
export const loadedApiServers = (c: Cluster): LoadedApiServer[] =>
  Object.values(c.controlPlane).flatMap((m) => (m.apiServerTrust ? [m.apiServerTrust] : []));

/**
 * Why a client with this CA bundle and client certificate cannot talk to every API server of the cluster (it may be
 * sent to any of them), or undefined. Without a recorded load, the cluster CA of the state decides (as before).
 */
export function clientRefused(c: Cluster, caBundle: string | undefined, cert: string | undefined): 'serving' | 'client' | undefined {
  const loaded = loadedApiServers(c);
  if (!loaded.length) return bundleTrusts(c.caCert, cert) ? undefined : 'client';
  if (loaded.some((a) => !bundleTrusts(caBundle, a.serving))) return 'serving';
  if (loaded.some((a) => !bundleTrusts(a.clientCA, cert))) return 'client';
  return undefined;
}

/** The bundle pods mount as kube-root-ca.crt: the controller-manager's --root-ca-file. */
export const rootCA = (c: Cluster): string => c.rootCA ?? c.caCert;

/** The API server's other TLS files at its start: etcd's CA and its etcd client certificate, the front-proxy pair. */
function apiServerSideFiles(manifest: string): Omit<LoadedApiServer, 'since' | 'clientCA' | 'serving'> {
  const file = (flag: string) => readText(flagOf(manifest, flag) ?? '') ?? undefined;
  return {
    etcdCA: file('etcd-cafile'),
    etcdClient: file('etcd-certfile'),
    proxyCA: file('requestheader-client-ca-file'),
    proxyClient: file('proxy-client-cert-file'),
  };
}

/** What the member's etcd read at its last start: --trusted-ca-file (clients it accepts) and --cert-file (serving). */
function recordLoadedEtcd(m: ControlPlaneMember): void {
  const etcd = started('etcd');
  if (!etcd || m.etcdTrust?.since === etcd.since) return;
  const clientCA = readText(flagOf(etcd.manifest, 'trusted-ca-file') ?? '') ?? '';
  const serving = readText(flagOf(etcd.manifest, 'cert-file') ?? '') ?? '';
  if (clientCA && serving) m.etcdTrust = { since: etcd.since, clientCA, serving };
}

/**
 * Why this member's API server cannot use its etcd (kubeadm's stacked etcd: --etcd-servers=https://127.0.0.1:2379,
 * the member's own), or undefined: etcd's serving certificate must chain to the API server's --etcd-cafile and the
 * API server's --etcd-certfile to etcd's --trusted-ca-file, as loaded at their last starts. Without etcd the API
 * server does not serve: it exits at start, and a running one fails its etcd liveness check and is restarted into that.
 */
export function etcdLinkProblem(m: ControlPlaneMember): string | undefined {
  const api = m.apiServerTrust;
  const etcd = m.etcdTrust;
  if (!api?.etcdCA || !etcd) return undefined;
  if (!bundleTrusts(api.etcdCA, etcd.serving)) return `etcd's serving certificate: ${UNKNOWN_AUTHORITY}`;
  if (!bundleTrusts(etcd.clientCA, api.etcdClient)) return `the API server's etcd client certificate: ${UNKNOWN_AUTHORITY}`;
  return undefined;
}

const EXTENSION_AUTH = 'ConfigMap/kube-system/extension-apiserver-authentication';
const HEADERS = {
  'requestheader-allowed-names': '["front-proxy-client"]',
  'requestheader-extra-headers-prefix': '["X-Remote-Extra-"]',
  'requestheader-group-headers': '["X-Remote-Group"]',
  'requestheader-uid-headers': 'null',
  'requestheader-username-headers': '["X-Remote-User"]',
};

/** The certificates of the bundles, each once, without those expired more than five minutes ago (filterExpiredCerts). */
const unionPem = (...bundles: (string | undefined)[]) =>
  [...new Set(bundles.flatMap(certificatesOf))].filter((c) => certInfo(c).notAfter > now() - 5 * 60e3).join('');

/**
 * The extension-apiserver-authentication ConfigMap of kube-system as the API servers publish it (kube-apiserver's
 * cluster_authentication_trust_controller): their --client-ca-file and --requestheader-client-ca-file, which
 * aggregated API servers use to verify clients and the front-proxy client. `stored`: what the ConfigMap already holds —
 * the controller COMBINES it with its own files (unexpired certificates are kept), so a CA removed from the files stays
 * published until the ConfigMap is deleted (the API servers then write it again from their files).
 */
export function extensionAuthentication(c: Cluster, stored?: Record<string, string>): Record<string, string> | undefined {
  const loaded = loadedApiServers(c);
  if (!loaded.length) return undefined;
  return {
    'client-ca-file': unionPem(stored?.['client-ca-file'], ...loaded.map((a) => a.clientCA)),
    'requestheader-client-ca-file': unionPem(stored?.['requestheader-client-ca-file'], ...loaded.map((a) => a.proxyCA)),
    ...HEADERS,
  };
}

/** An API server started: it writes the ConfigMap, combined with what is stored. */
function publishExtensionAuthentication(c: Cluster): void {
  const stored = (c.objects[EXTENSION_AUTH] as { data?: Record<string, string> } | undefined)?.data;
  const data = extensionAuthentication(c, stored);
  if (!data) return;
  const metadata = { name: 'extension-apiserver-authentication', namespace: 'kube-system' };
  c.objects[EXTENSION_AUTH] = { apiVersion: 'v1', kind: 'ConfigMap', metadata, data };
}
