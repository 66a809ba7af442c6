import { defineTask, action, type Action } from '../common/define.js';
import { fileAction } from '../common/files.js';
import { renderSysctl } from '../../render/index.js';
import { sysctlView } from '../../render/views.js';

const PATH = '/etc/sysctl.d/k8s.conf';

export const hostprepSysctl = defineTask({
  id: 'hostprep.sysctl',
  title: 'Host prep | Enable IP forwarding and bridge netfilter sysctls',
  async plan(ctx) {
    const t = ctx.transport;
    const actions: Action[] = [];
    const file = await fileAction(t, PATH, renderSysctl());
    if (file) actions.push(file);
    const settings = sysctlView().settings;
    const live: string[] = [];
    for (const s of settings) {
      const out = await t.exec(['sysctl', '-n', s.key], { allowFailure: true });
      if (out.code !== 0 || out.stdout.trim() !== s.value) live.push(`${s.key}=${s.value}`);
    }
    if (file || live.length) {
      actions.push(
        action(`apply sysctl settings${live.length ? `: ${live.join(' ')}` : ''}`, async () => void (await t.exec(['sysctl', '--system']))),
      );
    }
    return actions;
  },
});
