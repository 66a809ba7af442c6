import { defineTask, commandAction, type Action } from '../common/define.js';
import { fileAction } from '../common/files.js';
import { renderSysctl } from '../../render/index.js';
import { lookups, read, run } from '../../transport/lookups.js';
import { sysctlView } from '../../render/views.js';

const PATH = '/etc/sysctl.d/k8s.conf';

export const hostprepSysctl = defineTask({
  id: 'hostprep.sysctl',
  changesStayOnHost: true,
  title: 'Host prep | Enable IP forwarding and bridge netfilter sysctls',
  async plan(ctx) {
    const t = ctx.transport;
    const actions: Action[] = [];
    const settings = sysctlView(ctx.inventory).settings;
    const [current, ...values] = await lookups(t, [read(PATH), ...settings.map((s) => run(['sysctl', '-n', s.key]))]);
    const file = await fileAction(t, PATH, renderSysctl(ctx.inventory), {}, current);
    if (file) actions.push(file);
    const live: string[] = [];
    settings.forEach((s, i) => {
      const out = values[i]!;
      if (out.code !== 0 || out.stdout.trim() !== s.value) live.push(`${s.key}=${s.value}`);
    });
    if (file || live.length) {
      actions.push(commandAction(t, `apply sysctl settings${live.length ? `: ${live.join(' ')}` : ''}`, [['sysctl', '--system']]));
    }
    return actions;
  },
});
