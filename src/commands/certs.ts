/** `kubesmith certs check|renew|distribute -i FILE`: the certificate lifecycle of a kubeadm cluster. */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { CommandContext } from '../cli/context.js';
import { defineCommand } from '../cli/context.js';
import { UsageError } from '../cli/context.js';
import type { CheckOptions } from '../certs/analyze.js';
import { parseKubeconfigLines } from '../certs/collect.js';
import { formatReport, reportJson } from '../certs/report.js';
import { InventoryError, formatIssue } from '../inventory/index.js';
import type { Host, Hosts } from '../model/host.js';
import { checkCluster } from '../tasks/certs/read.js';
import type { CertsRunOptions } from '../tasks/certs/options.js';
import { stampOf } from '../engine/stamp.js';
import { executePlaybook } from './run-playbook.js';
import { rotateCa } from './certs-rotate.js';

const TIMER_REFUSAL = `--install-timer is deliberately not provided. A per-node systemd timer cannot do what a safe renewal needs:
  - order across nodes: every control plane would renew and restart its API server at the same moment (an outage in HA);
  - a health gate: the next node must wait until this one's etcd, API server, controller-manager and scheduler are back;
  - a way back: stop at the first failure, restore that node's backup, leave the others untouched;
  - cross-node checks: identical CAs and sa keys, SANs per node (a timer on one node sees only itself).
Run it from the admin machine instead, e.g. a monthly cron entry there:
  0 3 1 * *  kubesmith certs check -i cluster.yaml --warn-days 60 || kubesmith certs renew -i cluster.yaml --yes
and let monitoring run \`kubesmith certs check\` (exit codes 0/1/2/3 like a monitoring plugin).`;

/** A whole-number flag's value (the fallback when absent); anything else is a usage error of `command`. */
export function whole(ctx: CommandContext, name: string, fallback: number, min = 0, command = 'certs'): number {
  const v = ctx.values[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'string' || !/^\d+$/.test(v) || Number(v) < min)
    throw new UsageError(`--${name} expects a whole number of at least ${min}, got "${String(v)}"`, command);
  return Number(v);
}

function limited(hosts: Hosts, limit: readonly string[] | undefined): Host[] {
  if (!limit) return [...hosts.all];
  return hosts.all.filter(
    (h) => limit.includes(h.name) || (limit.includes('control-plane') && h.isControlPlane) || (limit.includes('worker') && h.isWorker),
  );
}

/** The admin machine's copy of admin.conf (where apply and renew write it), unless --limit narrowed the check to hosts. */
async function adminCopy(ctx: CommandContext, adminDir: string): Promise<CheckOptions['adminCopy']> {
  if (ctx.flags.limit) return undefined;
  const path = join(adminDir, 'admin.conf');
  const text = await readFile(path, 'utf8').catch(() => null);
  return text === null ? undefined : { path, lines: parseKubeconfigLines(text) };
}

/** Read every node, print the table (or JSON), return the plugin exit code. */
async function verify(ctx: CommandContext, warnDays: number): Promise<number> {
  const { inventory, hosts, connect, adminDir } = await ctx.cluster();
  const pool = connect();
  try {
    const copy = await adminCopy(ctx, adminDir);
    const opts = { now: ctx.now(), warnDays, ...(copy ? { adminCopy: copy } : {}) };
    const { report } = await checkCluster(inventory, limited(hosts, ctx.flags.limit), (h) => pool.get(h), opts);
    ctx.out.stdout.write(ctx.flags.output === 'json' ? reportJson(report) : formatReport(report));
    return report.exitCode;
  } finally {
    await pool.closeAll();
  }
}

async function check(ctx: CommandContext): Promise<number> {
  try {
    return await verify(ctx, whole(ctx, 'warn-days', 30));
  } catch (err) {
    // monitoring convention: a check that cannot run is UNKNOWN (3), not CRITICAL (2, our usual usage code)
    if (err instanceof InventoryError) ctx.out.stderr.write(err.issues.map(formatIssue).join('\n') + '\n');
    else ctx.out.stderr.write(`kubesmith certs check: ${(err as Error).message}\n`);
    if (ctx.flags.output === 'json')
      ctx.out.stdout.write(JSON.stringify({ type: 'certs.check', status: 'UNKNOWN', exitCode: 3, message: (err as Error).message }) + '\n');
    return 3;
  }
}

