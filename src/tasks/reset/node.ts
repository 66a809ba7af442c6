import { defineTask, action, type Action } from '../common/define.js';
import type { TaskContext } from '../../engine/types.js';
import type { Transport } from '../../transport/types.js';
import { runStamp } from '../etcd/paths.js';
import { ETCD_MEMBER_DIR, keepScript, keptDir } from './keep-etcd.js';
import { cleanIptables, leftoversProbe, parseLeftovers, type Leftovers } from './cleanup.js';

/** Home directories whose ~/.kube/config kubesmith installed: root's and the SSH user's. */
async function homes(ctx: TaskContext, t: Transport): Promise<string[]> {
  const user = ctx.host.spec.ssh?.user ?? ctx.inventory.spec.ssh.user;
  const list = ['/root'];
  if (user !== 'root') {
    const home = (await t.exec(['getent', 'passwd', user], { allowFailure: true })).stdout.trim().split(':')[5];
    if (home) list.push(home);
  }
  return list;
}

export async function leftovers(ctx: TaskContext, t: Transport = ctx.transport): Promise<Leftovers> {
  return parseLeftovers((await t.exec(leftoversProbe(await homes(ctx, t)), { allowFailure: true })).stdout);
}

export function nothingLeft(l: Leftovers): boolean {
  return !l.kubeadm.length && !l.etcdMember && !l.paths.length && !l.links.length && !l.ipvs && !l.chains.length && !l.kubeconfigs.length;
}

/**
 * kubeadm reset -f and the cleanup kubeadm leaves, one action per item found (the plan lists exactly these). etcd's
 * member directory is kept in /var/lib/etcd-kept first: kubeadm reset empties /var/lib/etcd.
 */
export async function resetActions(ctx: TaskContext, t: Transport = ctx.transport): Promise<Action[]> {
  const l = await leftovers(ctx, t);
  const actions: Action[] = [];
  if (l.etcdMember) actions.push(keepEtcdMember(ctx, t));
  if (l.kubeadm.length) {
    actions.push(
      action(`kubeadm reset -f (found ${l.kubeadm.join(', ')})`, async () => {
        await t.exec(['kubeadm', 'reset', '-f'], { timeoutMs: 300_000 });
      }),
    );
  }
  for (const p of l.paths) actions.push(action(`remove ${p}`, async () => void (await t.exec(['rm', '-rf', '--', p]))));
  for (const link of l.links)
    actions.push(
      action(`delete interface ${link}`, async () => void (await t.exec(['ip', 'link', 'delete', link], { allowFailure: true }))),
    );
  if (l.ipvs) actions.push(action('clear IPVS tables (ipvsadm --clear)', async () => void (await t.exec(['ipvsadm', '--clear']))));
  if (l.chains.length) {
    const list = l.chains.map((c) => `${c.tool === 'ip6tables' ? 'ip6 ' : ''}${c.table}/${c.chain}`).join(', ');
    actions.push(
      action(
        `delete Kubernetes iptables chains and the rules jumping to them (built-in chains and policies untouched): ${list}`,
        async () => {
          await cleanIptables(t);
        },
      ),
    );
  }
  for (const k of l.kubeconfigs) actions.push(action(`remove ${k}`, async () => void (await t.exec(['rm', '-f', '--', k]))));
  return actions;
}

/** Keep /var/lib/etcd/member as hard links in /var/lib/etcd-kept (keep-etcd.ts) before kubeadm reset empties it. */
function keepEtcdMember(ctx: TaskContext, t: Transport): Action {
  const stamp = runStamp(ctx);
  return action(
    `keep the etcd data: ${ETCD_MEMBER_DIR} as ${keptDir(ctx.host.name, stamp)}/member (hard links; never deleted)`,
    async () => {
      const kept = (await t.exec(keepScript(ETCD_MEMBER_DIR, ctx.host.name, stamp, 'link'))).stdout.trim();
      ctx.log(`etcd data kept in ${kept}/member`);
    },
  );
}

export async function verifyReset(ctx: TaskContext, t: Transport = ctx.transport): Promise<void> {
  const l = await leftovers(ctx, t);
  if (!nothingLeft(l)) throw new Error(`still present after reset: ${JSON.stringify(l)}`);
}

export const resetNode = defineTask({
  id: 'reset.node',
  title: 'Reset | Run kubeadm reset -f, then remove CNI files, interfaces, IPVS and Kubernetes iptables chains',
  plan: (ctx) => resetActions(ctx),
  verify: (ctx) => verifyReset(ctx),
});
