/** One lab host's life on the machine: its directory, its boot (PID 1 = helpers/host-init.sh) and its end. */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { HostRecord, InstanceRecord } from './instance.js';
import { initScript, manifestPath, repoRoot } from './paths.js';
import { persona } from './personas.js';
import { findPid1, isAlive, startTime } from './procs.js';
import { runOk, sleep } from './run.js';

/** Capabilities no lab process keeps: the clock, kernel modules and reboot(2) belong to the machine. */
export const DROPPED_CAPS = '-sys_time,-sys_module,-sys_boot';

export const hostDir = (inst: InstanceRecord, host: string) => join(inst.root, 'hosts', host);

/** Creates the host's directory and its SSH host key (once); returns the public key line. */
export async function prepareHost(inst: InstanceRecord, host: string): Promise<string> {
  const dir = hostDir(inst, host);
  const keyDir = join(dir, 'sshd');
  mkdirSync(keyDir, { recursive: true });
  const key = join(keyDir, 'ssh_host_ed25519_key');
  if (!existsSync(key)) await runOk('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${host}@${inst.name}`, '-f', key]);
  return readFileSync(`${key}.pub`, 'utf8').trim();
}

interface Manifest {
  system: string[];
  packageBins: string[];
}

const EMULATOR_NAME = /^[A-Za-z0-9._-]+$/;
/**
 * Real machine binaries exposed read-only at REAL_BIN_DIR in every host (besides hidden package binaries): the
 * containerd shim, and the etcd image's programs (the lab's etcd static pod and `crictl exec`/`kubectl exec` into it
 * run them; a stock host has none of them on its PATH).
 */
const REAL_BINS = ['containerd-shim-runc-v2', 'etcd', 'etcdctl', 'etcdutl'];
export const REAL_BIN_DIR = '/usr/lib/kubesmith-lab/real-bin';
/** The machine directories every host sees through its own overlay (helpers/host-init.sh mounts them). */
const OVERLAY_DIRS = ['etc', 'var', 'opt', 'usr', 'home', 'srv'];

/**
 * Reads emulators/manifest.json (tolerating entries written as strings or as {name}). With `os`, system emulators that
 * `osOnly` restricts to other personas are left out (lab-host-init removes them from such hosts).
 */
export function readManifest(path = manifestPath(), os?: string): Manifest {
  let raw: { system?: unknown[]; packages?: Record<string, { bin?: unknown[] }>; osOnly?: Record<string, unknown> } = {};
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    /* absent or being edited: no emulators */
  }
  const name = (e: unknown) => (typeof e === 'string' ? e : (e as { name?: unknown })?.name);
  const valid = (n: unknown): n is string => typeof n === 'string' && EMULATOR_NAME.test(n);
  const forOs = (n: string) => {
    const only = raw.osOnly?.[n];
    return !os || !Array.isArray(only) || only.includes(os);
  };
  const system = (raw.system ?? []).map(name).filter(valid).filter(forOs);
  const packageBins = Object.values(raw.packages ?? {}).flatMap((p) => (p?.bin ?? []).filter(valid));
  return { system, packageBins };
}

const ENV_KEY = /^[A-Z_][A-Z0-9_]*$/;
const RESERVED_ENV = new Set(['LAB_HOST', 'LAB_IP', 'LAB_OS', 'LAB_INSTANCE', 'LAB_REPO', 'LAB_CLUSTER_DIR']);

/** Validates extra /etc/lab/env entries (labUp's `env`): KEY=value lines, no reserved keys, no newlines. */
export function envLines(env: Record<string, string> | undefined): string {
  return Object.entries(env ?? {})
    .map(([k, v]) => {
      if (!ENV_KEY.test(k) || RESERVED_ENV.has(k)) throw new Error(`lab: env key ${k} is not allowed`);
      if (/[\n\r\0]/.test(v)) throw new Error(`lab: env value of ${k} contains a line break`);
      return `${k}=${v}`;
    })
    .join('\n');
}