async function change(ctx: CommandContext, playbook: 'certs-renew' | 'certs-distribute'): Promise<number> {
  const { inventory, adminDir } = await ctx.cluster();
  const stamp = stampOf(ctx.now());
  const from = ctx.values.from;
  if (typeof from === 'string' && !inventory.spec.hosts.some((h) => h.name === from && h.roles.includes('control-plane'))) {
    throw new UsageError(`--from ${from}: no control-plane host of that name in the inventory`, 'certs');
  }
  const certs: CertsRunOptions = {
    stamp,
    localBackupDir: join(adminDir, 'backups', stamp),
    offSeconds: whole(ctx, 'restart-wait', 20),
    healthTimeoutSeconds: whole(ctx, 'health-timeout', 300, 1),
    states: new Map(),
    ...(typeof from === 'string' ? { from } : {}),
  };
  const verb = playbook === 'certs-renew' ? 'renew' : 'distribute';
  const out = ctx.values['kubeconfig-out'];
  // the admin machine's kubeconfig (refreshed by controlplane.kubeconfig): the same place `apply` wrote it
  const kubeconfigOut = typeof out === 'string' ? resolve(ctx.cwd, out) : join(adminDir, 'admin.conf');
  if (!ctx.flags.yes) {
    const { code } = await executePlaybook(ctx, { playbook, dryRun: true, options: { certs, kubeconfigOut } });
    ctx.out.stderr.write(
      `kubesmith certs ${verb}: nothing was changed. This replaces certificates and restarts control planes one at a time; run again with --yes to do it.\n`,
    );
    return code === 0 ? 2 : code;
  }
  const { code } = await executePlaybook(ctx, { playbook, dryRun: false, options: { certs, kubeconfigOut } });
  // control planes always; workers when their kubelet was re-bootstrapped (or that was tried)
  const hosts = inventory.spec.hosts.filter((h) => h.roles.includes('control-plane') || certs.states.has(h.name));
  const states = hosts.map((h) => ({
    node: h.name,
    state: certs.states.get(h.name) ?? (code === 0 ? 'nothing to do' : 'not touched (its certificates are as before the run)'),
  }));
  if (ctx.flags.output === 'json')
    ctx.out.stdout.write(JSON.stringify({ type: `certs.${verb}`, ok: code === 0, backup: certs.localBackupDir, nodes: states }) + '\n');
  else {
    ctx.out.stdout.write(`\nNodes after certs ${verb}:\n${states.map((s) => `  ${s.node}: ${s.state}`).join('\n')}\n`);
    ctx.out.stdout.write(
      `Backups: /var/backups/kubesmith/${stamp}/ on each node; copies in ${certs.localBackupDir}\n\nVerification (same as certs check):\n`,
    );
  }
  const checked = await verify(ctx, whole(ctx, 'warn-days', 30)).catch((err: unknown) => {
    ctx.out.stderr.write(`verification could not run: ${(err as Error).message}\n`);
    return 3;
  });
  return code !== 0 || checked >= 2 ? 1 : 0;
}

