import { defineTask, type Action } from '../common/define.js';
import { fileAction, readText } from '../common/files.js';
import { derived } from '../../inventory/derived.js';
import type { Inventory } from '../../inventory/schema.js';
import type { Hosts } from '../../model/host.js';

const PATH = '/etc/hosts';
export const BEGIN = '# BEGIN kubesmith';
export const END = '# END kubesmith';

/** The managed block: every node by name, and the HA endpoint name when kube-vip provides its VIP. */
export function hostsBlock(inv: Inventory, hosts: Hosts): string {
  const lines = hosts.all.map((h) => `${h.internalAddress} ${h.name}`);
  const lb = inv.spec.kubernetes.loadBalancer;
  const ep = derived(inv).controlPlaneEndpoint;
  if (lb?.type === 'kube-vip' && lb.vip && ep) {
    const name = ep.host;
    if (!/^[\d.]+$/.test(name) && !name.includes(':')) lines.push(`${lb.vip} ${name}`);
  }
  return [BEGIN, ...lines, END].join('\n');
}

/** Replace the managed block (or append it); every other line stays as it was. */
export function withHostsBlock(current: string, block: string): string {
  const start = current.indexOf(BEGIN);
  const end = current.indexOf(END, start);
  if (start >= 0 && end > start) return current.slice(0, start) + block + current.slice(end + END.length);
  const base = current === '' || current.endsWith('\n') ? current : `${current}\n`;
  return `${base}${block}\n`;
}

export const hostprepEtcHosts = defineTask({
  id: 'hostprep.etchosts',
  changesStayOnHost: true,
  title: 'Host prep | Add every node to /etc/hosts',
  skip: (ctx) => !ctx.inventory.spec.hostPrep.etcHosts && 'hostPrep.etcHosts is false',
  async plan(ctx) {
    const current = (await readText(ctx.transport, PATH)) ?? '';
    const edit = await fileAction(
      ctx.transport,
      PATH,
      withHostsBlock(current, hostsBlock(ctx.inventory, ctx.hosts)),
      { mode: '0644' },
      current,
    );
    return edit ? [edit] : ([] as Action[]);
  },
});
