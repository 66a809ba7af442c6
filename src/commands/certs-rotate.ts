/**
 * `kubesmith certs rotate-ca -i FILE [--plan] [--yes]` and `kubesmith plan certs-rotate-ca`: where a rotation of the
 * cluster CA stands (read from every node's certificates), every step still to do, and — with --yes — the rotation
 * itself (playbooks/certs-rotate-ca.yaml). Without --yes it only shows the plan and changes nothing (exit 2).
 */
import { join, resolve } from 'node:path';
import { certFingerprint, nodeStage, planRotation, rotationCas, type NodeCaFacts, type RotationStep } from '../certs/ca-rotation.js';
import type { CommandContext } from '../cli/context.js';
import { stampOf } from '../engine/stamp.js';
import type { CertsRunOptions } from '../tasks/certs/options.js';
import { readCaFacts } from '../tasks/certs/rotate-facts.js';
import { executePlaybook } from './run-playbook.js';

async function readFacts(ctx: CommandContext): Promise<NodeCaFacts[]> {
  const { hosts, connect } = await ctx.cluster();
  const pool = connect();
  try {
    const ordered = [...hosts.controlPlanes, ...hosts.all.filter((h) => !h.isControlPlane)];
    return await Promise.all(ordered.map(async (h) => readCaFacts(await pool.get(h), h)));
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

/** Print the plan (text or JSON); nothing is changed. */
export async function planRotateCa(ctx: CommandContext): Promise<number> {
  const nodes = await readFacts(ctx);
  const steps = planRotation(nodes);
  if (ctx.flags.output === 'json') {
    const cas = rotationCas(nodes[0]!);
    const stages = nodes.map((n) => ({ node: n.node, stage: cas ? nodeStage(n, cas) : 'old' }));
    ctx.out.stdout.write(JSON.stringify({ type: 'certs.rotate-ca.plan', underway: Boolean(cas), nodes: stages, steps }) + '\n');
  } else ctx.out.stdout.write(formatRotationPlan(nodes, steps));
  return 0;
}

/** The rotation itself (with --yes), or its plan. Returns the exit code; `verify` prints `certs check` afterwards. */
export async function rotateCa(
  ctx: CommandContext,
  opts: Omit<CertsRunOptions, 'stamp' | 'localBackupDir' | 'states'>,
  verify: () => Promise<number>,
): Promise<number> {
  await planRotateCa(ctx);
  if (ctx.values.plan === true) return 0;
  if (!ctx.flags.yes) {
    ctx.out.stderr.write(
      'kubesmith certs rotate-ca: nothing was changed. This replaces the cluster CA and restarts every node one at a time; run again with --yes to do it.\n',
    );
    return 2;
  }
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
