/**
 * Certs | Let a kubelet make a new self-signed serving certificate when its own expired (or is about to).
 * Without serverTLSBootstrap or a tlsCertFile, the kubelet writes /var/lib/kubelet/pki/kubelet.crt (its serving
 * certificate and the throwaway "<host>-ca@<time>" that signed it, one year) only when the file cannot be read, and
 * keeps serving an expired one (kubernetes cmd/kubelet/app/server.go, InitializeTLS: certutil.CanReadCertAndKey, else
 * GenerateSelfSignedCertKey). kubeadm's renewal does not touch it. certs.backup archived the node's kubelet PKI first;
 * this removes the two files and restarts the kubelet, which writes new ones. A serving certificate the cluster CA
 * signed (serverTLSBootstrap) is the kubelet's rotation and certs.kubelet-serving's business, not this task's.
 */
import { KUBELET_SERVING_CRT, PKI_DIR } from '../../certs/catalog.js';
import { expiryProblem, KUBELET_RENEW_DAYS, pemCertificates, signedBy } from '../../certs/x509.js';
import { sh } from '../../transport/command.js';
import { lookups, read, run } from '../../transport/lookups.js';
import { action, defineTask } from '../common/define.js';

const KUBELET_SERVING_KEY = KUBELET_SERVING_CRT.replace(/\.crt$/, '.key');

/** Why the kubelet's own serving certificate must be made again at `now`, or undefined when it need not. */
export function selfSignedServingProblem(crtPem: string | null, caPem: string | null, now: Date): string | undefined {
  const leaf = crtPem ? pemCertificates(crtPem)[0] : undefined;
  if (!leaf || (caPem && signedBy(leaf, caPem))) return undefined;
  return expiryProblem(leaf, now, KUBELET_RENEW_DAYS);
}

export const certsKubeletSelfSigned = defineTask({
  id: 'certs.kubelet-self-signed',
  title: 'Certs | Have the kubelet make a new self-signed serving certificate when its own expired',
  changesStayOnHost: true,
  async plan(ctx) {
    const t = ctx.transport;
    const [crt, ca, date] = await lookups(t, [read(KUBELET_SERVING_CRT), read(`${PKI_DIR}/ca.crt`), run(['date', '+%s'])]);
    const now = new Date(Number(date.stdout.trim()) * 1000 || Date.now());
    const problem = selfSignedServingProblem(crt, ca, now);
    if (!problem) return [];
    return [
      action(`remove the kubelet's self-signed serving certificate (${problem}) and restart the kubelet to make a new one`, async () => {
        await t.exec(sh`rm -f ${KUBELET_SERVING_CRT} ${KUBELET_SERVING_KEY} && systemctl restart kubelet`);
      }),
    ];
  },
  async verify(ctx) {
    for (let i = 0; i < 60; i++) {
      const r = await ctx.transport.exec(['test', '-s', KUBELET_SERVING_CRT], { allowFailure: true });
      if (r.code === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    throw new Error(`the kubelet wrote no new ${KUBELET_SERVING_CRT} within 60 s after its restart (journalctl -u kubelet)`);
  },
});
