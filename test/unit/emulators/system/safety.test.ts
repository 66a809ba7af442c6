// The emulators must never change the machine: run all of them (by name, through PATH) with typical arguments and
// compare the machine's own swap, modules, sysctls, hostname and system files before and after.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { BIN, ensureBuilt, Sandbox } from './sandbox.js';

const read = (p: string): string => {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '<absent>';
  }
};
const list = (p: string): string => {
  try {
    return readdirSync(p).sort().join(',');
  } catch {
    return '<absent>';
  }
};

function machineState(): Record<string, string> {
  return {
    swaps: read('/proc/swaps'),
    modules: read('/proc/modules')
      .split('\n')
      .map((l) => l.split(' ')[0])
      .sort()
      .join(','),
    swappiness: read('/proc/sys/vm/swappiness'),
    ipForward: read('/proc/sys/net/ipv4/ip_forward'),
    bridgeNf: read('/proc/sys/net/bridge/bridge-nf-call-iptables'),
    overcommit: read('/proc/sys/vm/overcommit_memory'),
    hostname: hostname(),
    etcHostname: read('/etc/hostname'),
    osRelease: read('/etc/os-release'),
    fstab: read('/etc/fstab'),
    selinux: list('/etc/selinux'),
    etcUnits: list('/etc/systemd/system'),
    etcWants: list('/etc/systemd/system/multi-user.target.wants'),
    libUnits: list('/usr/lib/systemd/system'),
    aptSources: list('/etc/apt/sources.list.d'),
    labRun: list('/run/lab'),
    labVar: list('/var/lib/lab'),
  };
}

const SCRIPT = `
set +e
lab-host-init; lab-boot
swapoff -a; swapon -a; swapoff /swap.img; swapon --show; free -h
modprobe overlay; modprobe -a br_netfilter ip_vs; lsmod; rmmod ip_vs; modprobe -r br_netfilter
sysctl -w net.ipv4.ip_forward=1 vm.swappiness=0 vm.overcommit_memory=1 kernel.panic=10
modprobe br_netfilter; sysctl -w net.bridge.bridge-nf-call-iptables=1; printf 'net.ipv4.ip_forward=1\\n' > "$LAB_FS_ROOT/etc/sysctl.d/k8s.conf"; sysctl --system
systemctl daemon-reload; systemctl enable --now ssh; systemctl restart sshd; systemctl mask swap.img.swap; systemctl stop systemd-timesyncd
systemctl disable --now ssh; systemctl reboot; systemctl poweroff
hostnamectl set-hostname evil-host; hostnamectl; timedatectl set-ntp false; timedatectl set-timezone Asia/Shanghai
reboot; shutdown -r now; poweroff; halt
date; date -s '2001-01-01 00:00:00'; date --set=@0
ufw --force enable; ufw allow 6443/tcp
apt-get update; apt-get install -y curl; apt-mark hold curl; dpkg -l; dpkg-query -W
LAB_OS=rocky9 getenforce; LAB_OS=rocky9 setenforce 0; LAB_OS=rocky9 sestatus; LAB_OS=rocky9 firewall-cmd --permanent --add-port=6443/tcp
LAB_OS=rocky9 dnf install -y socat; LAB_OS=rocky9 rpm -q socat; LAB_OS=rocky9 yum list installed
exit 0
`;

let sb: Sandbox;
beforeAll(ensureBuilt, 120_000);
afterAll(() => sb?.dispose());

describe('safety: emulators leave the machine alone', () => {
  it('a full round of every emulator through PATH changes nothing on the machine', () => {
    const before = machineState();
    sb = new Sandbox('ubuntu2404');
    const r = spawnSync('bash', ['-c', SCRIPT], { env: sb.env, encoding: 'utf8', timeout: 120_000 });
    expect(r.status).toBe(0);
    // the round really ran against the sandbox
    expect(sb.read('/etc/hostname')).toBe('evil-host\n');
    expect(sb.read('/run/lab/reboot-requested')).toMatch(/^halt /);
    expect(sb.read('/run/lab/swaps')).toBe('Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n');
    expect(sb.read('/run/lab/sysctl/vm.swappiness')).toBe('0\n');
    expect(machineState()).toEqual(before);
  });

  it('without LAB_FS_ROOT, outside a lab host, every emulator refuses before acting', () => {
    const before = machineState();
    const env: Record<string, string> = { PATH: `${BIN}:/usr/bin:/bin`, HOME: '/tmp' };
    for (const cmd of [
      'swapoff -a',
      'swapon -a',
      'modprobe br_netfilter',
      'sysctl -w vm.swappiness=1',
      'systemctl enable --now ssh',
      'hostnamectl set-hostname evil',
      'reboot',
      'setenforce 0',
      'ufw --force enable',
      'firewall-cmd --reload',
      'date -s @0',
      'apt-get install -y curl',
      'dnf install -y socat',
      'lab-host-init',
      'lab-boot',
    ]) {
      const r = spawnSync('bash', ['-c', cmd], { env, encoding: 'utf8' });
      expect(r.status, cmd).toBe(2);
    }
    expect(machineState()).toEqual(before);
  });
});
