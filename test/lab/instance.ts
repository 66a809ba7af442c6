/**
 * Instance bookkeeping: the index k (0..99) claimed atomically with mkdir under LAB_BASE/.index/<k> (safe for parallel
 * test files and parallel developers), and LAB_ROOT/instance.json with the addresses and PIDs `down` relies on.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LAB_BASE, MAX_INSTANCES, type Os, labRoot } from './paths.js';

export interface HostRecord {
  name: string;
  /** 1-based position: address 10.199.k.(10+i), veth ksl<k>h<i>. */
  i: number;
  ip: string;
  os: Os;
  netns: string;
  /** The `unshare` process (parent of the host's PID 1). */
  unsharePid: number;
  unshareStart?: number | undefined;
  /** The host's PID 1 as seen from the machine; killing it ends every process of the host. */
  pid: number;
  /** Start time of `pid` (from /proc/<pid>/stat): guards against killing a reused PID. */
  pidStart?: number | undefined;
}

export interface InstanceRecord {
  name: string;
  index: number;
  subnet: string;
  root: string;
  users: boolean;
  createdAt: string;
  /** Emulator directory and manifest when not the repository's (tests of the lab itself). */
  emulatorDir?: string;
  manifest?: string;
  /** The process that brought the instance up; while it lives, another process may not replace the instance. */
  owner?: { pid: number; start: number };
  /** Extra KEY=value entries of every host's /etc/lab/env (e.g. LAB_REGISTRIES, LAB_REAL_CONTAINERD). */
  env?: Record<string, string>;
  /** WAN emulation in front of every host's sshd (test/lab/wan-proxy.ts); absent = the lab's plain bridge. */
  wan?: { rttMs: number; rateBps: number };
  hosts: HostRecord[];
}

const indexDir = join(LAB_BASE, '.index');

/**
 * Claims the lowest free index for `name`; a claim whose instance directory vanished is reclaimed. An index whose
 * network still exists (`inUse`: a bridge or netns of that index) is never claimed: it may belong to someone whose
 * claim we cannot see, so it is skipped, not cleaned (`npm run lab -- status` lists such leftovers).
 */
export function claimIndex(name: string, inUse: (index: number) => boolean): number {
  mkdirSync(indexDir, { recursive: true });
  for (let k = 0; k < MAX_INSTANCES; k++) {
    if (inUse(k)) continue;
    const dir = join(indexDir, String(k));
    try {
      mkdirSync(dir);
    } catch {
      if (isStaleClaim(dir)) {
        rmSync(dir, { recursive: true, force: true });
        k--;
      }
      continue;
    }
    writeFileSync(join(dir, 'name'), name);
    if (!inUse(k)) return k;
    rmSync(dir, { recursive: true, force: true }); // its network appeared meanwhile
  }
  throw new Error(`lab: all ${MAX_INSTANCES} instance indexes are in use (see \`npm run lab -- status\`)`);
}

function isStaleClaim(dir: string): boolean {
  try {
    const owner = readFileSync(join(dir, 'name'), 'utf8').trim();
    return !existsSync(labRoot(owner));
  } catch {
    // A claim being written right now has no name yet; only a minute-old one is stale.
    try {
      return Date.now() - statSync(dir).mtimeMs > 60_000;
    } catch {
      return false;
    }
  }
}

export function releaseIndex(index: number, name: string): void {
  const dir = join(indexDir, String(index));
  try {
    if (readFileSync(join(dir, 'name'), 'utf8').trim() !== name) return;
  } catch {
    /* claim without a name: ours, half-written */
  }
  rmSync(dir, { recursive: true, force: true });
}

export function readInstance(name: string): InstanceRecord | undefined {
  try {
    return JSON.parse(readFileSync(join(labRoot(name), 'instance.json'), 'utf8')) as InstanceRecord;
  } catch {
    return undefined;
  }
}

export function writeInstance(rec: InstanceRecord): void {
  const file = join(rec.root, 'instance.json');
  writeFileSync(`${file}.tmp`, JSON.stringify(rec, null, 2) + '\n');
  renameSync(`${file}.tmp`, file);
}

/** Names of instances with a directory under LAB_BASE. */
export function instanceNames(): string[] {
  try {
    return readdirSync(LAB_BASE, { withFileTypes: true })
      .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
      .map((d) => d.name);
  } catch {
    return [];
  }
}

/** The index claimed for `name` (when its instance.json is missing, e.g. after a crash during labUp). */
export function claimedIndex(name: string): number | undefined {
  try {
    for (const k of readdirSync(indexDir)) {
      try {
        if (readFileSync(join(indexDir, k, 'name'), 'utf8').trim() === name) return Number(k);
      } catch {
        /* claim being written */
      }
    }
  } catch {
    /* no claims at all */
  }
  return undefined;
}
