/**
 * Certs | Approve the kubelets' serving certificate requests that match the inventory (spec.kubelet.serverTLSBootstrap).
 * Lists the CSRs on the first control plane, approves (`kubectl certificate approve NAME`) each pending
 * kubernetes.io/kubelet-serving request whose node, subject, DNS names and IPs are one inventory host's
 * (src/certs/csr-approver.ts), and leaves every other pending serving request alone: those fail this (non-critical)
 * step by name and reason, so an operator sees them, on every run until someone denies or deletes them.
 */
import type { TaskContext } from '../../engine/types.js';
import { type CsrVerdict, judgeCsr, parseCsrList } from '../../certs/csr-approver.js';
import { action, defineTask } from '../common/define.js';
import { controlPlaneTransport, kubectl, requireCluster } from '../common/cluster.js';

async function verdicts(ctx: TaskContext): Promise<CsrVerdict[]> {
  const res = await controlPlaneTransport(ctx).exec(kubectl('get', 'csr', '-o', 'json'), { timeoutMs: 60_000 });
  return parseCsrList(res.stdout).map((csr) => judgeCsr(csr, ctx.inventory.spec.hosts));
}

/** The refused requests as one error, or undefined when there are none. */
export function refusedError(all: CsrVerdict[]): Error | undefined {
  const refused = all.filter((v) => v.decision === 'refuse');
  if (!refused.length) return undefined;
  const lines = refused.map((v) => `  ${v.name}: ${'reason' in v ? v.reason : ''}`);
  return new Error(
    `kubelet serving CSRs left pending (they do not match the inventory; check them, then \`kubectl certificate deny NAME\`):\n${lines.join('\n')}`,
  );
}

export const certsKubeletServing = defineTask({
  id: 'certs.kubelet-serving',
  title: "Certs | Approve the kubelets' serving certificate requests that match the inventory",
  skip: (ctx) => !ctx.inventory.spec.kubelet.serverTLSBootstrap && 'spec.kubelet.serverTLSBootstrap is off',
  async plan(ctx) {
    const missing = await requireCluster(ctx);
    if (missing) return missing;
    const all = await verdicts(ctx);
    const approve = all.filter((v) => v.decision === 'approve');
    const refused = refusedError(all);
    if (refused && !approve.length) throw refused;
    const t = controlPlaneTransport(ctx);
    return approve.map((v) =>
      action(
        `approve kubelet serving CSR ${v.name} of ${'host' in v ? v.host : ''}`,
        async () => void (await t.exec(kubectl('certificate', 'approve', v.name), { timeoutMs: 60_000 })),
      ),
    );
  },
  async verify(ctx) {
    const refused = refusedError(await verdicts(ctx));
    if (refused) throw refused;
  },
});
