/**
 * Certs | Move one node to the next stage of a cluster CA rotation, then bring it back healthy before the next node
 * (the playbook runs these serially, every node of a stage before any node of the next):
 *   trusting  ca.crt = old+new (old still signs): the API server's --client-ca-file, the controller-manager's
 *             --root-ca-file (kube-root-ca.crt) and the kubelet's clientCAFile trust both, and so does every kubeconfig;
 *   signing   ca.crt = new+old and ca.key = the new key: kubeadm re-issues the node's certificates and kubeconfigs from
 *             the new CA, the kubelet's client certificate is re-signed (control planes) or re-bootstrapped (workers);
 *   new-only  ca.crt = new: the old CA is trusted nowhere on the node.
 * A marker (rotate-facts.ts OWED_FILE) is written before any file changes and removed once the node is healthy, so
 * a run stopped in between restarts the node's components next time. Failing health stops the run; the node keeps
 * trusting both CAs (nothing is rolled back: the other nodes may already rely on it).
 */
import { blockedBy, bundleFor, bundleText, nodeStage, ORDER, ROTATION_DIR, rotationCas, type NodeStage } from '../../certs/ca-rotation.js';
import { KUBELET_CLIENT_PEM, PKI_DIR } from '../../certs/catalog.js';
import type { Task, TaskContext } from '../../engine/types.js';
import { derived } from '../../inventory/derived.js';
import { sh } from '../../transport/command.js';
import { clusterNodes } from '../common/cluster.js';
import { embedCaScript } from './distribute.js';
import { refreshKubeletClient } from './kubelet-client.js';
import { rebootstrap } from './kubelet-bootstrap.js';
import { certsOptions, restartOptions } from './options.js';
import { refreshRootKubeconfig } from './renew.js';
import { restartStaticPods } from './restart.js';
import { clusterCaFacts, OWED_FILE } from './rotate-facts.js';
import { stageCheck } from './rotate-stage.js';

type Target = Exclude<NodeStage, 'old'>;

const WHAT: Record<Target, string> = {
  trusting: 'trust the old and the new CA (ca.crt = old+new, every kubeconfig likewise)',
  signing: "re-issue this node's certificates and kubeconfigs from the new CA (ca.crt = new+old, ca.key = new)",
  'new-only': 'remove the old CA (ca.crt and every kubeconfig = new only)',
};

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Where the node stands and whether it may move: undefined = nothing to do. */
async function decide(ctx: TaskContext, target: Target) {
  const nodes = await clusterCaFacts(ctx);
  const cas = rotationCas(nodes[0]!);
  if (!cas) return { unknown: 'the new CA exists once certs.rotate-generate ran' } as const;
  const me = nodes.find((n) => n.node === ctx.host.name)!;
  const stage = nodeStage(me, cas);
  if (ORDER.indexOf(stage) >= ORDER.indexOf(target)) return undefined;
  return { cas, stage, blocked: blockedBy(nodes, cas, target) };
}

export async function waitReady(ctx: TaskContext): Promise<void> {
  const o = certsOptions(ctx);
  const deadline = Date.now() + o.healthTimeoutSeconds * 1000;
  for (;;) {
    const node = (await clusterNodes(ctx))?.find((n) => n.name === ctx.host.name);
    if (node?.ready) return;
    if (Date.now() >= deadline)
      throw new Error(
        `node ${ctx.host.name} not Ready ${o.healthTimeoutSeconds}s after its restart: ${node?.detail ?? 'API not answering'}`,
      );
    await sleep(2000);
  }
}

