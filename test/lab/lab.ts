/**
 * The lab's programmatic API (see test/lab/README.md): bring a fleet of simulated hosts up, run commands inside them,
 * inject faults, bring them down leaving nothing behind.
 *
 *   const lab = await labUp({ name: 'e2e-x', hosts: [{ name: 'cp1' }, { name: 'w1', os: 'rocky9' }] });
 *   await lab.exec('cp1', 'hostname');   // { code: 0, stdout: 'cp1\n', stderr: '' }
 *   await lab.down();
 */
import { existsSync, mkdirSync, readFileSync, statfsSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Faults } from './faults.js';
import { bootHost, envLines, hostDir, killPid1, prepareHost } from './hosts.js';
import { readOffline } from './offline.js';
import {
  type HostRecord,
  type InstanceRecord,
  claimIndex,
  claimedIndex,
  instanceNames,
  readInstance,
  releaseIndex,
  writeInstance,
} from './instance.js';
import { type InventoryOverrides, writeInventoryFile } from './inventory.js';
import { createBridge, createHostNet, deleteHostNet, deleteInstanceNet, ensureUnreachableRoute, netnsNames } from './netns.js';
import { LAB_BASE, MAX_HOSTS, NAME_RE, OSES, type Os, bridgeOf, hostIp, labRoot, netnsOf, subnetOf } from './paths.js';
import { type HostExecOptions, hostExec } from './exec.js';
import { isAlive, runningPid1, startTime } from './procs.js';
import { parallel, run, runOk } from './run.js';
import { seedKeyPool } from './emulators/src/kube/keypool.js';

export type { Os } from './paths.js';

const OVERLAYFS_MAGIC = 0x794c7630;
/**
 * RSA keys put in a new lab's kubeadm key pool (an init takes 16, a control-plane join 12, any other join 1): generating
 * one costs ~0.15 s of the hosts' CPU, copying one from the machine-wide cache (generated once) almost nothing.
 */
const poolKeys = (hosts: number) => 16 + 2 * 12 + hosts;
export type { InventoryOverrides } from './inventory.js';

export interface LabHost {
  name: string;
  ip: string;
  os: Os;
  netns: string;
  /** The host's PID 1 (machine view). Changes after crash()/boot(). */
  pid: number;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface LabUpOptions {
  /** Instance name (RFC 1123, ≤ 32 chars); default 'lab'. An instance left over under this name is removed first. */
  name?: string;
  /** A count (hosts h1..hN) or explicit hosts. */
  hosts: number | Array<{ name: string; os?: Os }>;
  /** Persona for hosts without their own; default debian12. */
  os?: Os | undefined;
  /** Create the sudo user kube (uid 1000); default true. */
  users?: boolean;
  /** Hosts booting at once; default 8. */
  parallelism?: number;
  /** Emulators from another directory (must be visible inside hosts, e.g. in the repo) and manifest. */
  emulatorDir?: string;
  manifest?: string;
  /** Extra KEY=value entries for every host's /etc/lab/env, e.g. { LAB_REGISTRIES: '127.0.0.1:5000' }. */
  env?: Record<string, string>;
  /**
   * A WAN between the machine and every host (test/lab/wan-proxy.ts in front of each sshd): `rttMs` added to every
   * round trip, each direction capped at `rateBps` bits per second (0 or absent = unlimited).
   */
  wan?: { rttMs: number; rateBps?: number };
}

export class Lab extends Faults {
  constructor(readonly record: InstanceRecord) {
    super();
  }
  get name() {
    return this.record.name;
  }
  get index() {
    return this.record.index;
  }
  get subnet() {
    return this.record.subnet;
  }
  /** LAB_ROOT: /var/lib/kubesmith-lab/<name> */
  get root() {
    return this.record.root;
  }
  /** Private key accepted by root and kube on every host. */
  get keyPath() {
    return join(this.root, 'id_ed25519');
  }
  /** known_hosts with every host's key, for hostKeyPolicy strict. */
  get knownHostsPath() {
    return join(this.root, 'known_hosts');
  }
  /** The shared cluster dir (mounted at /run/lab/cluster in every host). */
  get clusterDir() {
    return join(this.root, 'cluster');
  }
  /** The WAN in front of every host's sshd, if any (labUp's `wan`). */
  get wan(): InstanceRecord['wan'] {
    return this.record.wan;
  }
  get hosts(): LabHost[] {
    return this.record.hosts.map(({ name, ip, os, netns, pid }) => ({ name, ip, os, netns, pid }));
  }

  host(name: string): HostRecord {
    const h = this.record.hosts.find((x) => x.name === name);
    if (!h) throw new Error(`lab ${this.name}: no host named ${name}`);
    return h;
  }

  /** Runs `cmd` with bash inside the host's namespaces, as root unless opts.user (for test assertions; products use SSH). */
  exec(host: string, cmd: string, opts: HostExecOptions = {}): Promise<ExecResult> {
    return hostExec(runningPid1(this.host(host)) ?? 0, cmd, opts); // 0: refused (a stale PID may be a machine process)
  }

