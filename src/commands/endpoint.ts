/**
 * `kubesmith endpoint migrate|plan -i FILE [--to HOST:PORT]`: move a running cluster from its current API address
 * (typically one control plane's own address, no controlPlaneEndpoint) to a DNS name, a kube-vip VIP or an external
 * load balancer, so it can grow to several control planes without a rebuild (playbooks/endpoint-migrate.yaml).
 */
import { join, resolve } from 'node:path';
import type { CommandContext } from '../cli/context.js';
import { defineCommand, UsageError } from '../cli/context.js';
import { stampOf } from '../engine/stamp.js';
import { controlPlaneEndpoint, parseEndpoint } from '../inventory/derived.js';
import type { InventorySpec } from '../inventory/index.js';
import type { CertsRunOptions } from '../tasks/certs/options.js';
import type { EndpointRunOptions } from '../tasks/endpoint/options.js';
import { whole } from './certs.js';
import { executePlaybook } from './run-playbook.js';

/** host:port: --to, else the inventory's controlPlaneEndpoint (or kube-vip's "<vip>:6443"); both given must agree. */
export function migrationTarget(spec: InventorySpec, to: string | undefined): string {
  const fromInventory = controlPlaneEndpoint(spec);
  if (!to && !fromInventory)
    throw new UsageError(
      'no target: pass --to HOST:PORT, or set kubernetes.controlPlaneEndpoint or loadBalancer {type: kube-vip, vip, interface} in the inventory',
      'endpoint',
    );
  let target: string;
  try {
    const e = parseEndpoint(to ?? fromInventory!);
    target = e.host.includes(':') ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`;
  } catch (err) {
    throw new UsageError(`--to ${to}: ${(err as Error).message}`, 'endpoint');
  }
  if (to && fromInventory && parseEndpoint(fromInventory).host !== parseEndpoint(target).host)
    throw new UsageError(
      `--to ${to} differs from the inventory's endpoint ${fromInventory}: change the inventory (later applies and joins use it) or leave --to out`,
      'endpoint',
    );
  return target;
}

async function migrate(ctx: CommandContext, dryRun: boolean): Promise<number> {
  const { inventory, adminDir } = await ctx.cluster();
  const to = ctx.values.to;
  const target = migrationTarget(inventory.spec, typeof to === 'string' ? to : undefined);
  const stamp = stampOf(ctx.now());
  const endpoint: EndpointRunOptions = {
    target,
    offSeconds: whole(ctx, 'restart-wait', 20, 0, 'endpoint'),
    healthTimeoutSeconds: whole(ctx, 'health-timeout', 300, 1, 'endpoint'),
    states: new Map(),
  };
  const certs: CertsRunOptions = {
    stamp,
    localBackupDir: join(adminDir, 'backups', stamp),
    offSeconds: 0,
    healthTimeoutSeconds: 0,
    states: new Map(),
  };
  const out = ctx.values['kubeconfig-out'];
  const kubeconfigOut = typeof out === 'string' ? resolve(ctx.cwd, out) : join(adminDir, 'admin.conf');
  const options = { endpoint, certs, kubeconfigOut };
  if (dryRun || !ctx.flags.yes) {
    const { code } = await executePlaybook(ctx, { playbook: 'endpoint-migrate', dryRun: true, options });
    ctx.out.stderr.write(
      `kubesmith endpoint: nothing was changed. The migration to ${target} re-issues API server certificates and restarts API servers and kubelets one at a time${dryRun ? '' : '; run again with --yes to do it'}.\n`,
    );
    return dryRun ? code : code === 0 ? 2 : code;
  }
  const { code } = await executePlaybook(ctx, { playbook: 'endpoint-migrate', dryRun: false, options });
  const nodes = inventory.spec.hosts.map((h) => ({
    node: h.name,
    state: endpoint.states.get(h.name) ?? 'already on the endpoint (nothing to do)',
  }));
  if (ctx.flags.output === 'json')
    ctx.out.stdout.write(JSON.stringify({ type: 'endpoint.migrate', ok: code === 0, target, backup: certs.localBackupDir, nodes }) + '\n');
  else {
    ctx.out.stdout.write(`\nNodes after endpoint migrate to ${target}:\n${nodes.map((n) => `  ${n.node}: ${n.state}`).join('\n')}\n`);
    ctx.out.stdout.write(`Backups: /var/backups/kubesmith/${stamp}/ on each node; copies in ${certs.localBackupDir}\n`);
    if (code !== 0) ctx.out.stdout.write('The run stopped; run the same command again: it resumes from what the hosts show.\n');
  }
  return code === 0 ? 0 : 1;
}

