/**
 * Certs | Give a control plane the cluster's shared trust roots when it lacks them or holds other ones (a rebuilt
 * master): copy exactly the differing files of the `--upload-certs` set from a node holding the majority version
 * (or --from), keys 0600, then re-sign this node's OWN certificates with them (kubeadm certs renew all), point
 * its kubeconfigs' embedded CA at pki/ca.crt, re-sign the kubelet client certificate if the CA changed, and
 * restart its static pods. Keys travel only between control planes, over kubesmith's own connections, as bytes in
 * memory: never written on the admin machine, never logged (file reads and writes are not logged by the transport).
 */
import type { Change, Task, TaskContext } from '../../engine/types.js';
import { KUBE_DIR, LEAVES, PKI_DIR } from '../../certs/catalog.js';
import { refreshKubeletClient } from './kubelet-client.js';
import { sharedStatus, type SharedStatus } from '../../certs/shared.js';
import { sh } from '../../transport/command.js';
import { collectAll } from './read.js';
import { certsOptions } from './options.js';
import { renewNode } from './renew.js';

interface Copy {
  status: SharedStatus;
  source: string;
}

async function clusterShared(ctx: TaskContext): Promise<SharedStatus[]> {
  const cached = ctx.run.get<SharedStatus[]>('certs.shared');
  if (cached) return cached;
  const nodes = await collectAll(ctx.hosts.controlPlanes, (h) => Promise.resolve(ctx.transportFor(h)));
  const down = nodes.filter((n) => n.unreachable);
  if (down.length) throw new Error(`cannot compare shared CA material: ${down.map((n) => `${n.node} (${n.unreachable})`).join(', ')}`);
  const status = sharedStatus(nodes.map((n) => ({ node: n.node, collected: n.collected! })));
  ctx.run.set('certs.shared', status);
  return status;
}

async function copiesFor(ctx: TaskContext): Promise<Copy[]> {
  const from = certsOptions(ctx).from;
  const me = ctx.host.name;
  const copies: Copy[] = [];
  for (const s of await clusterShared(ctx)) {
    const reference = from ? s.byNode.get(from) : s.majority;
    if (from && !reference) throw new Error(`--from ${from}: that node has no ${s.file.name}`);
    if (!reference) {
      if (s.differing.length)
        throw new Error(
          `${s.file.name}: control planes disagree (${[...s.byNode].map(([n, fp]) => `${n}=${fp?.slice(0, 12) ?? 'missing'}`).join(', ')}) and no version has a majority; choose the good node with --from NODE`,
        );
      throw new Error(`${s.file.name} exists on no control plane: nothing to distribute`);
    }
    if (s.byNode.get(me) === reference) continue;
    const source = from ?? [...s.byNode].find(([, fp]) => fp === reference)![0];
    copies.push({ status: s, source });
  }
  return copies;
}

/** Kubeconfigs embed the CA; after a CA change they must carry the new one. */
export const embedCaScript = () => sh`set -e
ca=$(base64 -w0 ${`${PKI_DIR}/ca.crt`})
for f in admin.conf super-admin.conf controller-manager.conf scheduler.conf kubelet.conf; do
  p=${KUBE_DIR}/$f; [ -e "$p" ] || continue
  sed -i "s|^\\([[:space:]]*certificate-authority-data:\\).*|\\1 $ca|" "$p"
done`;

function changes(copies: Copy[], ctx: TaskContext): Change[] {
  const o = certsOptions(ctx);
  const bySource = new Map<string, string[]>();
  for (const c of copies)
    bySource.set(c.source, [...(bySource.get(c.source) ?? []), `${c.status.file.name}${c.status.file.key ? ' (0600)' : ''}`]);
  return [
    ...[...bySource].map(([src, files]) => ({
      summary: `copy ${files.join(', ')} from ${src} (control plane to control plane, never via a local file)`,
    })),
    {
      summary:
        "re-sign this node's own certificates with them (kubeadm certs renew all), embed pki/ca.crt in its kubeconfigs, re-sign the kubelet client certificate if needed",
    },
    { summary: `restart its static pods (manifests out ≥${o.offSeconds}s) and wait until healthy` },
  ];
}

export const certsDistribute: Task = {
  id: 'certs.distribute',
  title: 'Certs | Give this control plane the shared CA, service-account and front-proxy/etcd CA files',
  async check(ctx) {
    const copies = await copiesFor(ctx);
    if (!copies.length) return { status: 'ok' };
    // certs renew re-signs what exists; a node without its own certificates must be re-joined instead
    const missing = (await ctx.transport.exec(sh`for f in ${LEAVES.map((l) => l.path)}; do [ -e "$f" ] || echo "$f"; done; true`)).stdout
      .split('\n')
      .filter(Boolean);
    if (missing.length) {
      throw new Error(
        `${ctx.host.name} lacks its own certificates (${missing.join(', ')}): distribute re-signs existing ones only; re-join this control plane (kubeadm reset, then kubesmith apply)`,
      );
    }
    return { status: 'change', changes: changes(copies, ctx) };
  },
  async apply(ctx) {
    const copies = await copiesFor(ctx);
    await renewNode(
      ctx,
      async () => {
        for (const c of copies) {
          const bytes = await ctx.transportFor(ctx.hosts.byName(c.source)!).readFile(c.status.file.path);
          if (!bytes) throw new Error(`${c.status.file.path} disappeared from ${c.source}`);
          await ctx.transport.writeFile(c.status.file.path, bytes, { mode: c.status.file.key ? '0600' : '0644', owner: 'root:root' });
          bytes.fill(0);
        }
        ctx.log(`copied ${copies.map((c) => `${c.status.file.name} from ${c.source}`).join(', ')}`);
        await ctx.transport.exec(['kubeadm', 'certs', 'renew', 'all'], { timeoutMs: 300_000 });
        await ctx.transport.exec(embedCaScript());
        return { restartKubelet: await refreshKubeletClient(ctx.transport, ctx.host.name, 30) };
      },
      'copy of the shared CA material and re-signing of its own certificates',
    );
  },
};