  /**
   * A file as the host sees it (through /proc/<pid>/root); null when absent. For a crashed host: what its disk holds
   * (its overlays' upper layer over the machine's directories, its /root), null under /run and /tmp.
   */
  readFile(host: string, path: string): string | null {
    if (!this.isRunning(host)) return readOffline(hostDir(this.record, host), path);
    try {
      return readFileSync(join(`/proc/${this.host(host).pid}/root`, path), 'utf8');
    } catch {
      return null;
    }
  }

  /** The host's emulator journal (/var/log/lab/journal.log), one entry per line. */
  journal(host: string): string[] {
    return (this.readFile(host, '/var/log/lab/journal.log') ?? '').split('\n').filter(Boolean);
  }

  /** Writes a kubesmith inventory for this lab to `path`. */
  writeInventory(path: string, o: InventoryOverrides): void {
    writeInventoryFile(path, { name: this.name, keyPath: this.keyPath, knownHostsPath: this.knownHostsPath, hosts: this.hosts }, o);
  }

  /** Arguments for the system ssh client to reach `host` (strict host keys, the lab key, no agent). */
  sshArgs(host: string, user: 'root' | 'kube' = 'root'): string[] {
    return [
      '-i',
      this.keyPath,
      '-o',
      `UserKnownHostsFile=${this.knownHostsPath}`,
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'BatchMode=yes',
      '-o',
      'ConnectTimeout=5',
      `${user}@${this.host(host).ip}`,
    ];
  }

  /**
   * Boots a host again (after crash; a running host is crashed first) over the same disk: fresh /run and /tmp, a fresh
   * network namespace (net sysctls, firewall rules and link state reset as by a real reboot), lab-boot, then sshd.
   */
  async boot(host: string): Promise<void> {
    const h = this.host(host);
    await killPid1(h);
    h.pid = 0;
    h.pidStart = undefined;
    await deleteHostNet(this.index, h.i, h.name);
    await createHostNet(this.index, h.i, h.name);
    await bootHost(this.record, h);
    writeInstance(this.record);
  }

  /**
   * Carries out what the host's own `reboot`/`shutdown`/`poweroff` asked for (the emulators only record it in
   * /run/lab/reboot-requested): reboot → boot(), poweroff/halt → crash(). Returns the action taken, or null.
   */
  async applyPowerRequest(host: string): Promise<'reboot' | 'poweroff' | 'halt' | null> {
    const action = this.readFile(host, '/run/lab/reboot-requested')?.split(' ')[0];
    if (action === 'reboot') await this.boot(host);
    else if (action === 'poweroff' || action === 'halt') await this.crash(host);
    else return null;
    return action;
  }

