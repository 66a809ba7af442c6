import { defineTask, commandAction, type Action } from '../common/define.js';
import { fileAction } from '../common/files.js';
import { renderModules } from '../../render/index.js';
import { lookups, read, run } from '../../transport/lookups.js';
import { modulesView } from '../../render/views.js';

const PATH = '/etc/modules-load.d/k8s.conf';

export const hostprepModules = defineTask({
  id: 'hostprep.modules',
  changesStayOnHost: true,
  title: 'Host prep | Load overlay and br_netfilter now and at boot',
  async plan(ctx) {
    const t = ctx.transport;
    const actions: Action[] = [];
    const [current, lsmod] = await lookups(t, [read(PATH), run(['lsmod'])]);
    const file = await fileAction(t, PATH, renderModules(ctx.inventory), {}, current);
    if (file) actions.push(file);
    const loaded = new Set(
      lsmod.stdout
        .split('\n')
        .slice(1)
        .map((l) => l.split(/\s+/)[0]),
    );
    const missing = modulesView(ctx.inventory).modules.filter((m) => !loaded.has(m));
    if (missing.length) {
      actions.push(
        // -a: every name is a module (without it, the names after the first are its parameters)
        commandAction(t, `load ${missing.join(' ')}`, [['modprobe', '-a', ...missing]]),
      );
    }
    return actions;
  },
});
