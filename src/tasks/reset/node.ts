import { defineTask, action, type Action } from '../common/define.js';
import type { TaskContext } from '../../engine/types.js';
import type { Transport } from '../../transport/types.js';
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
  return !l.kubeadm.length && !l.paths.length && !l.links.length && !l.ipvs && !l.chains.length && !l.kubeconfigs.length;
}

/** kubeadm reset -f and the cleanup kubeadm leaves, one action per item found (the plan lists exactly these). */
export async function resetActions(ctx: TaskContext, t: Transport = ctx.transport): Promise<Action[]> {
  const l = await leftovers(ctx, t);
  const actions: Action[] = [];
  if (l.kubeadm.length) {
    actions.push(action(`kubeadm reset -f (found ${l.kubeadm.join(', ')})`, async () => {
      await t.exec(['kubeadm', 'reset', '-f'], { timeoutMs: 300_000 });
    }));
  }
  for (const p of l.paths) actions.push(action(`remove ${p}`, async () => void (await t.exec(['rm', '-rf', '--', p]))));
  for (const link of l.links) actions.push(action(`delete interface ${link}`, async () => void (await t.exec(['ip', 'link', 'delete', link], { allowFailure: true }))));
  if (l.ipvs) actions.push(action('clear IPVS tables (ipvsadm --clear)', async () => void (await t.exec(['ipvsadm', '--clear']))));
  if (l.chains.length) {
    const list = l.chains.map((c) => `${c.tool === 'ip6tables' ? 'ip6 ' : ''}${c.table}/${c.chain}`).join(', ');
    actions.push(action(`delete Kubernetes iptables chains and the rules jumping to them (built-in chains and policies untouched): ${list}`, async () => {
      await cleanIptables(t);
    }));
  }
  for (const k of l.kubeconfigs) actions.push(action(`remove ${k}`, async () => void (await t.exec(['rm', '-f', '--', k]))));
  return actions;
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