  down(): Promise<void> {
    return labDown(this.name);
  }
}

export async function labUp(opts: LabUpOptions): Promise<Lab> {
  if (process.getuid?.() !== 0) throw new Error('lab: must run as root (namespaces, mounts, veths)');
  const name = instanceName(opts.name ?? 'lab');
  if (!NAME_RE.test(name)) throw new Error(`lab: invalid instance name ${JSON.stringify(name)}`);
  const specs: Array<{ name: string; os?: Os }> =
    typeof opts.hosts === 'number' ? Array.from({ length: opts.hosts }, (_, i) => ({ name: `h${i + 1}` })) : opts.hosts;
  validateHosts(specs, opts.os);
  const wan = wanSpec(opts.wan);
  envLines(opts.env);
  await ensureUnreachableRoute();
  if (existsSync(labRoot(name))) {
    // Left over by a run that died (or a CLI `up`, which exits): replace it. Never take a live test's lab away.
    const owner = readInstance(name)?.owner;
    if (owner && owner.pid !== process.pid && isAlive(owner.pid, owner.start)) {
      throw new Error(
        `lab: instance ${name} is in use by process ${owner.pid}; pick another name or \`npm run lab -- down --name ${name}\``,
      );
    }
    await labDown(name);
  }
  mkdirSync(LAB_BASE, { recursive: true });
  try {
    mkdirSync(labRoot(name));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new Error(`lab: instance ${name} is being created by another process`);
    throw e;
  }
  // Overlay upper dirs cannot live on overlayfs (a machine that is itself a container): keep them on a tmpfs then.
  if (statfsSync(LAB_BASE).type === OVERLAYFS_MAGIC)
    await runOk('mount', ['-t', 'tmpfs', '-o', 'mode=0755', `kubesmith-lab-${name}`, labRoot(name)]);
  const index = claimIndex(name, (k) => existsSync(`/sys/class/net/${bridgeOf(k)}`) || netnsNames(k).length > 0);
  const rec: InstanceRecord = {
    name,
    index,
    subnet: subnetOf(index),
    root: labRoot(name),
    users: opts.users ?? true,
    createdAt: new Date().toISOString(),
    ...(opts.emulatorDir ? { emulatorDir: opts.emulatorDir } : {}),
    ...(opts.manifest ? { manifest: opts.manifest } : {}),
    ...(opts.env ? { env: opts.env } : {}),
    ...(wan ? { wan } : {}),
    owner: { pid: process.pid, start: startTime(process.pid) ?? 0 },
    hosts: specs.map((s, i) => ({
      name: s.name,
      i: i + 1,
      ip: hostIp(index, i + 1),
      os: s.os ?? opts.os ?? 'debian12',
      netns: netnsOf(index, s.name),
      unsharePid: 0,
      pid: 0,
    })),
  };
  try {
    writeInstance(rec);
    mkdirSync(join(rec.root, 'cluster'), { recursive: true });
    seedKeyPool(join(rec.root, 'cluster'), poolKeys(rec.hosts.length));
    await runOk('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `kubesmith-lab-${name}`, '-f', join(rec.root, 'id_ed25519')]);
    await createBridge(index);
    const known: string[] = new Array(rec.hosts.length);
    await parallel(rec.hosts, opts.parallelism ?? 8, async (h, i) => {
      await createHostNet(index, h.i, h.name);
      const pub = await prepareHost(rec, h.name);
      known[i] = `${h.ip} ${pub.split(' ').slice(0, 2).join(' ')}`;
      await bootHost(rec, h);
    });
    writeFileSync(join(rec.root, 'known_hosts'), known.join('\n') + '\n');
    writeInstance(rec);
    return new Lab(rec);
  } catch (e) {
    writeInstance(rec);
    await labDown(name).catch(() => {});
    throw e;
  }
}

function validateHosts(specs: ReadonlyArray<{ name: string; os?: Os }>, os?: Os) {
  if (specs.length < 1 || specs.length > MAX_HOSTS) throw new Error(`lab: between 1 and ${MAX_HOSTS} hosts`);
  const seen = new Set<string>();
  for (const s of specs) {
    if (!NAME_RE.test(s.name) || s.name.length > 20) throw new Error(`lab: invalid host name ${JSON.stringify(s.name)}`);
    if (seen.has(s.name)) throw new Error(`lab: duplicate host name ${s.name}`);
    seen.add(s.name);
    for (const o of [s.os, os]) if (o && !OSES.includes(o)) throw new Error(`lab: unknown os ${o} (one of ${OSES.join(', ')})`);
  }
}

function wanSpec(wan: LabUpOptions['wan']): InstanceRecord['wan'] {
  if (!wan) return undefined;
  const rateBps = wan.rateBps ?? 0;
  if (!Number.isFinite(wan.rttMs) || wan.rttMs < 0 || wan.rttMs > 10_000) throw new Error('lab: wan.rttMs must be 0..10000');
  if (!Number.isFinite(rateBps) || rateBps < 0) throw new Error('lab: wan.rateBps must be 0 (unlimited) or more');
  return { rttMs: wan.rttMs, rateBps };
}

/** Attaches to a running instance by name. */
export function labGet(name: string): Lab {
  name = instanceName(name);
  const rec = readInstance(name);
  if (!rec) throw new Error(`lab: no instance named ${name}`);
  return new Lab(rec);
}

/**
 * Removes an instance: kills each host's PID 1 (by recorded PID), deletes its netns, veths and bridge, lazily
 * unmounts anything left under LAB_ROOT, removes LAB_ROOT and frees the index. Keeps the unreachable route.
 */
export async function labDown(name: string): Promise<void> {
  name = instanceName(name);
  if (!NAME_RE.test(name)) throw new Error(`lab: invalid instance name ${JSON.stringify(name)}`);
  const rec = readInstance(name);
  if (rec) {
    // Every host is tried; if one survives, stop before removing its network and disk (retry down later).
    const failed = (
      await parallel(rec.hosts, 16, (h) =>
        killPid1(h).then(
          () => '',
          (e: Error) => e.message,
        ),
      )
    ).filter(Boolean);
    if (failed.length) throw new Error(`lab ${name}: down stopped, hosts still running:\n${failed.join('\n')}`);
  }
  const index = rec?.index ?? claimedIndex(name);
  if (index !== undefined) await deleteInstanceNet(index);
  const root = labRoot(name);
  for (const mnt of mountsUnder(root).reverse()) await run('umount', ['-l', mnt]);
  await rm(root, { recursive: true, force: true });
  if (index !== undefined) releaseIndex(index, name);
}

/** Mount points at or below `dir` in the machine's mount namespace. */
export function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m === dir || m.startsWith(`${dir}/`));
}

/**
 * LAB_INSTANCE_PREFIX (e.g. `w2-`) namespaces every instance a process brings up, so two clones of the repository can
 * run the same test files at once without taking each other's instances. Names that already carry it are kept.
 */
export function instanceName(name: string): string {
  const prefix = process.env.LAB_INSTANCE_PREFIX ?? '';
  return name.startsWith(prefix) ? name : `${prefix}${name}`;
}

export function labList(): InstanceRecord[] {
  return instanceNames()
    .map((n) => readInstance(n))
    .filter((r): r is InstanceRecord => !!r);
}
