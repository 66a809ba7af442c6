import { afterEach, describe, expect, it } from 'vitest';
import { Sandbox } from './sandbox.js';

let sb: Sandbox;
afterEach(() => sb?.dispose());

describe('modprobe / lsmod / rmmod', () => {
  it('loads dependencies, shows the lsmod table and the /proc/modules view', () => {
    sb = new Sandbox();
    sb.ok('modprobe', 'br_netfilter');
    expect(sb.ok('lsmod')).toBe(
      [
        'Module                  Size  Used by',
        'br_netfilter           32768  0',
        'bridge                311296  1 br_netfilter',
        'stp                    16384  1 bridge',
        'llc                    16384  2 stp,bridge',
        '',
      ].join('\n'),
    );
    expect(sb.read('/run/lab/proc-modules')).toMatch(/^bridge 311296 1 br_netfilter, Live 0x0+$/m);
    expect(sb.run('rmmod', ['bridge'])).toMatchObject({ code: 1, stderr: 'rmmod: ERROR: Module bridge is in use by: br_netfilter\n' });
    sb.ok('modprobe', '-r', 'br_netfilter');
    expect(sb.ok('lsmod')).toBe('Module                  Size  Used by\n');
  });

  it('treats extra names as module parameters unless -a, and rejects unknown modules', () => {
    sb = new Sandbox();
    sb.ok('modprobe', 'overlay', 'br_netfilter');
    expect(sb.ok('lsmod')).not.toMatch(/br_netfilter/);
    sb.ok('modprobe', '-a', 'overlay', 'br_netfilter');
    expect(sb.ok('lsmod')).toMatch(/^br_netfilter /m);
    const r = sb.run('modprobe', ['nf_conntrack_ipv4']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^modprobe: FATAL: Module nf_conntrack_ipv4 not found in directory \/lib\/modules\/\S+\n$/);
  });

  it('loads modules-load.d at boot', () => {
    sb = new Sandbox().boot();
    expect(sb.ok('lsmod')).not.toMatch(/br_netfilter/);
    sb.write('/etc/modules-load.d/k8s.conf', 'overlay\nbr_netfilter\n');
    sb.ok('lab-boot');
    expect(sb.ok('lsmod')).toMatch(/^br_netfilter /m);
    expect(sb.ok('lsmod')).toMatch(/^overlay /m);
  });
});

describe('sysctl', () => {
  it('net.bridge keys exist only with br_netfilter loaded', () => {
    sb = new Sandbox();
    const r = sb.run('sysctl', ['net.bridge.bridge-nf-call-iptables']);
    expect(r).toMatchObject({
      code: 255,
      stderr: 'sysctl: cannot stat /proc/sys/net/bridge/bridge-nf-call-iptables: No such file or directory\n',
    });
    expect(sb.run('sysctl', ['-w', 'net.bridge.bridge-nf-call-iptables=1']).code).toBe(255);
    sb.ok('modprobe', 'br_netfilter');
    expect(sb.ok('sysctl', 'net.bridge.bridge-nf-call-iptables')).toBe('net.bridge.bridge-nf-call-iptables = 1\n');
    expect(sb.ok('sysctl', '-w', 'net.bridge.bridge-nf-call-iptables=0')).toBe('net.bridge.bridge-nf-call-iptables = 0\n');
    expect(sb.ok('sysctl', '-n', 'net/bridge/bridge-nf-call-iptables')).toBe('0\n');
    // unloading the module drops its settings: reloading starts from the kernel default again
    sb.ok('modprobe', '-r', 'br_netfilter');
    sb.ok('modprobe', 'br_netfilter');
    expect(sb.ok('sysctl', '-n', 'net.bridge.bridge-nf-call-iptables')).toBe('1\n');
  });

  it('--system applies sysctl.d files in name order, /etc over /usr/lib for the same name, sysctl.conf last', () => {
    sb = new Sandbox();
    sb.write('/usr/lib/sysctl.d/50-default.conf', 'vm.swappiness = 10\nkernel.pid_max = 4194304\n');
    sb.write('/usr/lib/sysctl.d/99-k8s.conf', 'vm.swappiness = 1\n');
    sb.write(
      '/etc/sysctl.d/99-k8s.conf',
      '# kubesmith\nvm.swappiness=30\nnet.ipv4.ip_forward = 1\n-net.bridge.bridge-nf-call-iptables = 1\n',
    );
    sb.write('/etc/sysctl.d/10-a.conf', 'vm.overcommit_memory = 1\n');
    sb.write('/etc/sysctl.conf', 'vm.overcommit_memory = 2\n');
    const r = sb.run('sysctl', ['--system']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        '* Applying /etc/sysctl.d/10-a.conf ...',
        'vm.overcommit_memory = 1',
        '* Applying /usr/lib/sysctl.d/50-default.conf ...',
        'vm.swappiness = 10',
        'kernel.pid_max = 4194304',
        '* Applying /etc/sysctl.d/99-k8s.conf ...',
        'vm.swappiness = 30',
        'net.ipv4.ip_forward = 1',
        '* Applying /etc/sysctl.conf ...',
        'vm.overcommit_memory = 2',
        '',
      ].join('\n'),
    );
    expect(r.stderr).toBe('');
    expect(sb.ok('sysctl', '-n', 'vm.swappiness', 'net.ipv4.ip_forward', 'vm.overcommit_memory')).toBe('30\n1\n2\n');
    expect(sb.run('sysctl', ['-w', 'no.such.key=1'])).toMatchObject({
      code: 255,
      stderr: 'sysctl: cannot stat /proc/sys/no/such/key: No such file or directory\n',
    });
  });

  it('-p applies one file', () => {
    sb = new Sandbox();
    sb.write('/etc/sysctl.d/k8s.conf', 'net.ipv4.ip_forward = 1\n');
    expect(sb.ok('sysctl', '-p', '/etc/sysctl.d/k8s.conf')).toBe('net.ipv4.ip_forward = 1\n');
    expect(sb.run('sysctl', ['-p', '/etc/nope.conf']).stderr).toBe('sysctl: cannot open "/etc/nope.conf": No such file or directory\n');
  });
});
