import { describe, expect, it } from 'vitest';
import { hostprepSwap, fstabWithoutSwap } from '../../../src/tasks/hostprep/swap.js';
import { hostprepSelinux } from '../../../src/tasks/hostprep/selinux.js';
import { hostprepFirewall } from '../../../src/tasks/hostprep/firewall.js';
import { hostprepModules } from '../../../src/tasks/hostprep/modules.js';
import { hostprepSysctl } from '../../../src/tasks/hostprep/sysctl.js';
import { hostprepEtcHosts, withHostsBlock } from '../../../src/tasks/hostprep/etchosts.js';
import { hostprepHostname } from '../../../src/tasks/hostprep/hostname.js';
import { converge, expectReadOnly, harness } from './helpers/context.js';
import { makeInventory } from './helpers/inventory.js';

const FSTAB = 'UUID=abc / ext4 defaults 0 1\n/swapfile none swap sw 0 0\n# /old none swap sw 0 0\n';

describe('hostprep.swap', () => {
  it('turns swap off, masks swap units, comments fstab; then ok', async () => {
    const h = harness(makeInventory());
    const t = h.t('cp1').setFile('/etc/fstab', FSTAB);
    let on = true;
    let masked = false;
    t.allow('swapon --show', () => ({ stdout: on ? '/swapfile\n' : '' }))
      .allow('swapoff -a', () => ((on = false), {}))
      .allow('systemctl list-unit-files --type=swap', () => ({ stdout: `swapfile.swap ${masked ? 'masked' : 'generated'} -\n` }))
      .allow('systemctl mask --now swapfile.swap', () => ((masked = true), {}));
    const check = await hostprepSwap.check(h.ctx('cp1'));
    expectReadOnly(t);
    expect(check.status === 'change' && check.changes.map((c) => c.summary)).toEqual([
      'turn swap off now: /swapfile',
      'mask swapfile.swap',
      'update /etc/fstab',
    ]);
    await converge(hostprepSwap, h.ctx('cp1'), [t]);
    expect(t.fileText('/etc/fstab')).toBe(
      'UUID=abc / ext4 defaults 0 1\n#kubesmith-swap-off# /swapfile none swap sw 0 0\n# /old none swap sw 0 0\n',
    );
  });

  it('fstabWithoutSwap is idempotent and leaves other lines alone', () => {
    expect(fstabWithoutSwap(fstabWithoutSwap(FSTAB))).toBe(fstabWithoutSwap(FSTAB));
  });

  it('is skipped with hostPrep.swap: keep', async () => {
    const h = harness(makeInventory({ hostPrep: { swap: 'keep' } }));
    expect((await hostprepSwap.check(h.ctx('cp1'))).status).toBe('skip');
    expect(h.t('cp1').calls).toEqual([]);
  });
});

describe('hostprep.selinux', () => {
  it('sets permissive now and in /etc/selinux/config on RHEL', async () => {
    const h = harness(makeInventory(), { family: 'rhel', facts: () => ({ selinux: 'enforcing' }) });
    const t = h.t('w1').setFile('/etc/selinux/config', '# c\nSELINUX=enforcing\nSELINUXTYPE=targeted\n');
    let mode = 'Enforcing';
    t.allow('getenforce', () => ({ stdout: `${mode}\n` })).allow('setenforce 0', () => ((mode = 'Permissive'), {}));
    const changes = await converge(hostprepSelinux, h.ctx('w1'), [t]);
    expect(changes.map((c) => c.summary)).toEqual(['set SELinux permissive now (setenforce 0)', 'update /etc/selinux/config']);
    expect(changes[1]!.diff).toContain('+SELINUX=permissive');
    expect(t.fileText('/etc/selinux/config')).toBe('# c\nSELINUX=permissive\nSELINUXTYPE=targeted\n');
  });

  it('is skipped where SELinux is absent', async () => {
    const h = harness(makeInventory());
    expect(await hostprepSelinux.check(h.ctx('cp1'))).toMatchObject({ status: 'skip' });
  });
});

