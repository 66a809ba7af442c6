/**
 * `kubesmith import --from ADDRESS -o FILE`: read a running kubeadm cluster through one control plane (SSH, the same
 * transport, known_hosts checks and sudo as every command) and write a commented inventory of it.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { defineCommand, UsageError, type CommandContext, type ConnectionsFactory } from '../cli/context.js';
import { inventorySchema, parseInventory, type Inventory } from '../inventory/index.js';
import { Host } from '../model/host.js';
import { connectionsFactory, hostsOf } from './cluster.js';
import { auditCluster } from '../audit/run.js';
import { formatReport, type Report } from '../checks/report.js';
import { gatherCluster } from '../import/gather.js';
import { inventoryFromCluster, type ImportSource } from '../import/from-cluster.js';
import { MANAGED_PATHS, predictFirstPlan } from '../import/predict.js';
import { renderImported } from '../import/render.js';
import { inventoryFromKubespray } from '../import/from-kubespray.js';
import { inventoryFromKubeasz } from '../import/from-kubeasz.js';
import type { Imported } from '../import/imported.js';

const SOURCE_HOST = 'import-source';

function readLocal(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** The one-host inventory the connection pool needs to reach ADDRESS. */
function sourceInventory(src: ImportSource) {
  return inventorySchema.parse({
    apiVersion: 'kubesmith.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name: 'import' },
    spec: {
      ssh: {
        user: src.user,
        ...(src.keyPath ? { keyPath: src.keyPath } : {}),
        ...(src.knownHostsPath ? { knownHostsPath: src.knownHostsPath } : {}),
        hostKeyPolicy: src.hostKeyPolicy ?? 'strict',
      },
      hosts: [{ name: SOURCE_HOST, address: src.address, roles: ['control-plane'] }],
    },
  });
}

/** Read the cluster through one control plane: its inventory, validated, with the first plan's deliberate changes. */
async function fromCluster(ctx: CommandContext, src: ImportSource, out: string | undefined): Promise<Imported> {
  let inv: ReturnType<typeof sourceInventory>;
  try {
    inv = sourceInventory(src);
  } catch (err) {
    throw new UsageError(`invalid --from/--ssh-* value: ${(err as Error).message.split('\n')[0]}`, 'import');
  }
  const factory = connectionsFactory(ctx);
  const pool = factory(inv, { inventoryDir: ctx.cwd, onCommand: () => {}, env: ctx.env });
  try {
    const t = await pool.get(new Host(inv.spec.hosts[0]!));
    const raw = await gatherCluster(t, MANAGED_PATHS);
    const imported = inventoryFromCluster(raw, src);
    // Validate what we are about to write with the schema and rules every command uses.
    const { inventory } = parseInventory(renderImported(imported, []), out ?? 'stdout');
    const localAdmin = readLocal(resolve(ctx.cwd, '.kubesmith', inventory.metadata.name, 'admin.conf'));
    imported.deliberate = predictFirstPlan(inventory, raw, localAdmin);
    imported.audit = await auditImported(ctx, factory, inventory);
    return imported;
  } finally {
    await pool.closeAll();
  }
}

/**
 * `kubesmith audit` on the cluster just read, through the imported inventory: every node over SSH with the same
 * access (a node that cannot be reached makes its checks UNKNOWN), the API through the control plane.
 */
async function auditImported(ctx: CommandContext, factory: ConnectionsFactory, inventory: Inventory): Promise<Report> {
  const hosts = hostsOf(inventory);
  const pool = factory(inventory, { inventoryDir: ctx.cwd, onCommand: () => {}, env: ctx.env });
  try {
    return await auditCluster({ inventory, hosts }, pool, { now: ctx.now(), warnDays: 30 });
  } finally {
    await pool.closeAll();
  }
}

/** Write (or print) the inventory and say in one line what it holds; then the audit's findings. */
function written(ctx: CommandContext, imported: Imported, out: string | undefined, name: string, header: string[]): number {
  const text = renderImported(imported, header);
  const { inventory } = parseInventory(text, out ?? 'stdout');
  if (!out) ctx.out.stdout.write(text);
  else writeFileSync(out, text, { mode: 0o644 });
  const hosts = inventory.spec.hosts;
  const cps = hosts.filter((h) => h.roles.includes('control-plane')).length;
  const k = inventory.spec;
  ctx.out.stderr.write(
    `${out ? `wrote ${name}` : 'inventory printed'}: ${hosts.length} hosts (${cps} control planes), Kubernetes ${k.kubernetes.version}, ` +
      `${k.containerRuntime.type}, ${k.network.plugin}; ${imported.notCarried.length} not carried over, ` +
      `${imported.deliberate.length} deliberate first-plan changes (listed at its top)\n`,
  );
  if (imported.audit)
    ctx.out.stderr.write(
      `\nkubesmith audit of the imported cluster (kubesmith audit -i ${name} repeats it):\n${formatReport(imported.audit)}`,
    );
  return 0;
}

