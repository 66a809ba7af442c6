// Unit hooks run by the emulated systemctl (units/<unit>.start|.stop): validate the runtime's config the way
// the daemon would, record the effective settings in /run/lab/<service>/effective.json, and for containerd
// optionally start the real Debian containerd. A non-zero exit makes systemctl mark the unit failed.
import { mkdirSync, rmSync, writeFileSync, appendFileSync, linkSync, existsSync, readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Exit, type Io } from './cli-util.js';
import { labPath, readText, labRoot } from './lab-paths.js';
import {
  CONTAINERD_SOCKET,
  CRI_DOCKERD_SOCKET,
  DOCKER_SOCKET,
  PID_FILE,
  clearState,
  pidAlive,
  readState,
  realBinDir,
  runtimeActive,
  wantRealContainerd,
  writeState,
  type RuntimeService,
} from './runtime-state.js';

// A hook is a Node process per systemctl start/stop: what only a start needs (the config parsers, the version tables,
// the real containerd's launcher, the socket server) is loaded by that start.

/** Leaves a real (listener-less) unix socket node, so `test -S` and kubeadm's socket detection see it. */
async function socketNode(path: string): Promise<void> {
  const full = labPath(path);
  const temp = `${full}.${process.pid}`;
  mkdirSync(dirname(full), { recursive: true });
  rmSync(full, { force: true });
  const { createServer } = await import('node:net');
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(temp, () => {
      // libuv unlinks the bound name when the handle closes (at exit): keep a second link to the node
      linkSync(temp, full);
      server.close(() => resolve());
    });
  });
}

function serviceLog(service: string, line: string): void {
  const file = labPath(`/var/log/lab/${service}.log`);
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, `${new Date().toISOString()} ${line}\n`);
}

/** A failed start: the daemon's message goes to its log; systemctl itself only says "Job for X failed" (like systemd). */
function failStart(service: string, message: string): never {
  serviceLog(service, message);
  throw new Exit(1, process.env.LAB_UNIT ? '' : message);
}

