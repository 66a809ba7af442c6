import { defineTask, action } from '../common/define.js';
import { unitStateLookups, unitStateOf } from '../common/services.js';
import { lookups, run } from '../../transport/lookups.js';
import { requiredPorts } from '../../data/ports.js';
import { firewallTools } from './firewall-tools.js';

export const hostprepFirewall = defineTask({
  id: 'hostprep.firewall',
  title: 'Host prep | Disable the firewall or open the Kubernetes ports',
  skip: (ctx) => ctx.inventory.spec.hostPrep.firewall === 'keep' && 'hostPrep.firewall is keep',
  async plan(ctx) {
    const mode = ctx.inventory.spec.hostPrep.firewall;
    const t = ctx.transport;
    const tool = firewallTools[ctx.host.requireDistro().firewall];
    if (mode === 'disable') {
      const [enabled, unitActive, status] = await lookups(t, [...unitStateLookups(tool.unit), run(tool.activeQuery)]);
      const state = unitStateOf(enabled, unitActive);
      const active = state.active || tool.isActive(status);
      if (!state.enabled && !active) return [];
      return [
        action(`stop and disable ${tool.unit}`, async () => {
          for (const cmd of tool.disable) await t.exec(cmd, { allowFailure: cmd[0] !== 'systemctl' });
        }),
      ];
    }
    const [status, rules] = await lookups(t, [run(tool.activeQuery), run(tool.rulesQuery)]);
    if (!tool.isActive(status)) return [];
    const open = tool.openRules(rules);
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
