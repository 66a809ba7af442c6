/**
 * `kubesmith upgrade -i FILE` and `kubesmith plan upgrade -i FILE` (= `upgrade --plan`): the cluster to
 * spec.kubernetes.version, one minor at a time. The survey (route + pre-checks) runs first and writes nothing; a
 * refused route or any blocker ends there with exit 2. Then playbooks/upgrade.yaml runs once per version of the route.
 */
import type { CommandContext } from '../cli/context.js';
import { defineCommand, EXIT, UsageError } from '../cli/context.js';
import { stampOf } from '../engine/stamp.js';
import { checkCluster } from '../tasks/certs/read.js';
import { resolveMaxUnavailable, type DrainTimeoutPolicy, type UpgradeRun } from '../upgrade/options.js';
import { formatSurvey } from '../upgrade/report.js';
import { survey, upgradeSteps, type Survey } from '../upgrade/survey.js';
import { executePlaybook } from './run-playbook.js';

type Flags = Omit<UpgradeRun, 'target' | 'from'>;

const POLICIES: readonly DrainTimeoutPolicy[] = ['stop', 'skip', 'disable-eviction'];

function seconds(value: string): number {
  const m = /^(\d+)(s|m|h)?$/.exec(value);
  if (!m || Number(m[1]) < 1) throw new UsageError(`--drain-timeout ${value}: expected a duration such as 300, 300s, 5m or 1h`, 'upgrade');
  return Number(m[1]) * ({ s: 1, m: 60, h: 3600 } as const)[(m[2] ?? 's') as 's' | 'm' | 'h'];
}

/** The flags, checked before anything connects (exit 2 on a bad value). */
export async function upgradeFlags(ctx: CommandContext): Promise<Flags> {
  const v = ctx.values;
  const { hosts } = await ctx.cluster();
  const workers = hosts.workers.filter((w) => !w.isControlPlane).length;
  const policy = typeof v['on-drain-timeout'] === 'string' ? v['on-drain-timeout'] : 'stop';
  if (!POLICIES.includes(policy as DrainTimeoutPolicy))
    throw new UsageError(`--on-drain-timeout ${policy}: expected one of ${POLICIES.join(', ')}`, 'upgrade');
  const renewal = typeof v['certificate-renewal'] === 'string' ? v['certificate-renewal'] : 'true';
  if (renewal !== 'true' && renewal !== 'false')
    throw new UsageError(`--certificate-renewal ${renewal}: expected true or false`, 'upgrade');
  let maxUnavailable: number;
  try {
    maxUnavailable = resolveMaxUnavailable(typeof v['max-unavailable'] === 'string' ? v['max-unavailable'] : '1', Math.max(workers, 1));
  } catch (err) {
    throw new UsageError((err as Error).message, 'upgrade');
  }
  return {
    maxUnavailable,
    drainTimeoutSeconds: seconds(typeof v['drain-timeout'] === 'string' ? v['drain-timeout'] : '300'),
    onDrainTimeout: policy as DrainTimeoutPolicy,
    controlPlaneOnly: v['control-plane-only'] === true,
    certificateRenewal: renewal === 'true',
  };
}

async function surveyCluster(ctx: CommandContext, flags: Flags): Promise<Survey> {
  const { inventory, hosts, connect } = await ctx.cluster();
  const pool = connect();
  try {
    return await survey(inventory, hosts, (h) => pool.get(h), { controlPlaneOnly: flags.controlPlaneOnly, now: ctx.now() });
  } finally {
    await pool.closeAll();
  }
}

/** Print the survey; the exit code when the upgrade must not (or need not) run, else undefined. */
export async function planUpgrade(ctx: CommandContext, flags: Flags): Promise<{ survey: Survey; code: number | undefined }> {
  const s = await surveyCluster(ctx, flags);
  const { hosts } = await ctx.cluster();
  if (ctx.flags.output === 'json') ctx.out.stdout.write(JSON.stringify({ type: 'upgrade.plan', ...s }) + '\n');
  else ctx.out.stdout.write(formatSurvey(s, hosts, flags, { color: ctx.out.color }));
  const stop = !s.route.ok || s.blockers.length > 0 ? EXIT.usage : upgradeSteps(s).length === 0 ? EXIT.ok : undefined;
  return { survey: s, code: stop };
}

