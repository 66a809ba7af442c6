import { defineTask, action } from '../common/define.js';

export const hostprepHostname = defineTask({
  id: 'hostprep.hostname',
  title: 'Host prep | Set the hostname to the inventory name',
  async plan(ctx) {
    if (!ctx.inventory.spec.hostPrep.setHostname) return { skip: 'hostPrep.setHostname is false' };
    const t = ctx.transport;
    const current = (await t.exec(['hostname'])).stdout.trim();
    if (current === ctx.host.name) return [];
    return [action(`set hostname ${current || '(none)'} → ${ctx.host.name}`, async () => void (await t.exec(['hostnamectl', 'set-hostname', ctx.host.name])))];
  },
});
