/**
 * Endpoint | Point this node's kubeconfigs at the new endpoint: kubelet.conf (then the kubelet restarts and must post
 * a fresh heartbeat with its node Ready before the next node), and on control planes admin.conf and super-admin.conf;
 * root's and the SSH user's ~/.kube/config wherever they exist. controller-manager.conf and scheduler.conf keep the
 * node's own API server, as kubeadm writes them. Files already pointing at the endpoint are left alone.
 */
import { posix } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sh } from '../../transport/command.js';
import { RESTART_OWED_REASON, restartOwedPath } from '../common/services.js';
import { KUBE_DIR } from '../../certs/catalog.js';
import type { TaskContext } from '../../engine/types.js';
import { action, defineTask, type Action } from '../common/define.js';
import { KUBELET_CONF, controlPlaneTransport, kubectl } from '../common/cluster.js';
import { endpointOptions, note, serversOf, targetServer, withServer } from './options.js';

async function kubeconfigFiles(ctx: TaskContext): Promise<string[]> {
  const files = [KUBELET_CONF, `${KUBE_DIR}/admin.conf`, `${KUBE_DIR}/super-admin.conf`, '/root/.kube/config'];
  const user = ctx.host.spec.ssh?.user ?? ctx.inventory.spec.ssh.user;
  if (user !== 'root') {
    const home = (await ctx.transport.exec(['getent', 'passwd', user], { allowFailure: true })).stdout.trim().split(':')[5];
    if (home) files.push(`${home}/.kube/config`);
  }
  return files;
}

/** The node's Ready condition and heartbeat (epoch seconds) as the API sees them, through the first control plane. */
async function heartbeat(ctx: TaskContext): Promise<{ ready: boolean; at: number; detail: string }> {
  const r = await controlPlaneTransport(ctx).exec(kubectl('get', 'node', ctx.host.name, '-o', 'json'), {
    allowFailure: true,
    timeoutMs: 60_000,
  });
  if (r.code !== 0) return { ready: false, at: 0, detail: r.stderr.trim().split('\n').pop() ?? `exit ${r.code}` };
  type Condition = { type: string; status: string; lastHeartbeatTime?: string; message?: string };
  const node = JSON.parse(r.stdout) as { status?: { conditions?: Condition[] } };
  const cond = (node.status?.conditions ?? []).find((c) => c.type === 'Ready');
  return {
    ready: cond?.status === 'True',
    at: Date.parse(cond?.lastHeartbeatTime ?? '') / 1000 || 0,
    detail: cond?.message ?? 'no Ready condition',
  };
}

/**
 * Restart the kubelet and wait until the node posts a heartbeat from after the restart and is Ready; only then is the
 * restart mark (set before kubelet.conf changed) cleared, so a run stopped in between restarts it next time.
 */
async function restartKubelet(ctx: TaskContext): Promise<void> {
  const t = ctx.transport;
  const before = Number((await t.exec(['date', '-u', '+%s'])).stdout.trim());
  await t.exec(['systemctl', 'restart', 'kubelet'], { timeoutMs: 120_000 });
  await waitReady(ctx, before);
  await t.exec(sh`rm -f ${restartOwedPath('kubelet')}`);
}

async function waitReady(ctx: TaskContext, before: number): Promise<void> {
  const o = endpointOptions(ctx);
  const deadline = Date.now() + o.healthTimeoutSeconds * 1000;
  for (;;) {
    const hb = await heartbeat(ctx);
    if (hb.ready && hb.at >= before) return;
    if (Date.now() >= deadline)
      throw new Error(
        `node ${ctx.host.name} not Ready through ${targetServer(o)} ${o.healthTimeoutSeconds}s after its kubelet restarted: ${hb.detail}`,
      );
    await sleep(2000, undefined, ctx.signal ? { signal: ctx.signal } : {});
  }
}

export const endpointKubeconfigs = defineTask({
  id: 'endpoint.kubeconfigs',
  title: "Endpoint | Point this node's kubelet and admin kubeconfigs at the new endpoint; kubelet Ready through it",
  async plan(ctx) {
    const o = endpointOptions(ctx);
    const server = targetServer(o);
    const actions: Action[] = [];
    const owed = (await ctx.transport.exec(['test', '-e', restartOwedPath('kubelet')], { allowFailure: true })).code === 0;
    for (const file of await kubeconfigFiles(ctx)) {
      const text = (await ctx.transport.readFile(file))?.toString('utf8');
      if (!text || serversOf(text).every((s) => s === server)) continue;
      actions.push(
        action(`${file}: server ${serversOf(text).join(', ')} → ${server}`, async () => {
          if (file === KUBELET_CONF)
            await ctx.transport.exec(sh`mkdir -p ${posix.dirname(restartOwedPath('kubelet'))} && : > ${restartOwedPath('kubelet')}`);
          const mode = (await ctx.transport.exec(['stat', '-c', '%a:%U:%G', file])).stdout.trim().split(':');
          await ctx.transport.writeFile(file, withServer(text, server), { mode: `0${mode[0]}`, owner: `${mode[1]}:${mode[2]}` });
          if (file === KUBELET_CONF) await restartKubelet(ctx);
          note(o, ctx.host.name, `${file} → ${server}${file === KUBELET_CONF ? ' (kubelet restarted, Ready)' : ''}`);
        }),
      );
    }
    if (owed && !actions.some((a) => a.change.summary.startsWith(KUBELET_CONF)))
      actions.push(action(`restart kubelet (${RESTART_OWED_REASON}) and wait until Ready`, () => restartKubelet(ctx)));
    return actions;
  },
});