/** After the last step: each control plane's certificates and when they now expire. */
async function certificateRecap(ctx: CommandContext): Promise<void> {
  const { inventory, hosts, connect } = await ctx.cluster();
  const pool = connect();
  try {
    const { report } = await checkCluster(inventory, hosts.controlPlanes, (h) => pool.get(h), { now: ctx.now(), warnDays: 30 });
    const soonest = new Map<string, string>();
    for (const r of report.rows)
      if (r.expires && (!soonest.has(r.node) || r.expires < soonest.get(r.node)!)) soonest.set(r.node, r.expires);
    for (const [node, expires] of soonest) ctx.out.stderr.write(`${node}: certificates now expire ${expires} at the earliest\n`);
  } finally {
    await pool.closeAll();
  }
}

export const upgradeCommand = defineCommand({
  name: 'upgrade',
  summary: 'Upgrade the cluster to spec.kubernetes.version: one minor at a time, backed up, drained, rolling, resumable',
  usage: 'upgrade -i FILE [--plan] [--max-unavailable N|P%] [--drain-timeout D] [--on-drain-timeout stop|skip|disable-eviction]',
  description:
    'Finds the route (one minor at a time, through the newest patch of each intermediate minor the package repository offers) and checks, ' +
    'before anything changes: nodes Ready, etcd members healthy, no expired certificate, version skew, packages for every step, disk space, ' +
    'removed APIs still requested (apiserver_requested_deprecated_apis), no CNI downgrade. A refused route or any blocker: exit 2, nothing changed. ' +
    'Then per version: etcd snapshot + PKI backup to the admin machine, the control planes one at a time (kubeadm upgrade apply on the first, ' +
    'upgrade node on the others, kubelet and kubectl held at the exact version, health gate), the CNI at the inventory version when it is newer ' +
    '(once), the workers in batches (cordon, drain honouring ' +
    'PodDisruptionBudgets, upgrade, uncordon). Each node records its completed steps in /var/lib/kubesmith/upgrade/: a re-run continues. ' +
    "`--plan` (or `kubesmith plan upgrade`) prints the route, each node's steps and every blocker, and changes nothing.",
  examples: [
    'kubesmith plan upgrade -i cluster.yaml',
    'kubesmith upgrade -i cluster.yaml',
    'kubesmith upgrade -i cluster.yaml --max-unavailable 25% --drain-timeout 10m --on-drain-timeout skip',
    'kubesmith upgrade -i cluster.yaml --control-plane-only --certificate-renewal=false',
  ],
  flags: {
    plan: { type: 'boolean', description: "print the route, each node's steps and every blocker; change nothing (same as `plan upgrade`)" },
    'max-unavailable': { type: 'string', valueName: 'N|P%', description: 'workers upgraded at once (default 1)' },
    'drain-timeout': {
      type: 'string',
      valueName: 'D',
      description: 'how long a drain may wait for PodDisruptionBudgets (default 300s; 10m, 1h)',
    },
    'on-drain-timeout': {
      type: 'string',
      valueName: 'POLICY',
      description:
        'stop (default: uncordon it, stop the upgrade), skip (leave that node at its version, go on), disable-eviction (delete its pods, bypassing budgets)',
    },
    'control-plane-only': {
      type: 'boolean',
      description: 'upgrade the control planes only; the workers follow in a later run (within the skew policy)',
    },
    'certificate-renewal': {
      type: 'string',
      valueName: 'true|false',
      description: 'passed to kubeadm upgrade apply/node (default true: kubeadm renews the certificates)',
    },
  },
  runsPlaybook: true,
  async run(ctx) {
    const flags = await upgradeFlags(ctx);
    const { survey: s, code } = await planUpgrade(ctx, flags);
    if (code !== undefined || ctx.values.plan === true || !s.route.ok) return code ?? EXIT.ok;
    const { adminDir } = await ctx.cluster();
    for (const target of upgradeSteps(s)) {
      const upgrade: UpgradeRun = { ...flags, target, from: s.route.from };
      ctx.out.stderr.write(`upgrading to ${target}\n`);
      const { code: step } = await executePlaybook(ctx, {
        playbook: 'upgrade',
        dryRun: false,
        options: { adminDir, stamp: stampOf(ctx.now()), upgrade },
      });
      if (step !== 0) return step;
    }
    await certificateRecap(ctx);
    return EXIT.ok;
  },
});
