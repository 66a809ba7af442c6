// The kubelet's client identity on the lab clock: whether kubelet.conf's certificate still lets it talk to the API,
// and the TLS bootstrap a (re)starting kubelet does when it does not, as kubelet's pkg/kubelet/certificate/bootstrap
// LoadClientCert does: a still-valid kubelet.conf is kept; otherwise /etc/kubernetes/bootstrap-kubelet.conf's token
// requests a new certificate (same private key when the old PEM holds one), kubeadm's RBAC auto-approves the CSR of
// the system:bootstrappers:kubeadm:default-node-token group and the controller-manager signs it for a year
// (--cluster-signing-duration 8760h), and kubelet.conf is rewritten to point at kubelet-client-current.pem.
// Without a bootstrap kubeconfig the real kubelet exits; the messages below are the real ones
// (bootstrap.go: "part of the existing bootstrap client certificate in %s is expired: %v"; server.go: "unable to load
// bootstrap kubeconfig: stat %s: no such file or directory"), as seen in field logs of kubelet 1.30.
import { readlinkSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import type { Cluster } from './cluster-state.js';
import { exists, hostPath, now, readText, writeText } from './lab.js';
import { kubeconfigYaml, parseKubeconfig } from './kubeadm-pki.js';
import { certInfo, generateKey, signCert } from './pki.js';
import { clientRefused, UNKNOWN_AUTHORITY } from './trust.js';

export const KUBELET_KUBECONFIG = '/etc/kubernetes/kubelet.conf';
export const BOOTSTRAP_KUBECONFIG = '/etc/kubernetes/bootstrap-kubelet.conf';
const PKI = '/var/lib/kubelet/pki';
const CURRENT = `${PKI}/kubelet-client-current.pem`;
const YEAR_MS = 365 * 24 * 3600 * 1000;

/** "2026-12-07 16:02:27 +0000 UTC" (Go's time.Time String()). */
const goTime = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' +0000 UTC');

export interface ClientState {
  /** notAfter of kubelet.conf's client certificate (ms), undefined when there is none. */
  notAfter?: number;
  /** Signed by this cluster's CA and inside its validity on this host's clock. */
  valid: boolean;
  /** Why it is not valid, in the kubelet's words. */
  problem?: string;
}

/** kubelet.conf's client certificate judged at this host's (lab) clock. */
export function clientState(c: Cluster): ClientState {
  const text = readText(KUBELET_KUBECONFIG);
  if (!text) return { valid: false, problem: `stat ${KUBELET_KUBECONFIG}: no such file or directory` };
  let cert: string | undefined;
  let caBundle: string | undefined;
  try {
    ({ cert, caCert: caBundle } = parseKubeconfig(text));
  } catch {
    cert = undefined;
  }
  if (!cert)
    return { valid: false, problem: `unable to read TLS certificates from existing bootstrap client config ${KUBELET_KUBECONFIG}` };
  const info = certInfo(cert);
  if (now() > info.notAfter)
    return {
      notAfter: info.notAfter,
      valid: false,
      problem: `part of the existing bootstrap client certificate in ${KUBELET_KUBECONFIG} is expired: ${goTime(info.notAfter)}`,
    };
  // the API servers it may reach must accept its certificate, and its kubelet.conf CA must verify theirs (trust.ts)
  if (clientRefused(c, caBundle, cert)) return { notAfter: info.notAfter, valid: false, problem: UNKNOWN_AUTHORITY };
  return { notAfter: info.notAfter, valid: true };
}

/** An API server of the cluster whose serving certificate is valid now (the kubelet verifies it). */
const apiAnswers = (c: Cluster): boolean => Object.values(c.controlPlane).some((m) => m.apiserverNotAfter > now());

/** The key of the kubelet's current client PEM (the certificate store's Current()), when there is one. */
function currentKey(): string | undefined {
  const pem = readText(CURRENT);
  return /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]+?-----END [A-Z ]*PRIVATE KEY-----\n?/.exec(pem ?? '')?.[0];
}

/**
 * TLS bootstrap with bootstrap-kubelet.conf's token. Returns undefined on success, else the kubelet's error line.
 * `nodeName` is the Node the kubelet registers as (system:node:<name>).
 */
export function tlsBootstrap(c: Cluster, nodeName: string): string | undefined {
  const text = readText(BOOTSTRAP_KUBECONFIG);
  if (!text) return `failed to run Kubelet: unable to load bootstrap kubeconfig: stat ${BOOTSTRAP_KUBECONFIG}: no such file or directory`;
  const token = /^\s*token:\s*"?([a-z0-9]{6})\.([a-z0-9]{16})"?\s*$/m.exec(text);
  const server = /^\s*server:\s*(\S+)\s*$/m.exec(text)?.[1];
  if (!token || !server) return `failed to run Kubelet: invalid bootstrap kubeconfig ${BOOTSTRAP_KUBECONFIG}`;
  if (!apiAnswers(c))
    return `failed to run Kubelet: unable to load bootstrap kubeconfig: x509: certificate has expired or is not yet valid`;
  const t = c.tokens[token[1]!];
  const ok =
    t &&
    t.secret === token[2] &&
    (t.expires === null || t.expires > now()) &&
    t.usages.includes('authentication') &&
    t.groups.includes('system:bootstrappers:kubeadm:default-node-token');
  if (!ok) return 'failed to run Kubelet: cannot create certificate signing request: Unauthorized';
  const key = currentKey() ?? generateKey();
  const t0 = now();
  const cert = signCert(
    {
      cn: `system:node:${nodeName}`,
      orgs: ['system:nodes'],
      usages: ['client'],
      notBefore: t0 - 5 * 60_000,
      notAfter: Math.min(t0 + YEAR_MS, certInfo(c.caCert).notAfter),
    },
    key,
    { cert: c.caCert, key: c.caKey },
  );
  const stamp = new Date(t0).toISOString().slice(0, 19).replace(/[T:]/g, '-');
  const file = `${PKI}/kubelet-client-${stamp}.pem`;
  writeText(file, cert + key, 0o600);
  const link = hostPath(`${CURRENT}.tmp`);
  rmSync(link, { force: true });
  symlinkSync(file.slice(PKI.length + 1), link); // relative, so it resolves under LAB_FS_ROOT too
  renameSync(link, hostPath(CURRENT));
  // the kubelet keeps the bootstrap kubeconfig's CA data (kubelet's bootstrap.go writeKubeconfigFromBootstrapping)
  const caData = /^\s*certificate-authority-data:\s*(\S+)\s*$/m.exec(text)?.[1];
  const ca = caData ? Buffer.from(caData, 'base64').toString() : c.caCert;
  writeText(
    KUBELET_KUBECONFIG,
    kubeconfigYaml('default-cluster', server, ca, 'default-auth', { certFile: CURRENT, keyFile: CURRENT }, 'default-context'),
    0o600,
  );
  return undefined;
}

/** Where kubelet-client-current.pem points (for tests and the journal). */
export const currentClientFile = (): string | undefined => (exists(CURRENT) ? readlinkSync(hostPath(CURRENT)) : undefined);
