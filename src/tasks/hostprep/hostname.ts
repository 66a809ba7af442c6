import { defineTask, action } from '../common/define.js';

export const hostprepHostname = defineTask({
  id: 'hostprep.hostname',
  title: 'Host prep | Set the hostname to the inventory name',
  skip: (ctx) => !ctx.inventory.spec.hostPrep.setHostname && 'hostPrep.setHostname is false',
  async plan(ctx) {
    const t = ctx.transport;
    const facts = ctx.host.requireFacts(); // read with the facts at the start of this run; only this task changes it
    const current = facts.hostname;
    if (current === ctx.host.name) return [];
    return [
      action(`set hostname ${current || '(none)'} → ${ctx.host.name}`, async () => {
        await t.exec(['hostnamectl', 'set-hostname', ctx.host.name]);
        facts.hostname = ctx.host.name;
      }),
    ];
  },
});