describe('hostprep.firewall', () => {
  it('disables firewalld', async () => {
    const h = harness(makeInventory(), { family: 'rhel' });
    const t = h.t('cp1');
    let on = true;
    t.allow('systemctl is-enabled firewalld', () => ({ code: on ? 0 : 1, stdout: on ? 'enabled\n' : 'disabled\n' }))
      .allow('systemctl is-active firewalld', () => ({ code: on ? 0 : 3, stdout: on ? 'active\n' : 'inactive\n' }))
      .allow('systemctl disable --now firewalld', () => ((on = false), {}));
    expect((await converge(hostprepFirewall, h.ctx('cp1'), [t])).map((c) => c.summary)).toEqual(['stop and disable firewalld']);
  });

  it('opens exactly the missing control-plane and flannel ports with ufw', async () => {
    const h = harness(makeInventory({ hostPrep: { firewall: 'open-ports' } }));
    const t = h.t('cp1');
    const open = new Set(['6443/tcp']);
    t.allow('ufw status', () => ({
      stdout: `Status: active\n\nTo Action From\n${[...open].map((p) => `${p.replace('-', ':')} ALLOW Anywhere`).join('\n')}\n`,
    })).allow(/^ufw allow /, (call) => (open.add(call.command.split(' ')[2]!.replace(':', '-')), {}));
    const changes = await converge(hostprepFirewall, h.ctx('cp1'), [t]);
    expect(changes[0]!.summary).toBe('open 2379-2380/tcp 10250/tcp 10257/tcp 10259/tcp 8472/udp in ufw');
    expect(t.commands.filter((c) => c.startsWith('ufw allow'))).toContain('ufw allow 2379:2380/tcp');
  });
});

describe('hostprep.modules and hostprep.sysctl', () => {
  it('writes modules-load.d and loads what is missing (ipvs modules with proxyMode ipvs)', async () => {
    const h = harness(makeInventory({ kubernetes: { proxyMode: 'ipvs' } }));
    const t = h.t('w1');
    const loaded = new Set(['overlay']);
    t.allow('lsmod', () => ({ stdout: `Module Size Used\n${[...loaded].map((m) => `${m} 1 0`).join('\n')}\n` })).allow(
      /^modprobe -a /,
      (c) => (
        c.command
          .split(' ')
          .slice(2)
          .forEach((m) => loaded.add(m)),
        {}
      ),
    );
    const changes = await converge(hostprepModules, h.ctx('w1'), [t]);
    expect(changes.map((c) => c.summary)).toEqual([
      'create /etc/modules-load.d/k8s.conf',
      'load br_netfilter ip_vs ip_vs_rr ip_vs_wrr ip_vs_sh nf_conntrack',
    ]);
    expect(t.fileText('/etc/modules-load.d/k8s.conf')).toContain('\nbr_netfilter\nip_vs\n');
  });

  it('writes sysctl.d and applies it when a live value differs', async () => {
    const h = harness(makeInventory());
    const t = h.t('w1');
    const live: Record<string, string> = { 'net.ipv4.ip_forward': '0' };
    t.allow(/^sysctl -n /, (c) => {
      const v = live[c.command.split(' ')[2]!];
      return v === undefined ? { code: 255, stderr: 'unknown key' } : { stdout: `${v}\n` };
    }).allow('sysctl --system', () => {
      for (const k of ['net.ipv4.ip_forward', 'net.bridge.bridge-nf-call-iptables', 'net.bridge.bridge-nf-call-ip6tables']) live[k] = '1';
      return {};
    });
    const changes = await converge(hostprepSysctl, h.ctx('w1'), [t]);
    expect(changes.map((c) => c.summary)[0]).toBe('create /etc/sysctl.d/k8s.conf');
    expect(changes[1]!.summary).toContain('net.ipv4.ip_forward=1');
  });
});

describe('hostprep.etchosts', () => {
  it('adds a managed block, keeps other lines, replaces only the block later', async () => {
    const h = harness(makeInventory());
    const t = h.t('w2').setFile('/etc/hosts', '127.0.0.1 localhost\n::1 ip6-localhost\n');
    await converge(hostprepEtcHosts, h.ctx('w2'), [t]);
    expect(t.fileText('/etc/hosts')).toBe(
      '127.0.0.1 localhost\n::1 ip6-localhost\n# BEGIN kubesmith\n10.199.0.10 cp1\n10.199.0.11 w1\n10.199.0.12 w2\n# END kubesmith\n',
    );
    const edited = withHostsBlock(`${t.fileText('/etc/hosts')}10.1.1.1 other\n`, '# BEGIN kubesmith\n1.1.1.1 x\n# END kubesmith');
    expect(edited).toBe('127.0.0.1 localhost\n::1 ip6-localhost\n# BEGIN kubesmith\n1.1.1.1 x\n# END kubesmith\n10.1.1.1 other\n');
  });
});

describe('hostprep.hostname', () => {
  it('sets the inventory name with hostnamectl', async () => {
    const h = harness(makeInventory(), { facts: () => ({ hostname: 'debian' }) });
    const t = h.t('w1');
    t.allow('hostnamectl set-hostname w1');
    expect((await converge(hostprepHostname, h.ctx('w1'), [t]))[0]!.summary).toBe('set hostname debian → w1');
    // The current name comes from the facts of this run: the check itself runs no command.
    expect(t.commands).toEqual(['hostnamectl set-hostname w1']);
  });
});