function unitPidFile(pid: number): void {
  const file = process.env.LAB_UNIT_PIDFILE;
  if (file) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${pid}\n`);
  }
  mkdirSync(dirname(labPath(PID_FILE)), { recursive: true });
  writeFileSync(labPath(PID_FILE), `${pid}\n`);
}

async function startContainerd(): Promise<void> {
  const [{ CONFIG_FILE, ContainerdConfigError, effectiveConfig }, { containerdInstall }] = await Promise.all([
    import('./containerd-config.js'),
    import('./versions.js'),
  ]);
  const install = containerdInstall();
  let effective;
  try {
    effective = effectiveConfig(readText(CONFIG_FILE), install.release);
  } catch (error) {
    if (error instanceof ContainerdConfigError) failStart('containerd', `containerd: ${error.message}`);
    throw error;
  }
  for (const warning of effective.warnings) serviceLog('containerd', `level=warning msg="${warning}"`);
  if (effective.criError)
    serviceLog(
      'containerd',
      `level=warning msg="failed to load plugin io.containerd.grpc.v1.cri" error="invalid plugin config: ${effective.criError}"`,
    );
  const bin = realBinDir();
  const inHost = labRoot() === '' || process.env.LAB_REAL_CONTAINERD === '1';
  let pid: number | undefined;
  if (wantRealContainerd() && !bin)
    serviceLog(
      'containerd',
      'lab: real containerd wanted but its binaries are not exposed in this host (LAB_REAL_BIN_DIR); running emulated',
    );
  if (wantRealContainerd() && bin && inHost) {
    pid = await (await import('./real-containerd.js')).startRealContainerd(bin, labPath(CONTAINERD_SOCKET));
    unitPidFile(pid);
  } else {
    await socketNode(CONTAINERD_SOCKET);
  }
  writeState('containerd', {
    active: true,
    mode: pid ? 'real' : 'emulated',
    startedAt: new Date().toISOString(),
    ...(pid ? { pid } : {}),
    version: install.release.version,
    package: install.pkg,
    ...effective,
    criDisabled: effective.criDisabled || Boolean(effective.criError),
  });
}

async function stopContainerd(): Promise<void> {
  const state = readState('containerd');
  const pid = state?.mode === 'real' ? state.pid : undefined;
  if (pid && pidAlive(pid)) {
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 100 && pidAlive(pid); i++) await new Promise((r) => setTimeout(r, 50));
    if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  rmSync(labPath(PID_FILE), { force: true });
  rmSync(labPath(CONTAINERD_SOCKET), { force: true });
  clearState('containerd');
}

async function startDocker(): Promise<void> {
  const { dockerDaemonConfig } = await import('./docker-config.js');
  let config;
  try {
    config = dockerDaemonConfig(readText('/etc/docker/daemon.json'));
  } catch (error) {
    failStart('docker', (error as Error).message);
  }
  await socketNode(DOCKER_SOCKET);
  writeState('docker', { active: true, mode: 'emulated', startedAt: new Date().toISOString(), ...config });
}

/** cri-dockerd's settings come from its unit's ExecStart (and drop-ins): --pod-infra-container-image, --network-plugin. */
function criDockerdFlags(): Record<string, string> {
  const unit =
    ['/etc/systemd/system/cri-docker.service', '/usr/lib/systemd/system/cri-docker.service', '/lib/systemd/system/cri-docker.service']
      .map((f) => readText(f))
      .find((t) => t !== undefined) ?? '';
  const dropInDir = '/etc/systemd/system/cri-docker.service.d';
  const dropIns = existsSync(labPath(dropInDir))
    ? readdirSync(labPath(dropInDir))
        .filter((f) => f.endsWith('.conf'))
        .sort()
    : [];
  let execStart = '';
  for (const text of [unit, ...dropIns.map((f) => readText(`${dropInDir}/${f}`) ?? '')]) {
    // an empty ExecStart= resets the list, the last non-empty one wins (Type=notify allows only one)
    for (const line of text.split('\n')) if (line.startsWith('ExecStart=')) execStart = line.slice('ExecStart='.length);
  }
  const flags: Record<string, string> = {};
  for (const m of execStart.matchAll(/--([\w-]+)(?:[= ]([^\s-][^\s]*))?/g)) flags[m[1]!] = m[2] ?? 'true';
  return flags;
}

async function startCriDocker(): Promise<void> {
  if (!runtimeActive('docker'))
    failStart('cri-docker', 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?');
  const flags = criDockerdFlags();
  await socketNode(CRI_DOCKERD_SOCKET);
  writeState('cri-docker', {
    active: true,
    mode: 'emulated',
    startedAt: new Date().toISOString(),
    podInfraImage: flags['pod-infra-container-image'] ?? 'registry.k8s.io/pause:3.9',
    networkPlugin: flags['network-plugin'] ?? '',
  });
}

function stopSimple(service: RuntimeService, socket: string): void {
  rmSync(labPath(socket), { force: true });
  clearState(service);
}

const HOOKS: Record<string, Record<string, () => Promise<void> | void>> = {
  containerd: { start: startContainerd, stop: stopContainerd },
  docker: { start: startDocker, stop: () => stopSimple('docker', DOCKER_SOCKET) },
  'cri-docker': { start: startCriDocker, stop: () => stopSimple('cri-docker', CRI_DOCKERD_SOCKET) },
};

/** lab-runtime-hook UNIT start|stop|reload */
export async function runHook(unit: string, action: string, _io: Io): Promise<number> {
  const service = unit.replace(/\.service$/, '');
  const hook = HOOKS[service]?.[action];
  if (action === 'reload') return 0;
  if (!hook) throw new Exit(2, `lab-runtime-hook: no ${action} hook for ${unit}`);
  await hook(); // systemctl runs lab-node-sync itself after start/stop
  return 0;
}
