/**
 * Certs | After a CA rotation: the extension-apiserver-authentication ConfigMap of kube-system, which aggregated API
 * servers (metrics-server, …) read to verify their clients (client-ca-file) and the front-proxy client
 * (requestheader-client-ca-file). Each API server writes it COMBINED with what it already holds (kube-apiserver's
 * cluster_authentication_trust_controller keeps every unexpired certificate found there), so a CA removed from the
 * files stays trusted there. Once every API server trusts the new CAs only, the ConfigMap is deleted and the API
 * servers write it again from their files (their controller watches it); the task waits until it is back and clean.
 */
import { pemCertificates } from '../../certs/x509.js';
import { certFingerprint } from '../../certs/ca-rotation.js';
import { PKI_DIR } from '../../certs/catalog.js';
import type { Task, TaskContext } from '../../engine/types.js';
import { controlPlaneTransport, kubectl } from '../common/cluster.js';
import { certsOptions } from './options.js';

const NAME = 'extension-apiserver-authentication';
/** ConfigMap key → the API server's file it publishes (kubeadm's flags). */
const PUBLISHED: Record<string, string> = {
  'client-ca-file': `${PKI_DIR}/ca.crt`,
  'requestheader-client-ca-file': `${PKI_DIR}/front-proxy-ca.crt`,
};

const fps = (pem: string) => pemCertificates(pem).map(certFingerprint);

/** Certificates the ConfigMap publishes that no control plane's file holds (undefined: the ConfigMap is absent). */
async function stale(ctx: TaskContext): Promise<number | undefined> {
  const r = await controlPlaneTransport(ctx).exec(kubectl('get', 'configmap', NAME, '-n', 'kube-system', '-o', 'json'), {
    allowFailure: true,
    timeoutMs: 60_000,
  });
  if (r.code !== 0) return undefined;
  const data = (JSON.parse(r.stdout) as { data?: Record<string, string> }).data ?? {};
  let extra = 0;
  for (const [key, file] of Object.entries(PUBLISHED)) {
    const files = await Promise.all(ctx.hosts.controlPlanes.map(async (h) => (await ctx.transportFor(h).readFile(file))?.toString() ?? ''));
    const current = new Set(files.flatMap(fps));
    extra += fps(data[key] ?? '').filter((fp) => !current.has(fp)).length;
  }
  return extra;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export const certsRotateExtensionAuth: Task = {
  id: 'certs.rotate-extension-auth',
  title: 'Certs | Re-publish extension-apiserver-authentication without the CAs the API servers no longer trust',
  async check(ctx) {
    const extra = await stale(ctx);
    if (!extra) return { status: 'ok' };
    return {
      status: 'change',
      changes: [
        {
          summary: `delete ConfigMap kube-system/${NAME} (it still publishes ${extra} CA certificate(s) no API server's file holds); the API servers write it again from their files`,
        },
      ],
    };
  },
  async apply(ctx) {
    const t = controlPlaneTransport(ctx);
    if (!(await stale(ctx))) return;
    await t.exec(kubectl('delete', 'configmap', NAME, '-n', 'kube-system', '--ignore-not-found'), { timeoutMs: 60_000 });
    const deadline = Date.now() + certsOptions(ctx).healthTimeoutSeconds * 1000;
    for (;;) {
      const extra = await stale(ctx);
      if (extra === 0) return;
      if (Date.now() >= deadline)
        throw new Error(
          extra === undefined
            ? `the API servers did not write ConfigMap kube-system/${NAME} again`
            : `ConfigMap kube-system/${NAME} still publishes ${extra} CA certificate(s) no API server's file holds`,
        );
      await sleep(2000);
    }
  },
};
