/**
 * etcd on a control plane, over SSH: etcdctl on the host when installed, else `kubectl exec etcd-<node> -- etcdctl`
 * (the etcd image is distroless: argv only). Retries as against real hosts: after a leader crash the first
 * request times out and a retry ~5 s later succeeds.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { TaskContext } from '../../engine/types.js';
import type { Host } from '../../model/host.js';
import type { ExecResult, Transport } from '../../transport/types.js';
import { ADMIN_CONF } from '../common/cluster.js';
import {
  LOCAL_ENDPOINT, TOOL_PROBES, endpointHealthArgv, memberListArgv, parseEndpointHealth, parseEtcdVersion, parseMemberList,
  type EtcdMember, type SnapshotTools,
} from '../../etcd/index.js';

/** How etcdctl is reached on this node: 'host' (installed) or 'pod' (kubectl exec into the static pod). */
export async function etcdctlMode(t: Transport): Promise<'host' | 'pod'> {
  return (await t.exec(['sh', '-c', 'command -v etcdctl'], { allowFailure: true })).code === 0 ? 'host' : 'pod';
}

export async function runEtcdctl(t: Transport, node: string, argv: string[], opts: { retries?: number; allowFailure?: boolean } = {}): Promise<ExecResult> {
  const mode = await etcdctlMode(t);
  const cmd = mode === 'host' ? argv : ['kubectl', '--kubeconfig', ADMIN_CONF, '-n', 'kube-system', 'exec', `etcd-${node}`, '--', ...argv];
  const tries = opts.retries ?? 3;
  let r = await t.exec(cmd, { allowFailure: true, timeoutMs: 120_000 });
  for (let i = 1; i < tries && r.code !== 0; i++) {
    await sleep(5000);
    r = await t.exec(cmd, { allowFailure: true, timeoutMs: 120_000 });
  }
  if (r.code !== 0 && !opts.allowFailure) {
    throw new Error(`${node}: \`${cmd.join(' ')}\` exited ${r.code}: ${r.stderr.trim().split('\n').slice(-3).join('\n')}`);
  }
  return r;
}

/** Is the etcd member on this control plane healthy (its local endpoint)? */
export async function localEtcdHealthy(t: Transport, node: string): Promise<boolean> {
  if ((await t.exec(['test', '-f', '/etc/kubernetes/pki/etcd/healthcheck-client.crt'], { allowFailure: true })).code !== 0) return false;
  const r = await runEtcdctl(t, node, endpointHealthArgv([LOCAL_ENDPOINT]), { retries: 2, allowFailure: true });
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
    let t: Transport;
    try {
      t = ctx.transportFor(cp);
    } catch {
      continue;
    }
    if (await localEtcdHealthy(t, cp.name).catch(() => false)) return cp;
  }
  return undefined;
}

export async function memberList(t: Transport, node: string): Promise<EtcdMember[]> {
  return parseMemberList((await runEtcdctl(t, node, memberListArgv())).stdout);
}

/** Which etcdctl/etcdutl this node has, for snapshot status and restore. */
export async function snapshotTools(t: Transport): Promise<SnapshotTools> {
  const probe = async (argv: readonly string[]) => (await t.exec([...argv], { allowFailure: true })).stdout.trim();
  const tools: SnapshotTools = {};
  const ctl = parseEtcdVersion(await probe(TOOL_PROBES.etcdctl));
  const utl = parseEtcdVersion(await probe(TOOL_PROBES.etcdutl));
  if (ctl) tools.etcdctl = ctl;
  if (utl) {
    tools.etcdutl = utl;
    tools.etcdutlBumpRevision = Number(await probe(TOOL_PROBES.etcdutlBumpRevision)) > 0;
  }
  return tools;
}