/** Starts the host's PID 1 and waits until its sshd listens; fills in unsharePid and pid. */
export async function bootHost(inst: InstanceRecord, h: HostRecord, timeoutMs = 60_000): Promise<void> {
  const dir = hostDir(inst, h.name);
  const consoleLog = join(dir, 'console.log');
  const from = existsSync(consoleLog) ? statSync(consoleLog).size : 0;
  const manifest = readManifest(inst.manifest, h.os);
  // hidden on a fresh host: package binaries (until the emulated package manager installs them) and what the
  // persona's cloud image lacks (personas.json); never a system emulator
  const hidden = [...new Set([...manifest.packageBins, ...(persona(h.os)?.absent ?? [])])].filter((n) => !manifest.system.includes(n));
  for (const d of OVERLAY_DIRS) for (const layer of ['upper', 'work']) mkdirSync(join(dir, layer, d), { recursive: true });
  mkdirSync(join(dir, 'root'), { recursive: true });
  mkdirSync(join(inst.root, 'cluster'), { recursive: true });
  const fd = openSync(consoleLog, 'a');
  const env = {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    LANG: 'C.UTF-8',
    ...(process.env.LAB_TRACE ? { LAB_TRACE: '1' } : {}),
    LAB_HOST: h.name,
    LAB_IP: h.ip,
    LAB_OS: h.os,
    LAB_INSTANCE: inst.name,
    LAB_REPO: repoRoot(),
    LAB_ROOT: inst.root,
    HOST_DIR: dir,
    LAB_USERS: inst.users ? '1' : '0',
    LAB_SYSTEM_BINS: manifest.system.join(' '),
    LAB_PACKAGE_BINS: hidden.join(' '),
    LAB_REAL_BINS: [...new Set([...manifest.packageBins, ...REAL_BINS])].join(' '),
    LAB_EXTRA_ENV: [`LAB_HOST_COUNT=${inst.hosts.length}`, `LAB_REAL_BIN_DIR=${REAL_BIN_DIR}`, envLines(inst.env)]
      .filter(Boolean)
      .join('\n'),
    ...(inst.emulatorDir ? { LAB_EMULATOR_DIR: inst.emulatorDir } : {}),
    ...(inst.wan ? { LAB_WAN: `${inst.wan.rttMs} ${inst.wan.rateBps}` } : {}),
  };
  // nsenter, not `ip netns exec`: the latter leaves a slave mount namespace per host that every later
  // `ip netns add/del` propagates into (quadratic bring-up and teardown).
  const args = [`--net=/run/netns/${h.netns}`, '--', 'setpriv', '--bounding-set', DROPPED_CAPS];
  args.push('unshare', '--mount', '--uts', '--ipc', '--pid', '--fork', '--mount-proc', 'bash', initScript());
  const child = spawn('nsenter', args, { detached: true, stdio: ['ignore', fd, fd], env });
  closeSync(fd);
  child.on('error', () => {});
  child.unref();
  if (!child.pid) throw new Error(`lab: ${h.name}: could not start nsenter`);
  h.unsharePid = child.pid;
  h.unshareStart = startTime(child.pid);
  const deadline = Date.now() + timeoutMs;
  for (let wait = 5; ; wait = Math.min(wait * 2, 50)) {
    const out = readFileSync(consoleLog, 'utf8').slice(from);
    if (!h.pid) h.pid = findPid1(h.unsharePid) ?? 0;
    if (/^lab: ready$/m.test(out) && h.pid) break;
    const exited = child.exitCode !== null || startTime(h.unsharePid) === undefined;
    if (/^lab: FAILED/m.test(out) || exited || Date.now() > deadline) {
      if (h.pid) await killPid1(h);
      const why = exited ? 'init exited' : Date.now() > deadline ? 'timed out' : 'init failed';
      throw new Error(
        `lab: host ${h.name} did not boot (${why}); console (${consoleLog}):\n${out.trim().split('\n').slice(-15).join('\n')}`,
      );
    }
    await sleep(wait);
  }
  h.pidStart = startTime(h.pid) ?? 0;
}

/** Kills the host's PID 1 (and so every process in its PID namespace) and waits until it and unshare are gone. */
export async function killPid1(h: HostRecord, timeoutMs = 10_000): Promise<void> {
  const start = h.pidStart ?? startTime(h.pid);
  if (h.pid && start !== undefined && isAlive(h.pid, start)) {
    try {
      process.kill(h.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  const deadline = Date.now() + timeoutMs;
  const unshareAlive = () => !!h.unsharePid && h.unshareStart !== undefined && isAlive(h.unsharePid, h.unshareStart);
  while ((start !== undefined && isAlive(h.pid, start)) || unshareAlive()) {
    if (Date.now() > deadline) throw new Error(`lab: host ${h.name}: PID ${h.pid} did not exit`);
    await sleep(10);
  }
}
