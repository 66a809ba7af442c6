/**
 * `certs rotate-ca --ca front-proxy|etcd`: the plan and the run of a rotation of a CA that lives on the control planes
 * only (src/certs/cp-ca-rotation.ts, playbooks/certs-rotate-cp-ca.yaml).
 */
import { join } from 'node:path';
import { certFingerprint, nodeStage, rotationCas, type NodeCaFacts } from '../certs/ca-rotation.js';
import { CP_CAS, planCpRotation, type CpCaName } from '../certs/cp-ca-rotation.js';
import type { CommandContext } from '../cli/context.js';
import { stampOf } from '../engine/stamp.js';
import type { CertsRunOptions } from '../tasks/certs/options.js';
import { readCpCaFacts } from '../tasks/certs/rotate-cp-facts.js';
import { executePlaybook } from './run-playbook.js';

/** Every control plane's facts for this CA, the first control plane first. */
export async function readCpFacts(ctx: CommandContext, name: CpCaName): Promise<NodeCaFacts[]> {
  const { hosts, connect } = await ctx.cluster();
  const pool = connect();
  try {
    return await Promise.all(hosts.controlPlanes.map(async (h) => readCpCaFacts(CP_CAS[name], await pool.get(h), h)));
  } finally {
    await pool.closeAll();
  }
}

const short = (pem: string | undefined) => (pem ? `${certFingerprint(pem).slice(0, 16)}…` : '(none)');

/** The plan of this CA's rotation: text (each control plane's stage, then the numbered steps) or one JSON line. */
export function formatCpPlan(ctx: Pick<CommandContext, 'flags'>, name: CpCaName, nodes: readonly NodeCaFacts[]): string {
  const ca = CP_CAS[name];
  const steps = planCpRotation(ca, nodes);
  const cas = rotationCas(nodes[0]!);
  const stages = nodes.map((n) => ({ node: n.node, stage: cas ? nodeStage(n, cas) : 'old' }));
  if (ctx.flags.output === 'json')
    return JSON.stringify({ type: 'certs.rotate-ca.plan', ca: name, underway: Boolean(cas), nodes: stages, steps }) + '\n';
  const head = cas
    ? `A rotation of the ${name} CA is under way: ${short(cas.old)} → ${short(cas.new)}\n` +
      stages.map((s) => `  ${s.node}: ${s.stage}\n`).join('')
    : `No rotation of the ${name} CA under way: it is ${short(nodes[0]!.bundle[0])} on ${nodes[0]!.node}; a new one will be made.\n`;
  return `${head}Steps (${name} CA):\n${steps.map((s, i) => `  ${String(i + 1).padStart(2)}. ${s.summary}\n`).join('')}`;
}

/** Run this CA's rotation; false when it stopped (the report says how far each control plane got). */
export async function rotateCpCa(
  ctx: CommandContext,
  name: CpCaName,
  opts: Omit<CertsRunOptions, 'stamp' | 'localBackupDir' | 'states'>,
): Promise<boolean> {
  const { adminDir } = await ctx.cluster();
  const stamp = stampOf(ctx.now());
  const certs: CertsRunOptions = { ...opts, stamp, localBackupDir: join(adminDir, 'backups', stamp), states: new Map() };
  const { code } = await executePlaybook(ctx, { playbook: 'certs-rotate-cp-ca', dryRun: false, options: { certs, cpCa: name } });
  const states = [...certs.states].map(([node, state]) => `  ${node}: ${state}`).join('\n');
  ctx.out.stdout.write(`\nControl planes after the ${name} CA rotation:\n${states || '  (no node changed)'}\n`);
  ctx.out.stdout.write(`Backups: /var/backups/kubesmith/${stamp}/ on each control plane; copies in ${certs.localBackupDir}\n`);
  if (code === 0) return true;
  ctx.out.stdout.write(
    `The ${name} CA rotation stopped; every control plane still trusts the CAs it needs. Run it again to continue from where it stands.\n`,
  );
  return false;
}
