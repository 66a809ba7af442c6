// Per-host runtime state: which runtime services run (written by the unit hooks, in /run/lab so a reboot
// clears it), which release is installed, and where the machine's real containerd binaries are.
import { existsSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { labEnv, labPath, readJson, readText, writeJson, removePath, labRoot } from './lab-paths.js';

export type RuntimeService = 'containerd' | 'docker' | 'cri-docker';

export interface ServiceState {
  active: boolean;
  mode: 'emulated' | 'real';
  startedAt: string;
  pid?: number;
  [setting: string]: unknown;
}

export const effectiveFile = (service: RuntimeService): string => `/run/lab/${service}/effective.json`;
export const PID_FILE = '/run/lab/pids/containerd';
export const CONTAINERD_SOCKET = '/run/containerd/containerd.sock';
export const DOCKER_SOCKET = '/run/docker.sock';
export const CRI_DOCKERD_SOCKET = '/run/cri-dockerd.sock';

export function readState(service: RuntimeService): ServiceState | undefined {
  return readJson<ServiceState>(effectiveFile(service));
}

export function writeState(service: RuntimeService, state: ServiceState): void {
  writeJson(effectiveFile(service), state);
}

export function clearState(service: RuntimeService): void {
  removePath(effectiveFile(service));
}

export function pidAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A runtime is active when its start hook succeeded and (real mode) its process still lives. */
export function runtimeActive(service: RuntimeService): boolean {
  const state = readState(service);
  if (!state?.active) return false;
  return state.mode === 'real' ? pidAlive(state.pid) : true;
}

/** The real containerd serving this host, when there is one. */
export function realContainerd(): { pid: number; socket: string } | undefined {
  const state = readState('containerd');
  if (state?.mode !== 'real' || !pidAlive(state.pid)) return undefined;
  return { pid: state.pid!, socket: labPath(CONTAINERD_SOCKET) };
}

function dpkgVersion(names: string[]): { name: string; version: string } | undefined {
  const status = readText('/var/lib/dpkg/status') ?? '';
  for (const block of status.split(/\n\s*\n/)) {
    const name = /^Package: (.+)$/m.exec(block)?.[1]?.trim();
    const version = /^Version: (.+)$/m.exec(block)?.[1]?.trim();
    const installed = /^Status: .* installed$/m.test(block);
    if (name && version && installed && names.includes(name)) return { name, version };
  }
  return undefined;
}

/** Installed package and version: env override LAB_<PKG>_VERSION, then the lab package DB, then dpkg status, then the fallback. */
export function installedVersion(packages: string[], fallback: { name: string; version: string }): { name: string; version: string } {
  for (const name of packages) {
    const override = labEnv(`LAB_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_VERSION`);
    if (override) return { name, version: override };
  }
  // the emulated package managers record /var/lib/lab/pkgversions/<package> (see bin/lab-pkg-version)
  for (const name of packages) {
    const version = readText(`/var/lib/lab/pkgversions/${name}`)?.split('\n')[0]?.trim();
    if (version) return { name, version };
  }
  return dpkgVersion(packages) ?? fallback;
}

/** Upstream version from a package version: 1.6.20~ds1-1+deb12u3 -> 1.6.20~ds1, 1.7.27-1 -> 1.7.27. */
export function upstreamVersion(packageVersion: string): string {
  return packageVersion.replace(/^\d+:/, '').replace(/-[^-]*$/, '');
}

/** Directory with the machine's real containerd/ctr (hidden in hosts at /usr/bin; L1 exposes them). */
export function realBinDir(): string | undefined {
  const candidates = [labEnv('LAB_REAL_BIN_DIR'), '/usr/lib/kubesmith-lab/real-bin', labRoot() ? '/usr/bin' : undefined];
  for (const dir of candidates) {
    if (!dir) continue;
    const bin = join(dir, 'containerd');
    // the real one is a 40+ MB Go binary; the lab's emulator is a short bash launcher
    if (existsSync(bin) && statSync(bin).size > 1_000_000 && existsSync(join(dir, 'ctr'))) return dir;
  }
  return undefined;
}

/**
 * Real containerd only when the host's /etc/lab/env says LAB_REAL_CONTAINERD=1 (labUp({env}) or a test's own line).
 * Emulated by default: real containerd costs ~40 MB a host, and under heavy load its image pulls through the lab
 * registry stalled kubeadm init for minutes — the suites that are about other things must not depend on it.
 * test/unit/emulators/runtime/{real-containerd,lab-hosts}.test.ts prove the real path and its equality with the emulator.
 */
export function wantRealContainerd(): boolean {
  const flag = labEnv('LAB_REAL_CONTAINERD');
  return flag === '1' || flag === 'true';
}

export function repoRoot(): string {
  return labEnv('LAB_REPO') || join(dirname(fileURLToPath(import.meta.url)), '../../../../../..');
}

let syncWanted = false;

/**
 * Tells the kube emulators this node's images changed. The sync itself runs once, when the command is done
 * (flushNodeSync, called by main.ts): several changes in one call publish one status.
 */
export function nodeSync(): void {
  syncWanted = true;
}

/**
 * Runs lab-node-sync's syncNode() in this process, as bin/lab-node-sync would (same journal line, same modules:
 * LAB_KUBE_JS_DIR or the compiled kube emulators), without starting a second Node. lab-node-sync is a no-op until the
 * node joined a cluster (it has /etc/kubernetes/kubelet.conf), so it is not even loaded before that. A pending
 * lab-node-sync fault runs the real launcher (its fail/hang, bounded as before). Its failures are not the caller's.
 */
export async function flushNodeSync(): Promise<void> {
  if (!syncWanted) return;
  syncWanted = false;
  const bin = join(repoRoot(), 'test/lab/emulators/bin/lab-node-sync');
  if (!existsSync(bin) || !existsSync(labPath('/etc/kubernetes/kubelet.conf'))) return;
  if (existsSync(labPath('/var/lib/lab/faults/lab-node-sync'))) {
    spawnSync(bin, [], { stdio: 'ignore', env: process.env, timeout: 30_000 });
    return;
  }
  try {
    const dir = process.env.LAB_KUBE_JS_DIR || join(repoRoot(), 'dist/test/lab/emulators/src/kube');
    const lab = (await import(pathToFileURL(join(dir, 'lab.js')).href)) as { journal: (command: string, args: string[]) => void };
    const state = (await import(pathToFileURL(join(dir, 'node-state.js')).href)) as { syncNode: () => unknown };
    lab.journal('lab-node-sync', []);
    state.syncNode();
  } catch {
    /* like the spawned lab-node-sync: a failed sync does not fail the image command */
  }
}