/** A control plane: files, certificates, static pods one at a time with their health gates, kubelet, Ready. */
async function moveControlPlane(ctx: TaskContext, target: Target): Promise<void> {
  const o = certsOptions(ctx);
  if (target === 'signing') {
    await ctx.transport.exec(sh`install -m 0600 -o root -g root ${`${ROTATION_DIR}/new-ca.key`} ${`${PKI_DIR}/ca.key`}`);
    await ctx.transport.exec(['kubeadm', 'certs', 'renew', 'all'], { timeoutMs: 300_000 });
    await refreshKubeletClient(ctx.transport, ctx.host.name, 30, `${ROTATION_DIR}/new-ca.crt`);
  }
  await ctx.transport.exec(embedCaScript());
  await restartStaticPods(ctx.transport, restartOptions(ctx, o));
  await ctx.transport.exec(refreshRootKubeconfig());
  await ctx.transport.exec(['systemctl', 'restart', 'kubelet'], { timeoutMs: 120_000 });
}

/** A worker: its kubelet's trust (clientCAFile, kubelet.conf), or its client certificate from the new CA. */
async function moveWorker(ctx: TaskContext, target: Target, caText: string): Promise<void> {
  if (target === 'signing') {
    const server = `https://${derived(ctx.inventory).apiServer.address}`;
    const kubeletServer = /^\s*server:\s*(\S+)/m.exec((await ctx.transport.readFile('/etc/kubernetes/kubelet.conf'))?.toString() ?? '');
    // a kubelet keeps a client certificate that is still valid (kubelet's LoadClientCert): without its current one it
    // does the TLS bootstrap, and the controller-managers now sign with the new CA (the dated file stays, and the backup)
    await ctx.transport.exec(['rm', '-f', KUBELET_CLIENT_PEM]);
    await rebootstrap(ctx, caText, kubeletServer?.[1] ?? server);
    return;
  }
  await ctx.transport.exec(embedCaScript());
  await ctx.transport.exec(['systemctl', 'restart', 'kubelet'], { timeoutMs: 120_000 });
}

async function move(ctx: TaskContext, target: Target): Promise<void> {
  const o = certsOptions(ctx);
  const d = await decide(ctx, target);
  if (!d) return;
  if ('unknown' in d) throw new Error(`no CA rotation under way: ${d.unknown}`);
  if (d.blocked.length) throw new Error(`cannot ${WHAT[target]} on ${ctx.host.name} yet: first ${d.blocked.join(', ')}`);
  const caText = bundleText(bundleFor(target, d.cas));
  o.states.set(ctx.host.name, `${WHAT[target]}…`);
  await ctx.transport.exec(sh`set -e; mkdir -p -m 0700 /var/lib/kubesmith; printf '%s\n' ${target} > ${OWED_FILE}`);
  await ctx.transport.writeFile(`${PKI_DIR}/ca.crt`, caText, { mode: '0644', owner: 'root:root' });
  if (ctx.host.isControlPlane) await moveControlPlane(ctx, target);
  else await moveWorker(ctx, target, caText);
  await waitReady(ctx);
  await ctx.transport.exec(['rm', '-f', OWED_FILE]);
  o.states.set(ctx.host.name, `${target}: ${WHAT[target]}; healthy`);
}

function stageTask(id: string, target: Target, title: string): Task {
  return {
    id,
    title,
    async check(ctx) {
      const d = await decide(ctx, target);
      const restarts = `${ctx.host.isControlPlane ? 'its static pods one at a time (health gate each) and ' : ''}its kubelet`;
      const decision = d && ('unknown' in d ? { unknown: d.unknown } : { blocked: d.blocked });
      return stageCheck(ctx, decision, `${WHAT[target]}; restart ${restarts}; wait until Ready`, WHAT[target], 'nodes');
    },
    async apply(ctx) {
      await move(ctx, target);
    },
  };
}

export const certsRotateTrust: Task = stageTask(
  'certs.rotate-trust',
  'trusting',
  'Certs | Trust the old and the new cluster CA on this node',
);
export const certsRotateSign: Task = stageTask(
  'certs.rotate-sign',
  'signing',
  "Certs | Re-issue this node's certificates from the new cluster CA",
);
export const certsRotateDrop: Task = stageTask('certs.rotate-drop', 'new-only', 'Certs | Remove the old cluster CA from this node');
