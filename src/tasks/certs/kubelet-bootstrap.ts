/**
 * Certs | Give a worker's kubelet a new client certificate when its own expired (or is about to, or another CA signed
 * it). Once expired the kubelet cannot rotate it (rotation authenticates with the old certificate) and exits at its
 * next start: "part of the existing bootstrap client certificate in /etc/kubernetes/kubelet.conf is expired" then
 * "unable to load bootstrap kubeconfig: stat /etc/kubernetes/bootstrap-kubelet.conf". kubeadm removed that file after
 * the join. This task puts it back for one start, exactly as `kubeadm join` does: a fresh bootstrap token (made on the
 * first control plane, 1 h TTL, reaching hosts only in 0600 files), bootstrap-kubelet.conf (0600), a kubelet restart
 * — the kubelet then does its TLS bootstrap, the cluster signs its CSR (kubeadm's auto-approval of the
 * default-node-token group) and it writes kubelet.conf pointing at the rotating kubelet-client-current.pem — and the
 * bootstrap file is removed again. No private key leaves the node. Runs after the control planes were renewed: the
 * bootstrap needs the API. The node's files were archived by certs.backup first.
 */
import type { Task, TaskContext } from '../../engine/types.js';
import { KUBE_DIR } from '../../certs/catalog.js';
import { expiryProblem, KUBELET_RENEW_DAYS, pemCertificates, signedBy } from '../../certs/x509.js';
import { derived } from '../../inventory/derived.js';
import { CA_CERT, clusterNodes, controlPlaneTransport, joinMaterial } from '../common/cluster.js';
import { readNodeCerts } from './read.js';
import { backupFile, certsOptions } from './options.js';

export const BOOTSTRAP_KUBECONFIG = `${KUBE_DIR}/bootstrap-kubelet.conf`;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The kubeconfig `kubeadm join` writes for the TLS bootstrap (cluster "kubernetes", user tls-bootstrap-token-user). */
export function bootstrapKubeconfig(server: string, caPem: string, token: string): string {
  const ca = Buffer.from(caPem).toString('base64');
  return `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: ${ca}
    server: ${server}
  name: kubernetes
contexts:
- context:
    cluster: kubernetes
    user: tls-bootstrap-token-user
  name: tls-bootstrap-token-user@kubernetes
current-context: tls-bootstrap-token-user@kubernetes
kind: Config
preferences: {}
users:
- name: tls-bootstrap-token-user
  user:
    token: ${token}
`;
}

async function clusterCa(ctx: TaskContext): Promise<string> {
  const pem = await controlPlaneTransport(ctx).readFile(CA_CERT);
  if (!pem) throw new Error(`${ctx.hosts.firstControlPlane.name}: ${CA_CERT} not found`);
  return pem.toString('utf8');
}

/** Why this node's kubelet needs a new client certificate (judged at the node's clock), or undefined. */
export function kubeletClientProblem(pem: string | undefined, caPem: string, nowS: number): string | undefined {
  const cert = pemCertificates(pem ?? '')[0];
  if (!cert) return 'missing';
  if (!signedBy(cert, caPem)) return 'not signed by the cluster CA';
  return expiryProblem(cert, new Date(nowS * 1000), KUBELET_RENEW_DAYS);
}

async function inspect(ctx: TaskContext, caPem: string): Promise<{ problem?: string | undefined; server?: string | undefined }> {
  const c = await readNodeCerts(ctx.transport, false);
  const nowS = c.hostNow ?? Math.floor(Date.now() / 1000);
  return {
    problem: kubeletClientProblem(c.certs.get('kubelet-client')?.pem, caPem, nowS),
    server: c.kubeconfigs.get('kubelet.conf')?.lines.server,
  };
}

/** Poll `ok()` every 2 s until it returns undefined or `seconds` pass; the last reason otherwise. */
async function waitFor(seconds: number, ok: () => Promise<string | undefined>): Promise<string | undefined> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const why = await ok();
    if (!why || Date.now() >= deadline) return why;
    await sleep(2000);
  }
}

export async function rebootstrap(ctx: TaskContext, caPem: string, server: string): Promise<void> {
  const o = certsOptions(ctx);
  const { token } = await joinMaterial(ctx, false);
  await ctx.transport.writeFile(BOOTSTRAP_KUBECONFIG, bootstrapKubeconfig(server, caPem, token.reveal()), {
    mode: '0600',
    owner: 'root:root',
  });
  try {
    await ctx.transport.exec(['systemctl', 'restart', 'kubelet'], { timeoutMs: 120_000 });
    const left = await waitFor(o.healthTimeoutSeconds, async () => (await inspect(ctx, caPem)).problem);
    if (left)
      throw new Error(
        `the kubelet on ${ctx.host.name} did not get a new client certificate within ${o.healthTimeoutSeconds}s (still ${left})`,
      );
  } finally {
    await ctx.transport.exec(['rm', '-f', BOOTSTRAP_KUBECONFIG], { allowFailure: true });
  }
  const notReady = await waitFor(o.healthTimeoutSeconds, async () => {
    const node = (await clusterNodes(ctx))?.find((n) => n.name === ctx.host.name);
    return node?.ready ? undefined : (node?.detail ?? 'not seen by the API');
  });
  if (notReady)
    throw new Error(`node ${ctx.host.name} not Ready ${o.healthTimeoutSeconds}s after its kubelet's new certificate: ${notReady}`);
}

export const certsKubeletBootstrap: Task = {
  id: 'certs.kubelet-bootstrap',
  title: "Certs | Re-bootstrap a worker's kubelet whose client certificate expired",
  async check(ctx) {
    const { problem } = await inspect(ctx, await clusterCa(ctx));
    if (!problem) return { status: 'ok' };
    return {
      status: 'change',
      changes: [
        {
          summary: `kubelet client certificate ${problem}: fresh bootstrap token (1h), ${BOOTSTRAP_KUBECONFIG} (0600), restart kubelet, wait for its new certificate and the node Ready, remove the bootstrap file`,
        },
      ],
    };
  },
  async apply(ctx) {
    const o = certsOptions(ctx);
    const caPem = await clusterCa(ctx);
    const { problem, server } = await inspect(ctx, caPem);
    if (!problem) return;
    // where its kubelet talked to before; else where joining nodes reach the API
    const target = server ?? `https://${derived(ctx.inventory).apiServer.address}`;
    o.states.set(ctx.host.name, `kubelet client certificate ${problem}: re-bootstrapping…`);
    try {
      await rebootstrap(ctx, caPem, target);
      o.states.set(ctx.host.name, `done: kubelet re-bootstrapped (client certificate was ${problem}), node Ready`);
    } catch (err) {
      o.states.set(
        ctx.host.name,
        `FAILED re-bootstrapping the kubelet (${(err as Error).message.split('\n')[0]}); its previous files are in ${backupFile(o.stamp)}`,
      );
      throw err;
    }
  },
};
