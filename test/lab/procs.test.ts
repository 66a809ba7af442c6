/**
 * A host record whose PID 1 died on its own keeps a PID that may since name a machine process: the lab must refuse
 * to enter it (exec) or sweep its PID namespace (killSshd), never act on the machine. No root needed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstanceRecord } from './instance.js';
import { Lab } from './lab.js';
import { runningPid1, startTime } from './procs.js';

let child: ChildProcess;
let pid = 0;
let start = 0;

beforeAll(async () => {
  child = spawn('sleep', ['60'], { stdio: 'ignore' });
  pid = child.pid!;
  for (let i = 0; i < 50 && startTime(pid) === undefined; i++) await new Promise((r) => setTimeout(r, 10));
  start = startTime(pid)!;
});
afterAll(() => {
  if (startTime(pid) === start) process.kill(pid, 'SIGKILL'); // our own child, by its recorded PID
});

/** A lab whose host h1 records `pid` (a machine process here) with start time `pidStart`. */
function labWith(pidStart: number | undefined): Lab {
  const host = { name: 'h1', i: 1, ip: '10.199.250.11', os: 'debian12', netns: 'ksl250-h1', unsharePid: 0, pid, pidStart };
  return new Lab({
    name: 'stale',
    index: 250,
    subnet: '10.199.250.0/24',
    root: '/nonexistent',
    hosts: [host],
  } as unknown as InstanceRecord);
}

describe('a host whose recorded PID 1 no longer runs', () => {
  it('runningPid1: the PID only while its start time matches the record', () => {
    expect(runningPid1({ pid, pidStart: start })).toBe(pid);
    expect(runningPid1({ pid, pidStart: start + 1 })).toBeUndefined();
    expect(runningPid1({ pid, pidStart: undefined })).toBeUndefined();
    expect(runningPid1({ pid: 0, pidStart: 0 })).toBeUndefined();
  });

  it('exec refuses instead of entering the process the PID names now', async () => {
    const lab = labWith(start + 1);
    expect(lab.isRunning('h1')).toBe(false);
    await expect(lab.exec('h1', 'true')).rejects.toThrow(/not running/);
  });

  it('killSshd refuses before reading a pid file or listing a PID namespace', async () => {
    await expect(labWith(start + 1).killSshd('h1')).rejects.toThrow(/h1 is not running/);
  });
});
