import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Lab, labDown, labUp, mountsUnder } from './lab.js';
import { linksOf, hasUnreachableRoute, netnsNames } from './netns.js';
import { hostProcesses, startTime } from './procs.js';
import { isRoot, ROOT_SKIP_MESSAGE, sshRun } from './helpers/ssh.js';

if (!isRoot()) console.warn(`skipping test/lab/lab.test.ts: ${ROOT_SKIP_MESSAGE}`);

describe.skipIf(!isRoot())('lab hosts', () => {
  let lab: Lab;
  const hosts = [
    { name: 'cp1', os: 'debian12' as const },
    { name: 'cp2', os: 'ubuntu2204' as const },
    { name: 'w1', os: 'ubuntu2404' as const },
    { name: 'w2', os: 'rocky9' as const },
    { name: 'w3' },
  ];

  beforeAll(async () => {
    lab = await labUp({ name: 'labtest-hosts', hosts });
  });
  afterAll(async () => {
    if (lab) await labDown(lab.name);
  });

  it('brings up every host with its own address, persona and hostname, reachable over SSH', async () => {
    expect(lab.hosts.map((h) => h.name)).toEqual(['cp1', 'cp2', 'w1', 'w2', 'w3']);
    expect(new Set(lab.hosts.map((h) => h.ip)).size).toBe(5);
    const results = await Promise.all(lab.hosts.map((h) => sshRun(lab, h.name, 'hostname; . /etc/lab/env; echo "$LAB_IP $LAB_OS"')));
    results.forEach((r, i) => {
      const h = lab.hosts[i]!;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(`${h.name}\n${h.ip} ${h.os}\n`);
    });
    expect(lab.hosts[4]!.os).toBe('debian12');
  });

  it('lets the kube user log in and sudo without a password', async () => {
    const r = await sshRun(lab, 'w1', 'id -un; sudo -n id -u', 'kube');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('kube\n0\n');
    const local = await lab.exec('w1', 'id -un; echo "$HOME"; touch /etc/kube-probe 2>/dev/null || echo denied', { user: 'kube' });
    expect(local.stdout).toBe('kube\n/home/kube\ndenied\n');
  });

  it('keeps writes on one host invisible to the others and to the machine', async () => {
    const paths = [
      '/etc/kubesmith-lab-probe',
      '/var/lib/kubesmith-lab-probe',
      '/usr/local/bin/kubesmith-lab-probe',
      '/root/kubesmith-lab-probe',
    ];
    const w = await sshRun(lab, 'cp1', paths.map((p) => `echo on-cp1 > ${p}`).join(' && '));
    expect(w.code, w.stderr).toBe(0);
    for (const p of paths) {
      expect(lab.readFile('cp1', p)).toBe('on-cp1\n');
      expect(lab.readFile('cp2', p)).toBeNull();
      expect(existsSync(p)).toBe(false);
    }
  });

  it('gives hosts no route out of the lab subnet', async () => {
    // No default route: a connect to any address outside the subnet fails before a packet is sent.
    const r = await lab.exec('cp1', 'ip route show default | wc -l; exec 3<>/dev/tcp/192.0.2.1/80');
    expect(r.stdout).toBe('0\n');
    expect(r.stderr).toMatch(/Network is unreachable/);
    expect(readFileSync(`/proc/sys/net/ipv4/conf/ksl${lab.index}/forwarding`, 'utf8')).toBe('0\n');
    expect((await sshRun(lab, 'cp1', `exec 3<>/dev/tcp/${lab.hosts[1]!.ip}/22 && echo reached`)).stdout).toBe('reached\n');
  });

  it('keeps / read-only outside the private mounts and /proc/sys read-only outside net', async () => {
    const r = await lab.exec(
      'w2',
      'touch /kubesmith-probe; echo "root=$?"; echo 1 > /proc/sys/vm/swappiness; echo "vm=$?"; ' +
        'echo 1 > /proc/sys/net/ipv4/ip_forward; echo "net=$?"; touch /work/kubesmith-probe 2>/dev/null; echo "work=$?"',
    );
    expect(r.stdout).toContain('root=1');
    expect(r.stdout).toContain('vm=1');
    expect(r.stdout).toContain('net=0');
    expect(r.stdout).toContain('work=1');
    expect(r.stderr).toMatch(/Read-only file system/);
  });

  it('keeps the disk across crash and boot, with a fresh /run', async () => {
    await lab.exec('w3', 'echo kept > /var/lib/crash-probe; echo lost > /run/crash-probe; echo 1 > /proc/sys/net/ipv4/ip_forward');
    const old = lab.host('w3');
    const oldPid = old.pid;
    const oldStart = old.pidStart!;
    await lab.exec('w3', 'rm /etc/ssh/ssh_config');
    await lab.crash('w3');
    expect(startTime(oldPid) === oldStart).toBe(false);
    // Read while it is down: its disk, not its memory.
    expect(lab.readFile('w3', '/var/lib/crash-probe')).toBe('kept\n');
    expect(lab.readFile('w3', '/run/crash-probe')).toBeNull();
    expect(lab.readFile('w3', '/etc/passwd')).toMatch(/^kube:x:1000:/m);
    expect(lab.readFile('w3', '/etc/ssh/ssh_config')).toBeNull();
    expect(lab.readFile('w3', '/etc/ssh/sshd_config')).toBe(readFileSync('/etc/ssh/sshd_config', 'utf8'));
    expect(lab.readFile('w3', '/root/.ssh/authorized_keys')).toMatch(/^ssh-ed25519 /);
    expect((await sshRun(lab, 'w3', 'true')).code).not.toBe(0);
    await lab.boot('w3');
    const r = await sshRun(lab, 'w3', 'cat /var/lib/crash-probe; ls /run/crash-probe 2>&1 || true');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^kept\n.*No such file/);
    // A reboot resets the network namespace, as a real one resets net.* sysctls and firewall rules.
    expect(lab.readFile('w3', '/proc/sys/net/ipv4/ip_forward')).toBe('0\n');
  });

  it('cutLink makes SSH fail and restoreLink brings it back', async () => {
    await lab.cutLink('cp2');
    const cut = await sshRun(lab, 'cp2', 'true', 'root', 1);
    expect(cut.code).toBe(255);
    await lab.restoreLink('cp2');
    const back = await sshRun(lab, 'cp2', 'hostname');
    expect(back.stdout).toBe('cp2\n');
  });

  it('killSshd refuses connections until startSshd', async () => {
    await lab.killSshd('w1');
    const dead = await sshRun(lab, 'w1', 'true');
    expect(dead.code).toBe(255);
    expect(dead.stderr).toMatch(/refused/i);
    await lab.startSshd('w1');
    expect((await sshRun(lab, 'w1', 'hostname')).stdout).toBe('w1\n');
  });

  it('fillDisk makes writes fail with ENOSPC and keeps what was there', async () => {
    await lab.exec('cp1', 'mkdir -p /var/lib/full && echo old > /var/lib/full/a');
    await lab.fillDisk('cp1', '/var/lib/full');
    const r = await lab.exec('cp1', 'cat /var/lib/full/a; head -c 65536 /dev/zero > /var/lib/full/b');
    expect(r.stdout).toBe('old\n');
    expect(r.stderr).toMatch(/No space left on device/);
    await lab.unfillDisk('cp1', '/var/lib/full');
    expect((await lab.exec('cp1', 'head -c 65536 /dev/zero > /var/lib/full/b && echo ok')).stdout).toBe('ok\n');
  });

  it('writes fault rules and clock skew where emulators read them', async () => {
    await lab.failNext('w2', 'kubeadm', 2, 'hang');
    expect(lab.readFile('w2', '/var/lib/lab/faults/kubeadm')).toBe('2 hang\n');
    await lab.skewClock('w2', -3600);
    expect(lab.readFile('w2', '/etc/lab/clock-skew')).toBe('-3600\n');
    expect(lab.readFile('w1', '/etc/lab/clock-skew')).toBeNull();
  });

  it('down leaves no process, netns, mount or link, and keeps the unreachable route', async () => {
    const recorded = lab.record.hosts.map((h) => ({ pid: h.pid, start: h.pidStart! }));
    // Every process of every host (sshd, sessions, daemons an emulator started), not only the recorded PID 1s.
    await lab.exec('w1', 'setsid sleep 600 >/dev/null 2>&1 < /dev/null &');
    const all = lab.hosts.flatMap((h) => hostProcesses(h.pid)).map((pid) => ({ pid, start: startTime(pid) }));
    expect(all.length).toBeGreaterThan(lab.hosts.length * 2);
    const index = lab.index;
    await lab.down();
    for (const p of [...recorded, ...all]) expect(startTime(p.pid) === p.start).toBe(false);
    expect(netnsNames(index)).toEqual([]);
    expect(await linksOf(index)).toEqual([]);
    expect(mountsUnder(lab.root)).toEqual([]);
    expect(existsSync(lab.root)).toBe(false);
    expect(await hasUnreachableRoute()).toBe(true);
    // With the bridge gone, a connect to the instance's subnet fails at once instead of leaving the machine.
    const t0 = Date.now();
    const err = await new Promise<NodeJS.ErrnoException>((resolve) => {
      const s = connect({ host: lab.hosts[0]!.ip, port: 22, timeout: 5000 });
      s.on('error', (e) => resolve(e));
      s.on('timeout', () => {
        s.destroy();
        resolve(Object.assign(new Error('timeout'), { code: 'TIMEOUT' }));
      });
      s.on('connect', () => {
        s.destroy();
        resolve(Object.assign(new Error('connected'), { code: 'CONNECTED' }));
      });
    });
    expect(err.code).toBe('EHOSTUNREACH');
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});
