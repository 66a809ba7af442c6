import { defineTask, action, type Action } from '../common/define.js';
import { fileAction, readText } from '../common/files.js';

const CONFIG = '/etc/selinux/config';

export function selinuxConfigPermissive(config: string): string {
  return config.replace(/^SELINUX=enforcing\s*$/m, 'SELINUX=permissive');
}

export const hostprepSelinux = defineTask({
  id: 'hostprep.selinux',
  title: 'Host prep | Set SELinux permissive now and at boot',
  async plan(ctx) {
    if (ctx.inventory.spec.hostPrep.selinux === 'keep') return { skip: 'hostPrep.selinux is keep' };
    if (ctx.host.requireFacts().selinux === 'absent') return { skip: 'no SELinux on this host' };
    const t = ctx.transport;
    const actions: Action[] = [];
    const mode = await t.exec(['getenforce'], { allowFailure: true });
    if (mode.stdout.trim() === 'Enforcing') {
      actions.push(action('set SELinux permissive now (setenforce 0)', async () => void (await t.exec(['setenforce', '0']))));
    }
    const config = await readText(t, CONFIG);
    if (config !== null) {
      const edit = await fileAction(t, CONFIG, selinuxConfigPermissive(config), { mode: '0644' }, config);
      if (edit) actions.push(edit);
    }
    return actions;
  },
});