export const certsCommand = defineCommand({
  name: 'certs',
  summary:
    'Check, renew or distribute the cluster certificates, or rotate the cluster, front-proxy or etcd CA (check | renew | distribute | rotate-ca)',
  usage: 'certs check|renew|distribute|rotate-ca -i FILE [flags]',
  description: `check       read every certificate on every node over SSH (one read-only round trip per node; private keys never leave
            a node) and print node, certificate, expiry, days left, signing CA, status: the CAs, the control-plane and
            etcd certificates, admin/super-admin/controller-manager/scheduler.conf, each node's kubelet client and
            serving certificates (workers too), the admin.conf copies kubesmith handed out (root's and the SSH user's
            ~/.kube/config on the nodes, .kubesmith/<cluster>/admin.conf here, shown as node "admin"). Also compares
            the shared CAs and sa keys across control planes and each API server certificate's SANs (node name, IPs,
            controlPlaneEndpoint). A CA is WARNING below a year of life left and CRITICAL below 90 days.
            Exit codes follow the monitoring-plugin convention, NOT kubesmith's usual ones:
              0 OK, 1 WARNING (expires within --warn-days), 2 CRITICAL (expired, not yet valid, CA mismatch,
              missing SAN or file), 3 UNKNOWN (a node unreachable, or the check could not run). CRITICAL wins over UNKNOWN.
renew       back up /etc/kubernetes and /var/lib/kubelet/pki on every node (/var/backups/kubesmith/<time>/, 0600, and a
            copy under .kubesmith/<cluster>/backups/<time>/<node>/ here), then per control plane, one at a time: kubeadm
            certs renew all, the kubelet's client certificate re-signed on the node when it expires within 30 days,
            static pods restarted (etcd, API server, controller-manager, scheduler, one after the other, each healthy
            before the next), refresh /root/.kube/config; then refresh the kubeconfigs (and the admin machine's); then
            each worker whose kubelet client certificate expired (or expires within 30 days) is re-bootstrapped with a
            fresh bootstrap token until its node is Ready. The first failure on a control plane stops the run and
            restores that node's backup; the report says what state each node is in. Works on a cluster whose every
            certificate expired and whose API is down. Certificates are judged at each node's own clock.
distribute  copy the shared files (ca, sa, front-proxy-ca, etcd ca) to control planes that lack or differ in them,
            from a node holding the majority version (or --from), then re-sign that node's own certificates.
rotate-ca   a new cluster CA (ca.crt/ca.key) without downtime, as Kubernetes' "Manual Rotation of CA Certificates": back up
            every node; generate the new CA with openssl on the first control plane (copied to the other control
            planes like certs distribute); node by node (control planes, then workers) trust old+new (ca.crt, which is
            the API server's --client-ca-file, the controller-manager's --root-ca-file and the kubelet's clientCAFile,
            and every kubeconfig), restart and wait until healthy; restart Deployments/DaemonSets rolling once
            kube-root-ca.crt holds both; node by node re-issue the certificates and kubeconfigs from the new CA (kubeadm
            certs renew all, kubelet client re-signed or re-bootstrapped); node by node remove the old CA; restart the
            workloads again; fetch the new admin.conf. Each step decides from the certificates on the hosts: after an
            interruption, run it again and it continues. --plan (or \`kubesmith plan certs-rotate-ca\`) shows each
            node's stage and every step left. --ca front-proxy: front-proxy-ca (signs front-proxy-client; the API
            server's --requestheader-client-ca-file); --ca etcd: etcd/ca (signs etcd's server, peer and
            healthcheck-client certificates and apiserver-etcd-client; etcd's trusted CA and the API server's
            --etcd-cafile): the same stages on the control planes only, one at a time, etcd then the API server
            restarted with their health gates; then extension-apiserver-authentication is re-published without the old
            CA. Several CAs (repeat --ca or a comma list) rotate in the order etcd, front-proxy, cluster.
renew, distribute and rotate-ca show their plan and change nothing without --yes (exit 2).
Scheduling: --install-timer is refused on purpose (it explains why); run renew from the admin machine (cron/CI).`,
  examples: [
    'kubesmith certs check -i cluster.yaml',
    'kubesmith certs check -i cluster.yaml --warn-days 60 --output json',
    'kubesmith certs renew -i cluster.yaml            # shows the plan only',
    'kubesmith certs renew -i cluster.yaml --yes',
    'kubesmith certs distribute -i cluster.yaml --yes --from cp1',
    'kubesmith certs rotate-ca -i cluster.yaml --plan',
    'kubesmith certs rotate-ca -i cluster.yaml --yes',
    'kubesmith certs rotate-ca -i cluster.yaml --ca etcd,front-proxy --plan',
  ],
  flags: {
    'warn-days': { type: 'string', valueName: 'N', description: 'check: WARNING when a certificate expires within N days (default 30)' },
    'restart-wait': {
      type: 'string',
      valueName: 'SECONDS',
      description: "renew/distribute/rotate-ca: keep the manifests out at least this long (default 20, the kubelet's fileCheckFrequency)",
    },
    'health-timeout': {
      type: 'string',
      valueName: 'SECONDS',
      description: 'renew/distribute/rotate-ca: wait this long for a restarted node (or a rollout) to be healthy (default 300)',
    },
    'kubeconfig-out': {
      type: 'string',
      valueName: 'FILE',
      description: "renew/distribute/rotate-ca: the admin machine's kubeconfig to refresh (default .kubesmith/<cluster>/admin.conf)",
    },
    from: {
      type: 'string',
      valueName: 'NODE',
      description: 'distribute: take the shared files from this control plane instead of the majority',
    },
    plan: { type: 'boolean', description: 'rotate-ca: show where the rotation stands and every step left; change nothing' },
    ca: {
      type: 'string',
      multiple: true,
      valueName: 'CA',
      description: 'rotate-ca: which CA to rotate: cluster (default), front-proxy, etcd; repeat the flag or give a comma list',
    },
    'install-timer': { type: 'boolean', description: 'renew: refused on purpose; prints why the admin-driven renewal is preferred' },
  },
  runsPlaybook: true,
  subcommands: ['check', 'renew', 'distribute', 'rotate-ca'],
  positionals: [1, 1],
  async run(ctx) {
    const sub = ctx.positionals[0];
    if (sub === 'check') return check(ctx);
    if (sub === 'renew') {
      if (ctx.values['install-timer'] === true) throw new UsageError(TIMER_REFUSAL, 'certs');
      return change(ctx, 'certs-renew');
    }
    if (sub === 'distribute') return change(ctx, 'certs-distribute');
    if (sub === 'rotate-ca')
      return rotateCa(ctx, { offSeconds: whole(ctx, 'restart-wait', 20), healthTimeoutSeconds: whole(ctx, 'health-timeout', 300, 1) }, () =>
        verify(ctx, whole(ctx, 'warn-days', 30)),
      );
    throw new UsageError(`unknown certs subcommand "${sub}" (expected check, renew, distribute or rotate-ca)`, 'certs');
  },
});
