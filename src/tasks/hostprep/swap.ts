import { defineTask, commandAction, type Action } from '../common/define.js';
import { fileAction } from '../common/files.js';
import { lookups, read, run } from '../../transport/lookups.js';

const FSTAB = '/etc/fstab';
const MARK = '#kubesmith-swap-off# ';

/** Comment out every active swap line of an fstab; other lines untouched. */
export function fstabWithoutSwap(fstab: string): string {
  return fstab
    .split('\n')
    .map((line) => {
      const fields = line.trim().split(/\s+/);
      return !line.trim().startsWith('#') && fields[2] === 'swap' ? `${MARK}${line}` : line;
    })
    .join('\n');
}

export const hostprepSwap = defineTask({
  id: 'hostprep.swap',
  changesStayOnHost: true,
  title: 'Host prep | Turn swap off now and at boot',
  skip: (ctx) => ctx.inventory.spec.hostPrep.swap === 'keep' && 'hostPrep.swap is keep (kubelet failSwapOn: false)',
  async plan(ctx) {
    const t = ctx.transport;
    const actions: Action[] = [];
    const [active, fstab, units] = await lookups(t, [
      run(['swapon', '--show=NAME', '--noheadings']),
      read(FSTAB),
      run(['systemctl', 'list-unit-files', '--type=swap', '--no-legend', '--plain']),
    ]);
    // swapoff and the masks are commands only: one round trip; then the fstab edit.
    if (active.code === 0 && active.stdout.trim() !== '') {
      actions.push(commandAction(t, `turn swap off now: ${active.stdout.trim().split('\n').join(', ')}`, [['swapoff', '-a']]));
    }
    if (units.code === 0) {
      for (const line of units.stdout.split('\n')) {
        const [unit, state] = line.trim().split(/\s+/);
        if (unit?.endsWith('.swap') && state !== 'masked')
          actions.push(commandAction(t, `mask ${unit}`, [['systemctl', 'mask', '--now', unit]]));
      }
    }
    if (fstab !== null) {
      const edit = await fileAction(t, FSTAB, fstabWithoutSwap(fstab), { mode: '0644' }, fstab);
      if (edit) actions.push(edit);
    }
    return actions;
  },
});
