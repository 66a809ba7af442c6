// The kubelet's own serving certificate, as a real kubelet makes it at start when its configuration names no
// tlsCertFile and serverTLSBootstrap is off (kubernetes cmd/kubelet/app/server.go InitializeTLS, which calls
// client-go util/cert GenerateSelfSignedCertKeyWithFixtures): a throwaway CA "<host>-ca@<unix time>" and a
// serverAuth certificate "<host>@<unix time>" for the host name, both RSA-2048, valid from an hour ago for one
// year ("one year self-signed certs"); /var/lib/kubelet/pki/kubelet.crt holds the certificate then the CA,
// kubelet.key the certificate's key (0600). Existing files are kept, as the kubelet keeps them.
// Run by the kubelet.service start hook (units/kubelet.service.start) as lab-kubelet-serving; not a kubelet command.
import { hostname } from 'node:os';
import { exists, now, readText, writeText } from './lab.js';
import { generateKey, signCert } from './pki.js';

const HOUR = 3600e3;
const YEAR = 365 * 24 * HOUR;
export const SERVING_CRT = '/var/lib/kubelet/pki/kubelet.crt';
export const SERVING_KEY = '/var/lib/kubelet/pki/kubelet.key';

export function selfSignedServing(host: string, at: number): { cert: string; key: string } {
  const validFrom = at - HOUR;
  const unix = Math.floor(at / 1000);
  const isIp = /^\d+\.\d+\.\d+\.\d+$/.test(host) || host.includes(':');
  const caKey = generateKey('RSA-2048');
  const ca = signCert({ cn: `${host}-ca@${unix}`, isCA: true, notBefore: validFrom, notAfter: validFrom + YEAR }, caKey);
  const key = generateKey('RSA-2048');
  const leaf = signCert(
    {
      cn: `${host}@${unix}`,
      usages: ['server'],
      ...(isIp ? { ips: [host] } : { dnsNames: [host] }),
      notBefore: validFrom,
      notAfter: validFrom + YEAR,
    },
    key,
    { key: caKey, cert: ca },
  );
  return { cert: leaf + ca, key };
}

/** Write the pair unless the kubelet already has one (it never replaces a readable pair). */
export function ensureServing(host = hostname()): boolean {
  if (exists(SERVING_CRT) && readText(SERVING_KEY)) return false;
  const { cert, key } = selfSignedServing(host, now());
  writeText(SERVING_KEY, key, 0o600);
  writeText(SERVING_CRT, cert);
  return true;
}

if (process.argv[1]?.endsWith('kubelet-serving.js')) ensureServing();
