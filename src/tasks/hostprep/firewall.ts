import { defineTask, action } from '../common/define.js';
import { unitState } from '../common/services.js';
import { requiredPorts } from '../../data/ports.js';
import { firewallTools } from './firewall-tools.js';

export const hostprepFirewall = defineTask({
  id: 'hostprep.firewall',
  title: 'Host prep | Disable the firewall or open the Kubernetes ports',
  async plan(ctx) {
    const mode = ctx.inventory.spec.hostPrep.firewall;
    if (mode === 'keep') return { skip: 'hostPrep.firewall is keep' };
    const t = ctx.transport;
    const tool = firewallTools[ctx.host.requireDistro().firewall];
    if (mode === 'disable') {
      const state = await unitState(t, tool.unit);
      const active = state.active || (await tool.isActive(t));
      if (!state.enabled && !active) return [];
      return [
        action(`stop and disable ${tool.unit}`, async () => {
          for (const cmd of tool.disable) await t.exec(cmd, { allowFailure: cmd[0] !== 'systemctl' });
        }),
      ];
    }
    if (!(await tool.isActive(t))) return [];
    const open = await tool.openRules(t);
    const missing = requiredPorts(ctx.inventory, { controlPlane: ctx.host.isControlPlane, worker: ctx.host.isWorker }).filter(
      (r) => !open.has(`${r.port}/${r.proto}`),
    );
    if (missing.length === 0) return [];
    return [
      action(`open ${missing.map((r) => `${r.port}/${r.proto}`).join(' ')} in ${tool.unit}`, async () => {
        for (const cmd of tool.open(missing)) await t.exec(cmd);
      }),
    ];
  },
});
