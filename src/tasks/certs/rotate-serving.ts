/**
 * Certs | During a cluster CA rotation, give this node's kubelet a serving certificate from the new CA
 * (spec.kubelet.serverTLSBootstrap). The kubelet keeps a valid serving pair whatever CA signed it (client-go
 * util/certificate/certificate_manager.go rotates at 70–90% of its lifetime, or when it has none), so the rotation
 * asks as operators do: the pair (kubelet-server-current.pem and the dated file it points to) moves into this run's
 * backup, the kubelet restarts and requests a new one, kubesmith's approver approves the node's request only when it
 * matches the inventory (src/certs/csr-approver.ts), and the step waits for the new certificate and a Ready node.
 * It runs after every control plane signs with the new CA, one node at a time. A certificate already signed by the
 * new CA is left alone, so a re-run continues from the files.
 */
import { nodeStage, ORDER, rotationCas, servingOwed, SERVING_STEP } from '../../certs/ca-rotation.js';
import { judgeCsr, parseCsrList } from '../../certs/csr-approver.js';
import { signedBy } from '../../certs/x509.js';
import type { TaskContext } from '../../engine/types.js';
import { sh } from '../../transport/command.js';
import { controlPlaneTransport, kubectl } from '../common/cluster.js';
import { action, defineTask } from '../common/define.js';
import { BACKUP_ROOT, certsOptions } from './options.js';
import { clusterCaFacts, SERVING_CURRENT, servingCertScript } from './rotate-facts.js';
import { waitReady } from './rotate-node.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Move the serving pair (the link and the dated file it names) into `dir`; nothing to move is fine. */
export const moveServingAside = (dir: string) =>
  sh`set -e; f=${SERVING_CURRENT}; mkdir -p -m 0700 ${dir}; chmod 0700 ${dir}
t=$(readlink -f "$f" 2>/dev/null || true)
if [ -n "$t" ] && [ -f "$t" ] && [ "$t" != "$f" ]; then mv "$t" ${dir}/; fi
if [ -e "$f" ] || [ -L "$f" ]; then mv "$f" ${dir}/; fi`;

/**
 * Approve this node's pending serving requests that match the inventory (the approver's checks, never blanket);
 * returns the refused ones' reasons (any node's: a refused request names no trustworthy node).
 */
async function approveOwn(ctx: TaskContext): Promise<string[]> {
  const t = controlPlaneTransport(ctx);
  const list = parseCsrList((await t.exec(kubectl('get', 'csr', '-o', 'json'), { timeoutMs: 60_000 })).stdout);
  const refused: string[] = [];
  for (const v of list.map((csr) => judgeCsr(csr, ctx.inventory.spec.hosts))) {
    if (v.decision === 'approve' && v.host === ctx.host.name)
      await t.exec(kubectl('certificate', 'approve', v.name), { timeoutMs: 60_000 });
    if (v.decision === 'refuse') refused.push(`${v.name}: ${v.reason}`);
  }
  return refused;
}

/** Approve and wait until the node's serving certificate is the new CA's (health timeout). */
async function waitNewServing(ctx: TaskContext, newCa: string): Promise<void> {
  const o = certsOptions(ctx);
  const deadline = Date.now() + o.healthTimeoutSeconds * 1000;
  for (;;) {
    const refused = await approveOwn(ctx);
    const pem = (await ctx.transport.exec(servingCertScript())).stdout.trim();
    if (pem && signedBy(pem, newCa)) return;
    if (Date.now() >= deadline) {
      const left = refused.length ? `; left pending, not matching the inventory: ${refused.join('; ')}` : '';
      throw new Error(
        `${ctx.host.name}: no serving certificate from the new CA ${o.healthTimeoutSeconds}s after the kubelet restarted (\`kubectl get csr\`: is its request pending or denied?)${left}`,
      );
    }
    await sleep(2000);
  }
}

/** What to do on this node: undefined = nothing; unknown/blocked as the other rotation steps say it. */
async function decide(ctx: TaskContext) {
  const nodes = await clusterCaFacts(ctx);
  const cas = rotationCas(nodes[0]!);
  if (!cas) return { unknown: 'the new CA exists once certs.rotate-generate ran' } as const;
  const me = nodes.find((n) => n.node === ctx.host.name)!;
  if (!servingOwed(me, cas)) return undefined;
  // the controller-managers sign kubelet-serving requests with ca.crt's first certificate and ca.key
  const blocked = nodes
    .filter((n) => n.controlPlane && ORDER.indexOf(nodeStage(n, cas)) < ORDER.indexOf('signing'))
    .map((n) => `${n.node} (${nodeStage(n, cas)})`);
  return { cas, blocked };
}

export const certsRotateServing = defineTask({
  id: 'certs.rotate-serving',
  title: "Certs | Re-issue this node's kubelet serving certificate from the new cluster CA",
  skip: (ctx) => !ctx.inventory.spec.kubelet.serverTLSBootstrap && 'spec.kubelet.serverTLSBootstrap is off',
  async plan(ctx) {
    const d = await decide(ctx);
    if (!d) return [];
    const change = { summary: SERVING_STEP };
    if ('unknown' in d) return { unknown: d.unknown, changes: [change] };
    if (d.blocked.length) {
      const waiting = `the control planes sign with the new CA first: ${d.blocked.join(', ')}`;
      if (ctx.dryRun) return { unknown: waiting, changes: [change] };
      throw new Error(`cannot re-issue ${ctx.host.name}'s kubelet serving certificate yet: ${waiting}`);
    }
    const o = certsOptions(ctx);
    return [
      action(SERVING_STEP, async () => {
        o.states.set(ctx.host.name, 'kubelet serving certificate from the new CA…');
        await ctx.transport.exec(moveServingAside(`${BACKUP_ROOT}/${o.stamp}/kubelet-serving`));
        await ctx.transport.exec(['systemctl', 'restart', 'kubelet'], { timeoutMs: 120_000 });
        await waitNewServing(ctx, d.cas.new);
        await waitReady(ctx);
        o.states.set(ctx.host.name, 'kubelet serving certificate from the new CA; healthy');
      }),
    ];
  },
});
