/** Process facts read from /proc: PID identity (start time), a host's PID 1, its processes and their memory. */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/** Start time (clock ticks since boot) of a PID, or undefined when it does not exist or is a zombie. */
export function startTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
    return Number(fields[19]);
  } catch {
    return undefined;
  }
}

/** True when `pid` still names the process that had start time `start`. */
export const isAlive = (pid: number, start: number) => startTime(pid) === start;

/**
 * The host's PID 1 while it still runs (same start time as recorded), else undefined. A PID recorded for a host that
 * died on its own may since name any machine process: nsenter into it, or its PID namespace, would be the machine's.
 */
export function runningPid1(h: { pid: number; pidStart?: number | undefined }): number | undefined {
  return h.pid && h.pidStart !== undefined && isAlive(h.pid, h.pidStart) ? h.pid : undefined;
}

export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** The child of `unshare` whose innermost namespace PID is 1 (the first child is not always it). */
export function findPid1(unsharePid: number): number | undefined {
  for (const c of childrenOf(unsharePid)) {
    try {
      const nspid = /^NSpid:\s*(.*)$/m
        .exec(readFileSync(`/proc/${c}/status`, 'utf8'))?.[1]
        ?.trim()
        .split(/\s+/);
      if (nspid && nspid.length > 1 && nspid[nspid.length - 1] === '1') return c;
    } catch {
      /* exited meanwhile */
    }
  }
  return undefined;
}

const pidNs = (pid: number | string) => {
  try {
    return readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return undefined;
  }
};

/** Every machine PID grouped by PID namespace ("pid:[inode]"), in one pass over /proc. */
export function pidsByNamespace(): Map<string, number[]> {
  const map = new Map<string, number[]>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const ns = pidNs(e);
    if (!ns) continue;
    const list = map.get(ns) ?? [];
    list.push(Number(e));
    map.set(ns, list);
  }
  return map;
}

/** PIDs (machine view) of every process inside the PID namespace whose init is `pid1`. */
export function hostProcesses(pid1: number, byNs = pidsByNamespace()): number[] {
  const ns = pidNs(pid1);
  return ns ? (byNs.get(ns) ?? []) : [];
}

export interface Memory {
  rssKiB: number;
  pssKiB: number;
}

export function memoryOf(pids: readonly number[]): Memory {
  let rssKiB = 0;
  let pssKiB = 0;
  for (const p of pids) {
    try {
      rssKiB += Number(/^VmRSS:\s*(\d+)/m.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
      pssKiB += Number(/^Pss:\s*(\d+)/m.exec(readFileSync(`/proc/${p}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
    } catch {
      /* exited meanwhile */
    }
  }
  return { rssKiB, pssKiB };
}

export function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}