export const endpointCommand = defineCommand({
  name: 'endpoint',
  summary: 'Move the cluster to a new API endpoint: DNS name, kube-vip VIP or load balancer (migrate | plan)',
  usage: 'endpoint migrate|plan -i FILE [--to HOST:PORT] [flags]',
  description: `migrate  move a running cluster (typically one control plane without controlPlaneEndpoint) to a new API endpoint,
         so it can grow to several control planes: back up /etc/kubernetes and the kubelet's certificates on every
         node (/var/backups/kubesmith/<time>/ and .kubesmith/<cluster>/backups/<time>/ here); with loadBalancer
         kube-vip, run kube-vip on the control planes; per control plane, one at a time: kubeadm init phase certs
         apiserver with the endpoint among the SANs (the old pair kept in the backup), restart the API server, wait
         until healthy; check the endpoint answers with a certificate naming it; set kubeadm-config's
         controlPlaneEndpoint, the cluster-info and kube-proxy kubeconfigs' server (kube-proxy restarted); then node
         by node: kubelet.conf (kubelet restarted, Ready through the endpoint before the next node), admin.conf,
         super-admin.conf, root's and the SSH user's ~/.kube/config; refresh the admin machine's kubeconfig.
         Every step first looks at the hosts: a stopped run resumes where it stopped. Without --yes: plan only, exit 2.
plan     the same steps as a dry run: what each host still needs; changes nothing.
The target is --to HOST:PORT, else the inventory's controlPlaneEndpoint or kube-vip "<vip>:6443"; when both are given
they must name the same host. Put the endpoint in the inventory before adding control planes with apply.`,
  examples: [
    'kubesmith endpoint plan -i cluster.yaml --to api.example.internal:6443',
    'kubesmith endpoint migrate -i cluster.yaml --yes        # to the inventory loadBalancer kube-vip VIP',
    'kubesmith endpoint migrate -i cluster.yaml --to lb.example.internal:6443 --yes',
  ],
  flags: {
    to: {
      type: 'string',
      valueName: 'HOST:PORT',
      description: "the new endpoint (default: the inventory's controlPlaneEndpoint or kube-vip VIP)",
    },
    'restart-wait': {
      type: 'string',
      valueName: 'SECONDS',
      description: "keep the API server manifest out at least this long when restarting it (default 20, the kubelet's fileCheckFrequency)",
    },
    'health-timeout': {
      type: 'string',
      valueName: 'SECONDS',
      description: 'wait this long for a restarted API server, the endpoint or a node to be healthy (default 300)',
    },
    'kubeconfig-out': {
      type: 'string',
      valueName: 'FILE',
      description: "the admin machine's kubeconfig to refresh (default .kubesmith/<cluster>/admin.conf)",
    },
  },
  runsPlaybook: true,
  subcommands: ['migrate', 'plan'],
  positionals: [1, 1],
  async run(ctx) {
    const sub = ctx.positionals[0];
    if (sub === 'migrate') return migrate(ctx, false);
    if (sub === 'plan') return migrate(ctx, true);
    throw new UsageError(`unknown endpoint subcommand "${sub}" (expected migrate or plan)`, 'endpoint');
  },
});
