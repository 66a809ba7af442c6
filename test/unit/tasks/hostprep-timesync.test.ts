/** hostprep.timesync over recording transports: chrony installed, configured from the inventory, one time client. */
import { describe, expect, it } from 'vitest';
import { hostprepTimeSync } from '../../../src/tasks/hostprep/timesync.js';
import type { RecordingTransport } from '../../../src/transport/recording.js';
import { converge, expectReadOnly, harness } from './helpers/context.js';
import { makeInventory } from './helpers/inventory.js';

const timeSync = { hostPrep: { timeSync: { servers: ['ntp1.example.internal', '10.0.0.123'] } } };

/** A host's chrony: package, unit states and systemd-timesyncd, answering the task's look-ups and commands. */
function host(t: RecordingTransport, unit: string, start: { installed: boolean; timesyncd: boolean }) {
  const s = {
    installed: start.installed,
    enabled: start.installed,
    active: start.installed,
    timesyncd: start.timesyncd,
    restarts: 0,
    owed: false,
  };
  const owedPath = `/var/lib/kubesmith/restart-owed/${unit}`;
  const pkgLine = (family: 'deb' | 'rpm') => (family === 'deb' ? 'chrony|install ok installed|4.3-2+deb12u1\n' : 'chrony|4.6.1-1.el9\n');
  t.allow(/^dpkg-query -W/, () => (s.installed ? { stdout: pkgLine('deb') } : { code: 1, stdout: '' }))
    .allow(/^rpm -q/, () => (s.installed ? { stdout: pkgLine('rpm') } : { code: 1, stdout: 'package chrony is not installed\n' }))
    .allow(/(apt-get update|dnf makecache)/, () => ({}))
    .allow(/install -y .*chrony/, () => ((s.installed = true), {}))
    .allow(`systemctl is-enabled ${unit}`, () => (s.enabled ? { stdout: 'enabled\n' } : { code: 1, stdout: 'disabled\n' }))
    .allow(`systemctl is-active ${unit}`, () => (s.active ? { stdout: 'active\n' } : { code: 3, stdout: 'inactive\n' }))
    .allow(`systemctl enable ${unit}`, () => ((s.enabled = true), {}))
    .allow(`test -e ${owedPath}`, () => ({ code: s.owed ? 0 : 1 }))
    .allow(/^mkdir -p \/var\/lib\/kubesmith\/restart-owed && : > /, () => ((s.owed = true), {}))
    .allow(`systemctl restart ${unit} && rm -f ${owedPath}`, () => ((s.active = true), (s.owed = false), s.restarts++, {}))
    .allow('systemctl is-active systemd-timesyncd', () => (s.timesyncd ? { stdout: 'active\n' } : { code: 3, stdout: 'inactive\n' }))
    .allow('systemctl disable --now systemd-timesyncd', () => ((s.timesyncd = false), {}));
  return s;
}

describe('hostprep.timesync', () => {
  it('Debian: installs chrony, writes its configuration, stops systemd-timesyncd, runs chrony; then nothing to do', async () => {
    const h = harness(makeInventory(timeSync));
    const t = h.t('cp1');
    const s = host(t, 'chrony', { installed: false, timesyncd: true });
    const check = await hostprepTimeSync.check(h.ctx('cp1'));
    expectReadOnly(t);
    expect(check.status === 'change' && check.changes.map((c) => c.summary)).toEqual([
      'install chrony',
      'create /etc/chrony/chrony.conf',
      'stop and disable systemd-timesyncd (chrony sets the clock)',
      'enable chrony',
      'restart chrony (/etc/chrony/chrony.conf changed)',
    ]);
    await converge(hostprepTimeSync, h.ctx('cp1'), [t]);
    const conf = t.fileText('/etc/chrony/chrony.conf');
    expect(conf).toContain('server ntp1.example.internal iburst\nserver 10.0.0.123 iburst\n');
    expect(conf).toContain('driftfile /var/lib/chrony/chrony.drift\n');
    await expect(conf).toMatchFileSnapshot('../render/__golden__/chrony-debian.conf');
    expect(s).toMatchObject({ installed: true, enabled: true, active: true, timesyncd: false, restarts: 1 });
    expect(await hostprepTimeSync.check(h.ctx('cp1'))).toEqual({ status: 'ok' });
  });

  it('RHEL: chronyd and /etc/chrony.conf; a changed server list rewrites the file and restarts chronyd only', async () => {
    const h = harness(makeInventory(timeSync), { family: 'rhel' });
    const t = h.t('w1').setFile('/etc/chrony.conf', 'pool 2.rocky.pool.ntp.org iburst\ndriftfile /var/lib/chrony/drift\n');
    host(t, 'chronyd', { installed: true, timesyncd: false });
    const changes = await converge(hostprepTimeSync, h.ctx('w1'), [t]);
    expect(changes.map((c) => c.summary)).toEqual(['update /etc/chrony.conf', 'restart chronyd (/etc/chrony.conf changed)']);
    expect(changes[0]!.diff).toContain('-pool 2.rocky.pool.ntp.org iburst');
    expect(t.fileText('/etc/chrony.conf')).toContain('driftfile /var/lib/chrony/drift\n');
  });

  it('restarts chrony when a killed run left the restart owed, although the file already matches', async () => {
    const h = harness(makeInventory(timeSync));
    const t = h.t('cp1');
    const s = host(t, 'chrony', { installed: false, timesyncd: false });
    await converge(hostprepTimeSync, h.ctx('cp1'), [t]);
    s.owed = true; // as if a run was killed between writing the file and restarting
    const again = await hostprepTimeSync.check(h.ctx('cp1'));
    expect(again.status === 'change' && again.changes.map((c) => c.summary)).toEqual([
      'restart chrony (a run stopped after changing its configuration, before restarting it)',
    ]);
    await converge(hostprepTimeSync, h.ctx('cp1'), [t]);
    expect(s).toMatchObject({ restarts: 2, owed: false });
  });

  it('is skipped, touching nothing, when hostPrep.timeSync is not set', async () => {
    const h = harness(makeInventory());
    expect(await hostprepTimeSync.check(h.ctx('cp1'))).toEqual({
      status: 'skip',
      reason: "hostPrep.timeSync is not set: the host's own time sync is left alone",
    });
    expect(h.t('cp1').calls).toEqual([]);
  });
});
