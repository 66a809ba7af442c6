/**
 * etcd tools on a control plane, over SSH, on a node that has only what `apply` installed.
 *
 * Decision: kubeadm installs no etcdctl/etcdutl on the host, but the etcd image it pulled (registry.k8s.io/etcd:<v>-0)
 * holds both, of the cluster's exact version. kubesmith uses that image and installs nothing on the host:
 * - commands that talk to etcd (health, status, member list/remove, snapshot save, get) run inside the running etcd
 *   static pod with `crictl exec <etcd container> etcdctl …`. crictl (cri-tools, installed by apply) reaches the
 *   container through the CRI even while the API server is down, which `kubectl exec` cannot;
 * - file-only commands (`snapshot status`, `snapshot restore`, version probes) run from the same image in a
 *   throw-away container with /var/lib bind-mounted (`ctr -n k8s.io run --rm` on containerd, `docker run --rm` on
 *   docker): this works when no etcd runs (a restore after reset, a crashed member), needs no network (the image is
 *   on the node, so air-gapped clusters work), and always matches the running etcd's version, also after an upgrade —
 *   copied binaries on the host would go stale and would be one more thing on the PATH.
 * The image is distroless: every command is an argv of the tool itself, never `sh -c`. Files the tools read or write
 * live under /var/lib (/var/lib/etcd is the pod's hostPath mount; the restore staging dir and recovery files too).
 * Retries as against real hosts: after a leader crash the first request times out and a retry ~5 s later succeeds.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TaskContext } from '../../engine/types.js';
import type { Inventory } from '../../inventory/schema.js';
import type { Host } from '../../model/host.js';
import type { ExecResult, Transport } from '../../transport/types.js';
import { kubeadmImages } from '../../bundle/image-set.js';
import { criSocket } from '../../render/views.js';
import {
  ETCD_MANIFEST,
  LOCAL_ENDPOINT,
  endpointHealthArgv,
  etcdManifestImage,
  memberListArgv,
  parseEndpointHealth,
  parseEtcdVersion,
  parseMemberList,
  type EtcdMember,
  type SnapshotTools,
} from '../../etcd/index.js';

/** A control plane's etcd, as kubesmith reaches it. */
export interface EtcdNode {
  t: Transport;
  /** node name = etcd member name */
  node: string;
  runtime: 'containerd' | 'docker';
  /** the CRI endpoint crictl talks to */
  criEndpoint: string;
  /** the etcd image kubeadm uses for this inventory: the file-only tools' image when no etcd manifest names one */
  image: string;
}

/** The host directory bind-mounted into file-only tool containers (same path inside). */
export const TOOL_MOUNT = '/var/lib';

export function etcdNode(inventory: Inventory, host: Host, t: Transport): EtcdNode {
  const k = inventory.spec.kubernetes;
  const image = kubeadmImages(k.version, k.imageRepository).find((i) => i.component === 'etcd')!.ref;
  return { t, node: host.name, runtime: inventory.spec.containerRuntime.type, criEndpoint: criSocket(inventory), image };
}

/** The etcd node of the host a task runs on, or of another control plane of the same run. */
export function etcdNodeOf(ctx: TaskContext, host: Host = ctx.host): EtcdNode {
  return etcdNode(ctx.inventory, host, host.name === ctx.host.name ? ctx.transport : ctx.transportFor(host));
}

const crictl = (n: EtcdNode, ...args: string[]) => ['crictl', '--runtime-endpoint', n.criEndpoint, ...args];

/** The running etcd container's id (the kubelet names the static pod's container `etcd`), or undefined. */
export async function etcdContainer(n: EtcdNode): Promise<string | undefined> {
  const r = await n.t.exec(crictl(n, 'ps', '--name', '^etcd$', '-q'), { allowFailure: true, timeoutMs: 60_000 });
  return r.code === 0
    ? r.stdout
        .split('\n')
        .map((l) => l.trim())
        .find(Boolean)
    : undefined;
}

/** etcdctl (argv from etcd/flags.ts) inside the running etcd container, with retries. */
export async function runEtcdctl(
  n: EtcdNode,
  argv: string[],
  opts: { retries?: number; allowFailure?: boolean } = {},
): Promise<ExecResult> {
  const tries = opts.retries ?? 3;
  let r: ExecResult | undefined;
  let cmd: string[] = [];
  for (let i = 0; i < tries && (!r || r.code !== 0); i++) {
    if (i > 0) await sleep(5000);
    const id = await etcdContainer(n);
    if (!id) {
      r = { code: 1, stdout: '', stderr: `no running etcd container on ${n.node} (crictl ps --name ^etcd$ lists none)`, durationMs: 0 };
      continue;
    }
    cmd = crictl(n, 'exec', id, ...argv);
    r = await n.t.exec(cmd, { allowFailure: true, timeoutMs: 120_000 });
  }
  if (r!.code !== 0 && !opts.allowFailure) {
    throw new Error(
      `${n.node}: \`${cmd.join(' ') || argv.join(' ')}\` exited ${r!.code}: ${r!.stderr.trim().split('\n').slice(-3).join('\n')}`,
    );
  }
  return r!;
}