export const importCommand = defineCommand({
  name: 'import',
  summary: 'Write a commented inventory of a running kubeadm cluster, read through one control plane',
  usage:
    'import --from ADDRESS | --from-kubespray DIR | --from-kubeasz FILE [--ssh-user USER] [--ssh-key FILE] [--known-hosts FILE] [--host-key-policy strict|accept-new] -o FILE',
  description:
    'Connects to ADDRESS over SSH and reads, with kubectl and /etc/kubernetes/admin.conf there, the nodes (hosts, roles, ' +
    'addresses, labels, taints), kubeadm-config (version, subnets, endpoint, image repository, cert SANs, etcd), the ' +
    "kubelet and kube-proxy configuration, the CNI and its settings, and the control plane's runtime configuration " +
    '(containerd or Docker, mirrors). Writes nothing on any host. The inventory says where each value came from, what ' +
    'could not be carried over, and which changes the first `kubesmith plan` makes on purpose. ' +
    '--from-kubespray DIR (hosts.yaml or inventory.yml plus group_vars) and --from-kubeasz FILE (its hosts file) read ' +
    "those tools' inventories instead, best effort, without connecting anywhere.",
  examples: [
    'kubesmith import --from 10.0.0.11 --ssh-user kube --ssh-key ~/.ssh/id_ed25519 -o prod.yaml',
    'kubesmith import --from cp1.example.internal --host-key-policy accept-new -o cluster.yaml && kubesmith plan -i cluster.yaml',
    'kubesmith import --from-kubespray inventory/mycluster --ssh-key ~/.ssh/id_ed25519 -o cluster.yaml',
    'kubesmith import --from-kubeasz /etc/kubeasz/clusters/k8s-01/hosts -o cluster.yaml',
  ],
  flags: {
    from: { type: 'string', valueName: 'ADDRESS', description: 'A control plane of the cluster (IP or host name)' },
    'from-kubespray': {
      type: 'string',
      valueName: 'DIR',
      description: 'A kubespray inventory directory (hosts.yaml or inventory.yml, group_vars)',
    },
    'from-kubeasz': { type: 'string', valueName: 'FILE', description: "A kubeasz cluster's hosts file" },
    'ssh-user': { type: 'string', valueName: 'USER', description: 'SSH user (default root; others use sudo)' },
    'ssh-key': { type: 'string', valueName: 'FILE', description: 'Private key (default: the SSH agent, then ~/.ssh/id_*)' },
    'known-hosts': { type: 'string', valueName: 'FILE', description: 'known_hosts file (default ~/.ssh/known_hosts)' },
    'host-key-policy': { type: 'string', valueName: 'POLICY', description: 'strict (default) or accept-new' },
    file: { type: 'string', short: 'o', valueName: 'FILE', description: 'Where to write the inventory ("-" for stdout)' },
    force: { type: 'boolean', description: 'Overwrite an existing file' },
  },
  async run(ctx) {
    const v = ctx.values;
    const given = [v.from && '--from', v['from-kubespray'] && '--from-kubespray', v['from-kubeasz'] && '--from-kubeasz'].filter(Boolean);
    if (given.length !== 1)
      throw new UsageError('give exactly one of --from ADDRESS, --from-kubespray DIR or --from-kubeasz FILE', 'import');
    if (!v.file) throw new UsageError('-o FILE is required (or -o - for stdout)', 'import');
    const policy = v['host-key-policy'];
    if (policy !== undefined && policy !== 'strict' && policy !== 'accept-new')
      throw new UsageError(`--host-key-policy must be strict or accept-new, not "${policy}"`, 'import');
    const abs = (p: string | undefined) => (p === undefined ? undefined : isAbsolute(p) || p.startsWith('~') ? p : resolve(ctx.cwd, p));
    const out = v.file === '-' ? undefined : resolve(ctx.cwd, v.file);
    if (out && existsSync(out) && !v.force) throw new UsageError(`${v.file} exists; use --force to overwrite it`, 'import');
    const src: ImportSource = {
      address: v.from ?? '',
      user: v['ssh-user'] ?? 'root',
      keyPath: abs(v['ssh-key']),
      knownHostsPath: abs(v['known-hosts']),
      hostKeyPolicy: policy,
    };
    const stamp = ctx
      .now()
      .toISOString()
      .replace(/\.\d+Z$/, 'Z');
    if (v.from) {
      const imported = await fromCluster(ctx, src, out);
      return written(ctx, imported, out, v.file, [
        `Imported by \`kubesmith import --from ${src.address}\` at ${stamp}.`,
        'Every value below says where it came from (the cluster objects, read with kubectl on that control plane, or its files).',
      ]);
    }
    const ssh = {
      ...(v['ssh-user'] ? { user: v['ssh-user'] } : {}),
      ...(src.keyPath ? { keyPath: src.keyPath } : {}),
      ...(src.knownHostsPath ? { knownHostsPath: src.knownHostsPath } : {}),
      ...(policy ? { hostKeyPolicy: policy } : {}),
    };
    const from = abs(v['from-kubespray'] ?? v['from-kubeasz'])!;
    const flag = v['from-kubespray'] ? '--from-kubespray' : '--from-kubeasz';
    let imported: Imported;
    try {
      imported = v['from-kubespray'] ? inventoryFromKubespray(from, ssh) : inventoryFromKubeasz(from, ssh);
    } catch (err) {
      throw new UsageError(`${flag}: ${(err as Error).message}`, 'import');
    }
    parseInventory(renderImported(imported, []), out ?? 'stdout');
    return written(ctx, imported, out, v.file, [
      `Imported by \`kubesmith import ${flag} ${from}\` at ${stamp}, best effort, without connecting to the hosts.`,
      'The first plan cannot be predicted from these files: read it before `kubesmith apply`.',
    ]);
  },
});
