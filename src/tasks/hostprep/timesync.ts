/**
 * Keep every host's clock in sync (spec.hostPrep.timeSync): certificates and etcd both break when clocks drift
 * apart, and the seed runbook leaves time to the operator. chrony, from the host's own OS repositories (an offline
 * site's OS mirror too: offline.osdeps checks it is installable before anything changes), follows exactly the
 * inventory's NTP servers: kubesmith owns chrony's configuration file, and stops systemd-timesyncd so that only one
 * client sets the clock.
 */
import { defineTask, action, type Action } from '../common/define.js';
import { fileAction } from '../common/files.js';
import { ensureFreshPackageIndex } from '../common/package-index.js';
import {
  RESTART_OWED_REASON,
  owingRestart,
  restartClearingOwed,
  restartOwedPath,
  unitStateLookups,
  unitStateOf,
} from '../common/services.js';
import { render } from '../../render/index.js';
import { lookups, read, run } from '../../transport/lookups.js';

/** Where the two families' chrony packages keep things (Debian's chrony 4.x, RHEL 9's chrony 4.x defaults). */
const CHRONY = {
  debian: { config: '/etc/chrony/chrony.conf', unit: 'chrony', driftFile: '/var/lib/chrony/chrony.drift' },
  rhel: { config: '/etc/chrony.conf', unit: 'chronyd', driftFile: '/var/lib/chrony/drift' },
} as const;

const TIMESYNCD = 'systemd-timesyncd';

export const hostprepTimeSync = defineTask({
  id: 'hostprep.timesync',
  title: 'Host prep | Sync the clock with chrony from the inventory NTP servers',
  skip: (ctx) => !ctx.inventory.spec.hostPrep.timeSync && "hostPrep.timeSync is not set: the host's own time sync is left alone",
  osPackages: { debian: ['chrony'], rhel: ['chrony'] },
  changesStayOnHost: true,
  async plan(ctx) {
    const t = ctx.transport;
    const distro = ctx.host.requireDistro();
    const chrony = CHRONY[distro.family];
    const [config, packages, enabled, active, owed, timesyncd] = await lookups(t, [
      read(chrony.config),
      run(distro.packageStates(['chrony'])),
      ...unitStateLookups(chrony.unit),
      run(['test', '-e', restartOwedPath(chrony.unit)]),
      run(['systemctl', 'is-active', TIMESYNCD]),
    ]);
    const actions: Action[] = [];
    if (!distro.parsePackageStates(packages.stdout).has('chrony')) {
      actions.push(
        action('install chrony', async () => {
          await ensureFreshPackageIndex(ctx);
          await t.exec(distro.installPackages([['chrony', undefined]]), { timeoutMs: 600_000 });
        }),
      );
    }
    const desired = render('chrony/chrony.conf', { servers: ctx.inventory.spec.hostPrep.timeSync!.servers, driftFile: chrony.driftFile });
    const write = await fileAction(t, chrony.config, desired, { mode: '0644' }, config);
    if (write) actions.push(owingRestart(t, chrony.unit, write));
    if (timesyncd.stdout.trim() === 'active') {
      actions.push(
        action(
          `stop and disable ${TIMESYNCD} (chrony sets the clock)`,
          async () => void (await t.exec(['systemctl', 'disable', '--now', TIMESYNCD])),
        ),
      );
    }
    const state = unitStateOf(enabled, active);
    if (!state.enabled)
      actions.push(action(`enable ${chrony.unit}`, async () => void (await t.exec(['systemctl', 'enable', chrony.unit]))));
    if (write || owed.code === 0 || !state.active) {
      const why = write ? `${chrony.config} changed` : owed.code === 0 ? RESTART_OWED_REASON : 'not running';
      actions.push(restartClearingOwed(t, chrony.unit, why));
    }
    return actions;
  },
});
