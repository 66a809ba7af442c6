/**
 * `kubesmith import --from ADDRESS -o FILE`: read a running kubeadm cluster through one control plane (SSH, the same
 * transport, known_hosts checks and sudo as every command) and write a commented inventory of it.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { defineCommand, UsageError, type ConnectionsFactory } from '../cli/context.js';
import { inventorySchema, parseInventory } from '../inventory/index.js';
import { Host } from '../model/host.js';
import { ConnectionPool } from '../transport/index.js';
import { gatherCluster } from '../import/gather.js';
import { inventoryFromCluster, type ImportSource } from '../import/from-cluster.js';
import { MANAGED_PATHS, predictFirstPlan } from '../import/predict.js';
import { renderImported } from '../import/render.js';

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

export const importCommand = defineCommand({
  name: 'import',
  summary: 'Write a commented inventory of a running kubeadm cluster, read through one control plane',
  usage: 'import --from ADDRESS [--ssh-user USER] [--ssh-key FILE] [--known-hosts FILE] [--host-key-policy strict|accept-new] -o FILE',
  description:
    'Connects to ADDRESS over SSH and reads, with kubectl and /etc/kubernetes/admin.conf there, the nodes (hosts, roles, ' +
    'addresses, labels, taints), kubeadm-config (version, subnets, endpoint, image repository, cert SANs, etcd), the ' +
    "kubelet and kube-proxy configuration, the CNI and its settings, and the control plane's runtime configuration " +
    '(containerd or Docker, mirrors). Writes nothing on any host. The inventory says where each value came from, what ' +
    'could not be carried over, and which changes the first `kubesmith plan` makes on purpose.',
  examples: [
    'kubesmith import --from 10.0.0.11 --ssh-user kube --ssh-key ~/.ssh/id_ed25519 -o prod.yaml',
    'kubesmith import --from cp1.example.internal --host-key-policy accept-new -o cluster.yaml && kubesmith plan -i cluster.yaml',
  ],
  flags: {
    from: { type: 'string', valueName: 'ADDRESS', description: 'A control plane of the cluster (IP or host name)' },
    'ssh-user': { type: 'string', valueName: 'USER', description: 'SSH user (default root; others use sudo)' },
    'ssh-key': { type: 'string', valueName: 'FILE', description: 'Private key (default: the SSH agent, then ~/.ssh/id_*)' },
    'known-hosts': { type: 'string', valueName: 'FILE', description: 'known_hosts file (default ~/.ssh/known_hosts)' },
    'host-key-policy': { type: 'string', valueName: 'POLICY', description: 'strict (default) or accept-new' },
    file: { type: 'string', short: 'o', valueName: 'FILE', description: 'Where to write the inventory ("-" for stdout)' },
    force: { type: 'boolean', description: 'Overwrite an existing file' },
  },
  async run(ctx) {
    const v = ctx.values;
    if (!v.from) throw new UsageError('--from ADDRESS is required (a control plane of the cluster)', 'import');
    if (!v.file) throw new UsageError('-o FILE is required (or -o - for stdout)', 'import');
    const policy = v['host-key-policy'];
    if (policy !== undefined && policy !== 'strict' && policy !== 'accept-new')
      throw new UsageError(`--host-key-policy must be strict or accept-new, not "${policy}"`, 'import');
    const abs = (p: string | undefined) => (p === undefined ? undefined : isAbsolute(p) || p.startsWith('~') ? p : resolve(ctx.cwd, p));
    const src: ImportSource = {
      address: v.from,
      user: v['ssh-user'] ?? 'root',
      keyPath: abs(v['ssh-key']),
      knownHostsPath: abs(v['known-hosts']),
      hostKeyPolicy: policy,
    };
    const out = v.file === '-' ? undefined : resolve(ctx.cwd, v.file);
    if (out && existsSync(out) && !v.force) throw new UsageError(`${v.file} exists; use --force to overwrite it`, 'import');
    let inv: ReturnType<typeof sourceInventory>;
    try {
      inv = sourceInventory(src);
    } catch (err) {
      throw new UsageError(`invalid --from/--ssh-* value: ${(err as Error).message.split('\n')[0]}`, 'import');
    }
    const factory: ConnectionsFactory =
      ctx.connections ??
      ((i, o) => new ConnectionPool(i, { inventoryDir: ctx.cwd, onCommand: o.onCommand, env: o.env as NodeJS.ProcessEnv }));
    const pool = factory(inv, { inventoryDir: ctx.cwd, onCommand: () => {}, env: ctx.env });
    try {
      const t = await pool.get(new Host(inv.spec.hosts[0]!));
      const raw = await gatherCluster(t, MANAGED_PATHS);
      const imported = inventoryFromCluster(raw, src);
      // Validate what we are about to write with the schema and rules every command uses.
      const draft = renderImported(imported, []);
      const { inventory } = parseInventory(draft, out ?? 'stdout');
      imported.deliberate = predictFirstPlan(
        inventory,
        raw,
        readLocal(resolve(ctx.cwd, '.kubesmith', inventory.metadata.name, 'admin.conf')),
      );
      // AUDIT HOOK: once `kubesmith audit` is merged, run auditCluster(...) here on `t`, while the connection is open,
      // and add its findings to the summary below.
      const text = renderImported(imported, [
        `Imported by \`kubesmith import --from ${src.address}\` at ${ctx
          .now()
          .toISOString()
          .replace(/\.\d+Z$/, 'Z')}.`,
        'Every value below says where it came from (the cluster objects, read with kubectl on that control plane, or its files).',
      ]);
      if (!out) ctx.out.stdout.write(text);
      else writeFileSync(out, text, { mode: 0o644 });
      const hosts = inventory.spec.hosts;
      ctx.out.stderr.write(
        `${out ? `wrote ${v.file}` : 'inventory printed'}: ${hosts.length} hosts (${hosts.filter((h) => h.roles.includes('control-plane')).length} control planes), ` +
          `Kubernetes ${inventory.spec.kubernetes.version}, ${inventory.spec.containerRuntime.type}, ${inventory.spec.network.plugin}; ` +
          `${imported.notCarried.length} not carried over, ${imported.deliberate.length} deliberate first-plan changes (listed at its top)\n`,
      );
      return 0;
    } finally {
      await pool.closeAll();
    }
  },
});
