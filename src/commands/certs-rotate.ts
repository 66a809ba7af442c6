/**
 * `kubesmith certs rotate-ca -i FILE [--ca cluster|front-proxy|etcd ...] [--plan] [--yes]` and `kubesmith plan
 * certs-rotate-ca`: where a rotation of each chosen CA stands (read from the nodes' certificates), every step still to
 * do, and — with --yes — the rotations themselves, one CA after the other (etcd, front-proxy, cluster:
 * playbooks/certs-rotate-cp-ca.yaml, then playbooks/certs-rotate-ca.yaml). Without --yes it only shows the plan and
 * changes nothing (exit 2).
 */
import { join, resolve } from 'node:path';
import { certFingerprint, nodeStage, planRotation, rotationCas, type NodeCaFacts, type RotationStep } from '../certs/ca-rotation.js';
import type { CommandContext } from '../cli/context.js';
import { stampOf } from '../engine/stamp.js';
import type { CertsRunOptions } from '../tasks/certs/options.js';
import { readCaFacts } from '../tasks/certs/rotate-facts.js';
import { executePlaybook } from './run-playbook.js';
import { formatCpPlan, readCpFacts, rotateCpCa } from './certs-rotate-cp.js';
import { selectedCas, type RotatedCa } from './certs-rotate-select.js';

async function readFacts(ctx: CommandContext): Promise<NodeCaFacts[]> {
  const { hosts, connect, inventory } = await ctx.cluster();
  const pool = connect();
  const serving = inventory.spec.kubelet.serverTLSBootstrap === true;
  try {
    const ordered = [...hosts.controlPlanes, ...hosts.all.filter((h) => !h.isControlPlane)];
    return await Promise.all(ordered.map(async (h) => readCaFacts(await pool.get(h), h, serving)));
  } finally {
    await pool.closeAll();
  }
}

/** The plan as text: each node's stage, then the numbered steps. */
export function formatRotationPlan(nodes: readonly NodeCaFacts[], steps: readonly RotationStep[]): string {
  const cas = rotationCas(nodes[0]!);
  const head = cas
    ? `A rotation of the cluster CA is under way: ${certFingerprint(cas.old).slice(0, 16)}… → ${certFingerprint(cas.new).slice(0, 16)}…\n` +
      nodes.map((n) => `  ${n.node}: ${nodeStage(n, cas)}\n`).join('')
    : `No rotation under way: the cluster CA is ${certFingerprint(nodes[0]!.bundle[0] ?? '').slice(0, 16)}… on ${nodes[0]!.node}; a new one will be made.\n`;
  return `${head}Steps:\n${steps.map((s, i) => `  ${String(i + 1).padStart(2)}. ${s.summary}\n`).join('')}`;
}

/** The cluster CA's plan: text, or one JSON line. */
async function planClusterCa(ctx: CommandContext): Promise<void> {
  const nodes = await readFacts(ctx);
  const steps = planRotation(nodes);
  if (ctx.flags.output === 'json') {
    const cas = rotationCas(nodes[0]!);
    const stages = nodes.map((n) => ({ node: n.node, stage: cas ? nodeStage(n, cas) : 'old' }));
    ctx.out.stdout.write(
      JSON.stringify({ type: 'certs.rotate-ca.plan', ca: 'cluster', underway: Boolean(cas), nodes: stages, steps }) + '\n',
    );
  } else ctx.out.stdout.write(formatRotationPlan(nodes, steps));
}

/** Print the plan of every chosen CA (text or JSON), in the order they rotate; nothing is changed. */
export async function planRotateCa(ctx: CommandContext, cas: readonly RotatedCa[] = selectedCas(ctx.values.ca)): Promise<number> {
  for (const ca of cas) {
    if (ca === 'cluster') await planClusterCa(ctx);
    else ctx.out.stdout.write(formatCpPlan(ctx, ca, await readCpFacts(ctx, ca)));
  }
  return 0;
}

/** The rotation itself (with --yes), or its plan. Returns the exit code; `verify` prints `certs check` afterwards. */
export async function rotateCa(
  ctx: CommandContext,
  opts: Omit<CertsRunOptions, 'stamp' | 'localBackupDir' | 'states'>,
  verify: () => Promise<number>,
): Promise<number> {
  const cas = selectedCas(ctx.values.ca);
  await planRotateCa(ctx, cas);
  if (ctx.values.plan === true) return 0;
  if (!ctx.flags.yes) {
    ctx.out.stderr.write(
      `kubesmith certs rotate-ca: nothing was changed. This replaces the ${cas.join(', ')} CA${cas.length > 1 ? 's' : ''} and restarts the nodes one at a time; run again with --yes to do it.\n`,
    );
    return 2;
  }
  for (const ca of cas) if (ca !== 'cluster' && !(await rotateCpCa(ctx, ca, opts))) return 1;
  if (!cas.includes('cluster')) {
    ctx.out.stdout.write('\nVerification (same as certs check):\n');
    return (await verify()) >= 2 ? 1 : 0;
  }
  return rotateClusterCa(ctx, opts, verify);
}

/** The cluster CA's rotation (playbooks/certs-rotate-ca.yaml). */
async function rotateClusterCa(
  ctx: CommandContext,
  opts: Omit<CertsRunOptions, 'stamp' | 'localBackupDir' | 'states'>,
  verify: () => Promise<number>,
): Promise<number> {
  const { adminDir } = await ctx.cluster();
  const stamp = stampOf(ctx.now());
  const certs: CertsRunOptions = { ...opts, stamp, localBackupDir: join(adminDir, 'backups', stamp), states: new Map() };
  const out = ctx.values['kubeconfig-out'];
  const kubeconfigOut = typeof out === 'string' ? resolve(ctx.cwd, out) : join(adminDir, 'admin.conf');
  const { code } = await executePlaybook(ctx, { playbook: 'certs-rotate-ca', dryRun: false, options: { certs, kubeconfigOut } });
  const states = [...certs.states].map(([node, state]) => `  ${node}: ${state}`).join('\n');
  ctx.out.stdout.write(`\nNodes after certs rotate-ca:\n${states || '  (no node changed)'}\n`);
  ctx.out.stdout.write(`Backups: /var/backups/kubesmith/${stamp}/ on each node; copies in ${certs.localBackupDir}\n`);
  if (code !== 0) {
    ctx.out.stdout.write(
      'The rotation stopped; every node still trusts the CAs it needs. Run it again to continue from where it stands.\n',
    );
    return 1;
  }
  ctx.out.stdout.write('\nVerification (same as certs check):\n');
  return (await verify()) >= 2 ? 1 : 0;
}