/** The image the file-only tools run from: the one the etcd manifest names, else the inventory's etcd image. */
export async function toolImage(n: EtcdNode): Promise<string> {
  const manifest = await n.t.readFile(ETCD_MANIFEST).catch(() => undefined);
  return (manifest && etcdManifestImage(manifest.toString('utf8'))) || n.image;
}

/** The argv that runs `argv` (etcdutl/etcdctl …) from `image` in a throw-away container with /var/lib mounted. */
export function imageRunArgv(
  n: EtcdNode,
  image: string,
  argv: readonly string[],
  name = `kubesmith-etcd-${randomBytes(4).toString('hex')}`,
): string[] {
  if (n.runtime === 'docker') return ['docker', 'run', '--rm', '--network', 'host', '-v', `${TOOL_MOUNT}:${TOOL_MOUNT}`, image, ...argv];
  return [
    'ctr',
    '-n',
    'k8s.io',
    'run',
    '--rm',
    '--net-host',
    '--mount',
    `type=bind,src=${TOOL_MOUNT},dst=${TOOL_MOUNT},options=rbind:rw`,
    image,
    name,
    ...argv,
  ];
}

/** Run a file-only etcd tool from the etcd image (see the decision above). Paths must lie under /var/lib. */
export async function runOffline(
  n: EtcdNode,
  argv: readonly string[],
  opts: { allowFailure?: boolean; timeoutMs?: number } = {},
): Promise<ExecResult> {
  for (const a of argv) {
    const path = /^(?:--[^=]+=)?(\/.*)$/.exec(a)?.[1];
    if (path && !path.startsWith(`${TOOL_MOUNT}/`))
      throw new Error(`${n.node}: ${path} is outside ${TOOL_MOUNT}, which is all the etcd tool container sees`);
  }
  const cmd = imageRunArgv(n, await toolImage(n), argv);
  const r = await n.t.exec(cmd, { allowFailure: true, timeoutMs: opts.timeoutMs ?? 600_000 });
  if (r.code !== 0 && !opts.allowFailure)
    throw new Error(`${n.node}: \`${cmd.join(' ')}\` exited ${r.code}: ${r.stderr.trim().split('\n').slice(-3).join('\n')}`);
  return r;
}

/** Is the etcd member on this control plane healthy (its local endpoint)? */
export async function localEtcdHealthy(n: EtcdNode): Promise<boolean> {
  if ((await n.t.exec(['test', '-f', '/etc/kubernetes/pki/etcd/healthcheck-client.crt'], { allowFailure: true })).code !== 0) return false;
  const r = await runEtcdctl(n, endpointHealthArgv([LOCAL_ENDPOINT]), { retries: 2, allowFailure: true });
  if (r.code !== 0) return false;
  try {
    return parseEndpointHealth(r.stdout).every((h) => h.health);
  } catch {
    return false;
  }
}

/** The first control plane (inventory order, skipping `exclude`) whose local etcd member is healthy. */
export async function healthyControlPlane(ctx: TaskContext, exclude: readonly string[] = []): Promise<Host | undefined> {
  for (const cp of ctx.hosts.controlPlanes) {
    if (exclude.includes(cp.name)) continue;
    let n: EtcdNode;
    try {
      n = etcdNodeOf(ctx, cp);
    } catch {
      continue;
    }
    if (await localEtcdHealthy(n).catch(() => false)) return cp;
  }
  return undefined;
}

export async function memberList(n: EtcdNode): Promise<EtcdMember[]> {
  return parseMemberList((await runEtcdctl(n, memberListArgv())).stdout);
}

/** Which etcdctl/etcdutl the etcd image holds (version-based choice: etcdutl from 3.5; 3.6 etcdctl has no snapshot status/restore). */
export async function snapshotTools(n: EtcdNode): Promise<SnapshotTools> {
  const image = await toolImage(n);
  const run = async (argv: string[]) => {
    const r = await n.t.exec(imageRunArgv(n, image, argv), { allowFailure: true, timeoutMs: 120_000 });
    return r.code === 0 ? `${r.stdout}\n${r.stderr}` : '';
  };
  const tools: SnapshotTools = {};
  const ctl = parseEtcdVersion(await run(['etcdctl', 'version']));
  const utl = parseEtcdVersion(await run(['etcdutl', 'version']));
  if (ctl) tools.etcdctl = ctl;
  if (utl) {
    tools.etcdutl = utl;
    tools.etcdutlBumpRevision = (await run(['etcdutl', 'snapshot', 'restore', '--help'])).includes('--bump-revision');
  }
  return tools;
}
