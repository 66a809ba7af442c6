import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, Sandbox } from './sandbox.js';

let sb: Sandbox;
beforeAll(ensureBuilt, 120_000);
afterEach(() => sb?.dispose());

describe('SELinux (rocky9 only)', () => {
  it('starts Enforcing; setenforce 0 is runtime only; the config edit applies at the next boot', () => {
    sb = new Sandbox('rocky9').boot();
    expect(sb.ok('getenforce')).toBe('Enforcing\n');
    sb.ok('setenforce', '0');
    expect(sb.ok('getenforce')).toBe('Permissive\n');
    sb.ok('lab-boot');
    expect(sb.ok('getenforce')).toBe('Enforcing\n');
    sb.write('/etc/selinux/config', sb.read('/etc/selinux/config')!.replace(/^SELINUX=enforcing$/m, 'SELINUX=permissive'));
    expect(sb.ok('getenforce')).toBe('Enforcing\n');
    sb.ok('reboot');
    expect(sb.read('/run/lab/reboot-requested')).toMatch(/^reboot \d+\n$/);
    sb.ok('lab-boot');
    expect(sb.ok('getenforce')).toBe('Permissive\n');
    expect(sb.ok('sestatus')).toMatch(/^Current mode:\s+permissive\nMode from config file:\s+permissive$/m);
    expect(sb.run('setenforce', ['maybe'])).toMatchObject({ code: 1, stderr: 'usage:  setenforce [ Enforcing | Permissive | 1 | 0 ]\n' });
  });

  it('does not exist on Debian/Ubuntu personas', () => {
    sb = new Sandbox('debian12').boot();
    expect(sb.run('getenforce')).toMatchObject({ code: 127, stderr: 'bash: getenforce: command not found\n' });
    expect(sb.exists('/etc/selinux/config')).toBe(false);
  });
});

describe('firewalls', () => {
  it('firewall-cmd: permanent ports show up after --reload, only while firewalld runs', () => {
    sb = new Sandbox('rocky9').boot();
    expect(sb.run('firewall-cmd', ['--state'])).toMatchObject({ code: 0, stdout: 'running\n' });
    expect(sb.ok('firewall-cmd', '--permanent', '--add-port=6443/tcp', '--add-port=2379-2380/tcp')).toBe('success\n');
    expect(sb.ok('firewall-cmd', '--list-ports')).toBe('\n');
    expect(sb.ok('firewall-cmd', '--reload')).toBe('success\n');
    expect(sb.ok('firewall-cmd', '--list-ports')).toBe('6443/tcp 2379-2380/tcp\n');
    expect(sb.run('firewall-cmd', ['--permanent', '--add-port=6443/tcp']).stderr).toBe('Warning: ALREADY_ENABLED: 6443:tcp\n');
    sb.ok('systemctl', 'stop', 'firewalld');
    expect(sb.run('firewall-cmd', ['--state'])).toMatchObject({ code: 252, stderr: 'not running\n' });
    expect(sb.run('firewall-cmd', ['--list-ports'])).toMatchObject({ code: 252, stderr: 'FirewallD is not running\n' });
    sb.ok('systemctl', 'start', 'firewalld');
    expect(sb.ok('firewall-cmd', '--list-ports')).toBe('6443/tcp 2379-2380/tcp\n');
  });

  it('ufw: installed inactive on Ubuntu, enable needs --force without a terminal', () => {
    sb = new Sandbox('ubuntu2204').boot();
    expect(sb.ok('ufw', 'status')).toBe('Status: inactive\n');
    expect(sb.ok('ufw', 'allow', '6443/tcp')).toBe('Rules updated\nRules updated (v6)\n');
    expect(sb.ok('ufw', 'enable')).toMatch(/Aborted\n$/);
    expect(sb.ok('ufw', '--force', 'enable')).toBe('Firewall is active and enabled on system startup\n');
    expect(sb.read('/etc/ufw/ufw.conf')).toMatch(/^ENABLED=yes$/m);
    expect(sb.ok('ufw', 'status')).toBe(
      'Status: active\n\nTo                         Action      From\n--                         ------      ----\n' +
        '6443/tcp                   ALLOW       Anywhere                  \n6443/tcp (v6)              ALLOW       Anywhere (v6)             \n\n',
    ); // as ufw 0.36.2 pads and ends it
    expect(sb.run('firewall-cmd', ['--state']).code).toBe(127);
  });
});

describe('identity and time', () => {
  it('hostnamectl set-hostname writes /etc/hostname (and touches no real hostname outside a host)', () => {
    sb = new Sandbox('debian12').boot();
    sb.ok('hostnamectl', 'set-hostname', 'cp-1');
    expect(sb.read('/etc/hostname')).toBe('cp-1\n');
    expect(sb.ok('hostnamectl', 'hostname')).toBe('cp-1\n');
    expect(sb.ok('hostnamectl')).toMatch(/^ Static hostname: cp-1\n[\s\S]*Operating System: Debian GNU\/Linux 12 \(bookworm\)$/m);
    expect(sb.run('hostnamectl', ['set-hostname', 'bad_name!']).code).toBe(1);
  });

  it('timedatectl set-ntp drives the persona NTP unit; date adds the clock skew and refuses -s', () => {
    sb = new Sandbox('rocky9').boot();
    expect(sb.ok('timedatectl')).toMatch(/^System clock synchronized: yes\n\s+NTP service: active$/m);
    sb.ok('timedatectl', 'set-ntp', 'false');
    expect(sb.run('systemctl', ['is-active', 'chronyd']).stdout).toBe('inactive\n');
    expect(sb.ok('timedatectl')).toMatch(/NTP service: inactive/);
    const now = Math.floor(Date.now() / 1000);
    sb.write('/etc/lab/clock-skew', '-86400\n');
    const skewed = Number(sb.ok('date', '+%s'));
    expect(Math.abs(skewed - (now - 86400))).toBeLessThan(5);
    expect(sb.ok('date', '-u', '-d', '@0', '-Iseconds')).toBe('1970-01-01T00:00:00+00:00\n');
    expect(sb.run('date', ['-s', '2020-01-01'])).toMatchObject({ code: 1, stderr: 'date: cannot set date: Operation not permitted\n' });
  });
});
