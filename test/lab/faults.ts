/**
 * Fault injection on lab hosts (issue 3, item 7). The rule-file format emulators consult for failNext() is in
 * test/lab/README.md ("Faults") and implemented for them by helpers/lab-fault.sh and helpers/fault.ts.
 */
import type { HostRecord, InstanceRecord } from './instance.js';
import { killPid1 } from './hosts.js';
import { setLink } from './netns.js';
import { hostProcesses, comm, runningPid1 } from './procs.js';
import { writeInstance } from './instance.js';
import { readFileSync } from 'node:fs';
import { quote } from '../../src/transport/command.js';

export type FaultMode = 'fail' | 'hang';
const COMMAND_RE = /^[A-Za-z0-9._-]+$/;

export abstract class Faults {
  abstract readonly record: InstanceRecord;
  abstract host(name: string): HostRecord;
  abstract exec(
    host: string,
    cmd: string,
    opts?: { input?: string; timeoutMs?: number },
  ): Promise<{ code: number; stdout: string; stderr: string }>;

  /** Takes the host's link down (machine side of its veth): packets to and from it are lost. */
  async cutLink(host: string): Promise<void> {
    const h = this.host(host);
    await setLink(this.record.index, h.i, false);
  }

  async restoreLink(host: string): Promise<void> {
    const h = this.host(host);
    await setLink(this.record.index, h.i, true);
  }

  /** Kills the host's sshd: the listener and, unless keepSessions, every open session. */
  async killSshd(host: string, opts: { keepSessions?: boolean } = {}): Promise<void> {
    const pid1 = runningPid1(this.host(host));
    if (!pid1) throw new Error(`lab: ${host} is not running (crashed?); boot it first`);
    const listener = Number((await this.exec(host, 'cat /run/sshd.pid 2>/dev/null')).stdout.trim());
    const machinePids = hostProcesses(pid1).filter((p) => comm(p) === 'sshd');
    for (const p of machinePids) {
      const inner = innerPid(p);
      if (opts.keepSessions && inner !== listener) continue;
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await this.exec(host, 'rm -f /run/sshd.pid');
  }

  /** Starts the host's sshd again (same config and host key). */
  async startSshd(host: string): Promise<void> {
    const r = await this.exec(
      host,
      // sshd's own address (127.0.0.1 behind the WAN proxy, which holds LAB_IP:22 all along)
      '/usr/sbin/sshd -f /etc/ssh/lab_sshd_config -E /var/log/lab/sshd.log && "$(sed -n "s/^LAB_REPO=//p" /etc/lab/env)"/test/lab/helpers/wait-listen.sh 22 10 "$(sed -n "s/^ListenAddress \\(.*\\):22$/\\1/p" /etc/ssh/lab_sshd_config)"',
    );
    if (r.code !== 0) throw new Error(`lab: ${host}: sshd did not start: ${r.stderr.trim()}`);
  }

  /** Kills every process of the host at once (its PID 1); the disk stays. Bring it back with boot(). */
  async crash(host: string): Promise<void> {
    const h = this.host(host);
    await killPid1(h);
    h.pid = 0;
    h.pidStart = undefined;
    writeInstance(this.record);
  }

  /**
   * The next `n` calls of emulated `command` on `host` fail (exit 1, "lab: injected failure") or hang until killed.
   * Rule file /var/lib/lab/faults/<command>: "<n> <fail|hang>"; emulators decrement n (lab-lib.sh lab_fault).
   */
  async failNext(host: string, command: string, n: number, mode: FaultMode = 'fail'): Promise<void> {
    if (!COMMAND_RE.test(command)) throw new Error(`lab: invalid command name ${command}`);
    if (!Number.isInteger(n) || n < 0) throw new Error('lab: failNext needs a count ≥ 0');
    const rule = `${n} ${mode}\n`;
    const r = await this.exec(host, `mkdir -p /var/lib/lab/faults && cat > /var/lib/lab/faults/${command}`, { input: rule });
    if (r.code !== 0) throw new Error(`lab: ${host}: could not write fault rule: ${r.stderr.trim()}`);
  }

  /** Removes a failNext() rule. */
  async clearFault(host: string, command: string): Promise<void> {
    if (!COMMAND_RE.test(command)) throw new Error(`lab: invalid command name ${command}`);
    await this.exec(host, `rm -f /var/lib/lab/faults/${command}`);
  }

  /**
   * Makes `path` a full disk: a tmpfs of `sizeKiB` (default 1024) holding a copy of what was there (if it fits),
   * the rest filled. Writes then fail with ENOSPC. Lasts until unfillDisk() or the host's next boot.
   */
  async fillDisk(host: string, path: string, sizeKiB = 1024): Promise<void> {
    const p = quote(path);
    const script = [
      'set -e',
      `mkdir -p ${p}`,
      'stage=$(mktemp -d /run/lab-fill.XXXXXX)',
      `mount -t tmpfs -o size=${Math.max(64, Math.floor(sizeKiB))}k lab-full "$stage"`,
      `cp -a ${p}/. "$stage"/ 2>/dev/null || true`,
      'dd if=/dev/zero of="$stage/.lab-fill" bs=4k 2>/dev/null || true',
      `mount --move "$stage" ${p}`,
      'rmdir "$stage"',
    ].join('\n');
    const r = await this.exec(host, script);
    if (r.code !== 0) throw new Error(`lab: ${host}: fillDisk ${path} failed: ${r.stderr.trim()}`);
  }

  async unfillDisk(host: string, path: string): Promise<void> {
    await this.exec(host, `umount ${quote(path)}`);
  }

  /** Sets the host's clock offset: the `date` emulator (and others) add /etc/lab/clock-skew seconds to real time. */
  async skewClock(host: string, seconds: number): Promise<void> {
    if (!Number.isInteger(seconds)) throw new Error('lab: skewClock needs whole seconds');
    const r = await this.exec(host, 'mkdir -p /etc/lab && cat > /etc/lab/clock-skew', { input: `${seconds}\n` });
    if (r.code !== 0) throw new Error(`lab: ${host}: skewClock failed: ${r.stderr.trim()}`);
  }

  /**
   * Moves the lab clock of one host (or every host) forward by `days` (negative: back): the offset in
   * /etc/lab/clock-skew grows, so `date`, kubeadm, kubectl and the kubelet of that host see the later time
   * (hosts lack CAP_SYS_TIME: the machine's clock never changes). Returns the new offset in seconds per host.
   */
  async advanceClock(host: string | 'all', days: number): Promise<Record<string, number>> {
    if (!Number.isFinite(days)) throw new Error('lab: advanceClock needs a number of days');
    const names = host === 'all' ? this.record.hosts.map((h) => h.name) : [this.host(host).name];
    const result: Record<string, number> = {};
    for (const name of names) {
      const current = Number((await this.exec(name, 'cat /etc/lab/clock-skew 2>/dev/null')).stdout.trim()) || 0;
      result[name] = current + Math.round(days * 86_400);
      await this.skewClock(name, result[name]);
    }
    return result;
  }

  /** True when the host's PID 1 is running. */
  isRunning(host: string): boolean {
    return runningPid1(this.host(host)) !== undefined;
  }
}

/** The PID a machine process has inside its own (innermost) PID namespace. */
function innerPid(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const nspid = /^NSpid:\s*(.*)$/m.exec(status)?.[1]?.trim().split(/\s+/) ?? [];
    return Number(nspid[nspid.length - 1]);
  } catch {
    return 0;
  }
}
