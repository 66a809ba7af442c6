/** Kubesmith's parsers on the real outputs of test/fixtures/real: dpkg-query, rpm, systemctl, ufw, firewall-cmd, host-prep look-ups, sha256sum. */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { debianDistro, rhelDistro } from '../../../src/distro/index.js';
import { commandText } from '../../../src/transport/command.js';
import { isEnabled, unitStateOf } from '../../../src/tasks/common/services.js';
import { firewalld, ufw } from '../../../src/tasks/hostprep/firewall-tools.js';
import type { Transport } from '../../../src/transport/types.js';
import { hostprepSwap } from '../../../src/tasks/hostprep/swap.js';
import { hostprepModules } from '../../../src/tasks/hostprep/modules.js';
import { hostprepSysctl } from '../../../src/tasks/hostprep/sysctl.js';
import { expectReadOnly, harness } from '../tasks/helpers/context.js';
import { makeInventory } from '../tasks/helpers/inventory.js';
import { remoteSums } from '../../../src/tasks/offline/upload.js';
import { real, realResult, REAL_DIR } from './real.js';
import { runSh, stubDir } from './shell.js';

describe('dpkg-query 1.21.22 (recorded)', () => {
  const deb = debianDistro('Debian 12');
  it('package states: installed, held, deinstall-selected; absent ones are not listed', () => {
    const states = deb.parsePackageStates(real('dpkg-query', 'package-states.txt'));
    expect([...states.entries()]).toEqual([
      ['containerd', { version: '1.6.20~ds1-1+deb12u3', held: false }],
      ['openssl', { version: '3.0.19-1~deb12u2', held: true }],
    ]);
    // "deinstall ok installed" (selected for removal) counts as not installed: apt-get install re-selects it.
    expect(states.has('etcd-client')).toBe(false);
    expect(states.has('kubelet')).toBe(false);
  });
  it('installedVersion: its sed, run on the real dpkg-query output, gives the version (held or not)', () => {
    const bin = stubDir({ 'dpkg-query': `cat ${JSON.stringify(join(REAL_DIR, 'dpkg-query'))}/"$FX_FILE"` });
    try {
      const text = commandText(deb.installedVersion('openssl'));
      expect(runSh(`FX_FILE=installed-version-held.txt; export FX_FILE; ${text}`, bin).trim()).toBe('3.0.19-1~deb12u2');
      expect(runSh(`FX_FILE=installed-version.txt; export FX_FILE; ${text}`, bin).trim()).toBe('1.6.20~ds1-1+deb12u3');
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});

describe('rpm 4.18 (recorded)', () => {
  it('package states: installed ones; "package X is not installed" lines are ignored', () => {
    const states = rhelDistro('Rocky Linux 9', 'dnf').parsePackageStates(real('rpm', 'package-states.txt'));
    expect([...states.entries()]).toEqual([
      ['kubelet', { version: '1.34.1-150500.1.1', held: false }],
      ['kubeadm', { version: '1.34.1-150500.1.1', held: false }],
      ['containerd.io', { version: '1.7.27-3.1.el9', held: false }],
    ]);
  });
});

describe('systemctl (systemd 252)', () => {
  const cases = [
    ['enabled', true],
    ['static', true],
    ['disabled', false],
    ['masked', false],
    ['not-found', false],
  ] as const;
  for (const [state, expected] of cases) {
    it(`is-enabled ${state} → ${expected}`, () => {
      expect(isEnabled(realResult('systemctl', `is-enabled-${state}.txt`))).toBe(expected);
    });
  }
  it('is-active active / inactive / failed', () => {
    const enabled = realResult('systemctl', 'is-enabled-enabled.txt');
    expect(unitStateOf(enabled, realResult('systemctl', 'is-active-active.txt'))).toEqual({ enabled: true, active: true });
    expect(unitStateOf(enabled, realResult('systemctl', 'is-active-inactive.txt')).active).toBe(false);
    expect(unitStateOf(enabled, realResult('systemctl', 'is-active-failed.txt')).active).toBe(false);
  });
});

describe('firewalls', () => {
  it('ufw status (active): v4 rules as port/proto, ranges a:b → a-b; v6 rows add nothing', () => {
    const r = realResult('ufw', 'status-active.txt');
    expect(ufw.isActive(r)).toBe(true);
    expect([...ufw.openRules(r)].sort()).toEqual(['10250/tcp', '22/tcp', '2379-2380/tcp', '6443/tcp']);
  });
  it('ufw status (inactive)', () => {
    expect(ufw.isActive(realResult('ufw', 'status-inactive.txt'))).toBe(false);
  });
  it('firewall-cmd --list-ports', () => {
    expect([...firewalld.openRules(realResult('firewall-cmd', 'list-ports.txt'))]).toEqual([
      '6443/tcp',
      '2379-2380/tcp',
      '10250/tcp',
      '10259/tcp',
      '10257/tcp',
    ]);
  });
});

describe('host-prep checks on real outputs (swapon, systemctl list-unit-files, lsmod, sysctl -n)', () => {
  it('hostprep.swap: swapon --show=NAME and list-unit-files --plain → swapoff, and mask every swap unit not already masked', async () => {
    const h = harness(makeInventory());
    const t = h.t('cp1');
    t.allow('swapon --show=NAME --noheadings', () => realResult('swapon', 'show-name-noheadings.txt')).allow(
      'systemctl list-unit-files --type=swap --no-legend --plain',
      () => realResult('systemctl', 'list-unit-files-swap.txt'),
    );
    const check = await hostprepSwap.check(h.ctx('cp1'));
    expectReadOnly(t);
    expect(check.status === 'change' && check.changes.map((c) => c.summary)).toEqual([
      'turn swap off now: /swap.img',
      'mask dev-sda2.swap',
      'mask swap.img.swap',
    ]);
  });
  it('hostprep.swap: no swap active (swapon prints nothing at all)', async () => {
    const h = harness(makeInventory());
    const t = h.t('cp1');
    t.allow('swapon --show=NAME --noheadings', () => realResult('swapon', 'show-name-noheadings-none.txt')).allow(
      'systemctl list-unit-files --type=swap --no-legend --plain',
      () => ({ code: 1, stdout: '' }),
    );
    expect(await hostprepSwap.check(h.ctx('cp1'))).toEqual({ status: 'ok' });
  });
  it('hostprep.modules: lsmod with br_netfilter and overlay loaded → nothing to load (the file is written)', async () => {
    const h = harness(makeInventory());
    const t = h.t('cp1');
    t.allow('lsmod', () => realResult('lsmod', 'lsmod.txt'));
    const check = await hostprepModules.check(h.ctx('cp1'));
    expect(check.status === 'change' && check.changes.map((c) => c.summary)).toEqual(['create /etc/modules-load.d/k8s.conf']);
  });
  it('hostprep.sysctl: sysctl -n values with their newline; ip_forward 0 differs, bridge-nf-call-iptables 1 matches', async () => {
    const h = harness(makeInventory());
    const t = h.t('cp1');
    t.allow('sysctl -n net.ipv4.ip_forward', () => realResult('sysctl', 'n-ip_forward.txt')).allow(
      /^sysctl -n net\.bridge\.bridge-nf-call-ip6?tables$/,
      () => realResult('sysctl', 'n-bridge-nf-call-iptables.txt'),
    );
    const check = await hostprepSysctl.check(h.ctx('cp1'));
    const apply = check.status === 'change' ? check.changes.map((c) => c.summary).find((s) => s.startsWith('apply sysctl')) : '';
    expect(apply).toBe('apply sysctl settings: net.ipv4.ip_forward=1');
  });
});

describe('sha256sum (GNU coreutils 9.1)', () => {
  it('offline upload: the sums of the files that exist, by path (a missing one prints nothing on stdout)', async () => {
    const t = { host: 'n1', exec: async () => realResult('sha256sum', 'two-paths.txt') } as unknown as Transport;
    expect([...(await remoteSums(t, ['/tmp/fx-sum', '/tmp/fx-missing'])).entries()]).toEqual([
      ['/tmp/fx-sum', createHash('sha256').update('hello\n').digest('hex')],
    ]);
  });
});
