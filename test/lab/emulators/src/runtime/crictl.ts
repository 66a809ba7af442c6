// Emulated crictl (cri-tools 1.3x): talks to the runtime named by /etc/crictl.yaml (or --runtime-endpoint),
// answers from the host's image store; fails like the real one when that runtime is not running.
import { existsSync, readdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { Exit, tabulate, crictlFatal as fatal, type Io } from './cli-util.js';
import { ImageStore, K8S_NAMESPACE, DOCKER_NAMESPACE } from './image-store.js';
import { labPath, readText, writeText } from './lab-paths.js';
import { CONTAINERD_SOCKET, CRI_DOCKERD_SOCKET, nodeSync, readState, runtimeActive } from './runtime-state.js';
import { parseFlatYaml } from './flat-yaml.js';
import type { Runtime } from './crictl-images.js';
import type { CriContainer } from './crictl-ps.js';

// Every crictl call starts a Node: the modules one command does not need (the registry client, the static pods'
// view, yaml, the version tables) are loaded only by the commands that use them.
const imageCommands = () => import('./crictl-images.js');
const podCommands = () => import('./crictl-ps.js');

/** yaml.parse, without loading the yaml package for the flat files crictl.yaml usually is. */
async function parseYaml(text: string): Promise<unknown> {
  const flat = parseFlatYaml(text);
  return flat !== undefined ? flat : (await import('yaml')).parse(text);
}

const CONFIG = '/etc/crictl.yaml';
const DEFAULT_ENDPOINTS = ['unix:///run/containerd/containerd.sock', 'unix:///run/crio/crio.sock', 'unix:///var/run/cri-dockerd.sock'];

const socketPath = (endpoint: string): string => endpoint.replace(/^unix:\/\//, '').replace(/^\/var\/run\//, '/run/');

function kindOf(endpoint: string): Runtime['kind'] | undefined {
  const path = socketPath(endpoint);
  if (path === CONTAINERD_SOCKET) return 'containerd';
  if (path === CRI_DOCKERD_SOCKET) return 'cri-docker';
  return undefined;
}

function serving(kind: Runtime['kind'] | undefined): boolean {
  if (kind === 'containerd') return runtimeActive('containerd');
  if (kind === 'cri-docker') return runtimeActive('cri-docker') && runtimeActive('docker');
  return false;
}

function connect(endpoint: string | undefined, api: 'image' | 'runtime', io: Io): Runtime {
  let candidates = endpoint ? [endpoint] : [];
  if (candidates.length === 0) {
    io.err(
      `WARN[0000] ${api === 'image' ? 'Image' : 'runtime'} connect using default endpoints: [${DEFAULT_ENDPOINTS.join(' ')}]. As the default settings are now deprecated, you should set the endpoint instead.\n`,
    );
    candidates = DEFAULT_ENDPOINTS;
  }
  let failure = '';
  for (const candidate of candidates) {
    const kind = kindOf(candidate);
    const path = socketPath(candidate);
    if (serving(kind)) {
      if (kind === 'containerd' && readState('containerd')?.criDisabled) {
        failure = `validate service connection: validate CRI v1 ${api} API for endpoint "${candidate}": rpc error: code = Unimplemented desc = unknown service runtime.v1.${api === 'image' ? 'ImageService' : 'RuntimeService'}`;
        continue;
      }
      return { endpoint: candidate, kind: kind!, store: new ImageStore(kind === 'containerd' ? K8S_NAMESPACE : DOCKER_NAMESPACE) };
    }
    const reason = existsSync(labPath(path)) ? 'connect: connection refused' : 'connect: no such file or directory';
    failure = `validate service connection: validate CRI v1 ${api} API for endpoint "${candidate}": rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial unix ${path}: ${reason}"`;
  }
  throw fatal(failure);
}

export async function crictl(argv: string[], io: Io): Promise<number> {
  let i = 0;
  let endpoint = process.env.CONTAINER_RUNTIME_ENDPOINT;
  let imageEndpoint = process.env.IMAGE_SERVICE_ENDPOINT;
  let configFile = CONFIG;
  for (; i < argv.length && argv[i]!.startsWith('-'); i++) {
    const [flag, inline] = argv[i]!.split(/=(.*)/s) as [string, string | undefined];
    const value = (): string => inline ?? argv[++i] ?? '';
    if (flag === '-r' || flag === '--runtime-endpoint') endpoint = value();
    else if (flag === '-i' || flag === '--image-endpoint') imageEndpoint = value();
    else if (flag === '-c' || flag === '--config') configFile = value();
    else if (flag === '-t' || flag === '--timeout') value();
    else if (flag === '-D' || flag === '--debug') continue;
    else if (flag === '-v' || flag === '--version') {
      io.out(`crictl version v${(await import('./versions.js')).crictlVersion()}\n`);
      return 0;
    } else throw fatal(`flag provided but not defined: ${flag}`);
  }
  const [command, ...rest] = argv.slice(i);
  const configText = readText(configFile);
  const config = (configText ? await parseYaml(configText) : {}) as Record<string, unknown> | null;
  if (configText === undefined && command !== 'config')
    io.err(`WARN[0000] Config "${configFile}" does not exist, trying next: "/usr/bin/crictl.yaml"\n`);
  endpoint ??= (config?.['runtime-endpoint'] as string | undefined) || undefined;
  imageEndpoint ??= (config?.['image-endpoint'] as string | undefined) || endpoint;
  switch (command) {
    case 'images':
    case 'image':
    case 'img': {
      const runtime = connect(imageEndpoint, 'image', io);
      return (await imageCommands()).images(runtime, rest, io);
    }
    case 'pull': {
      const runtime = connect(imageEndpoint, 'image', io);
      return (await imageCommands()).pull(runtime, rest, io);
    }
    case 'rmi': {
      const runtime = connect(imageEndpoint, 'image', io);
      return (await imageCommands()).rmi(runtime, rest, io);
    }
    case 'inspecti': {
      const runtime = connect(imageEndpoint, 'image', io);
      return (await imageCommands()).inspecti(runtime, rest, io);
    }
    case 'ps': {
      const runtime = connect(endpoint, 'runtime', io);
      // a kube-vip static pod holds its VIP while it runs: the node's status publishes it (api-endpoint.ts)
      if (existsSync(labPath('/etc/kubernetes/manifests/kube-vip.yaml'))) nodeSync();
      return ps(runtime, rest, io, (await podCommands()).containers, (await import('./versions.js')).crictlVersion());
    }
    case 'pods': {
      const runtime = connect(endpoint, 'runtime', io);
      return pods(runtime, rest, io, (await podCommands()).containers);
    }
    case 'stop':
    case 'rm':
    case 'stopp':
    case 'rmp': {
      const runtime = connect(endpoint, 'runtime', io);
      return removeContainers(runtime, command, rest, io, (await podCommands()).containers);
    }
    case 'exec': {
      const runtime = connect(endpoint, 'runtime', io);
      return exec(runtime, rest, io, (await podCommands()).containers);
    }
    case 'info':
      return info(connect(endpoint, 'runtime', io), io);
    case 'version': {
      const runtime = connect(endpoint, 'runtime', io);
      return version(runtime, io, await import('./versions.js'));
    }
    case 'config':
      return configCommand(configFile, configText, rest, io);
    case undefined:
      throw new Exit(0, 'NAME:\n   crictl - client for CRI');
    default:
      throw fatal(`No help topic for '${command}'`);
  }
}

type Containers = typeof import('./crictl-ps.js').containers;

/** cri-tools v1.32.0 added the NAMESPACE column to `crictl ps` (cmd/crictl/container.go; see test/fixtures/real/crictl). */
function withNamespace(crictlVersion: string): boolean {
  const [major = 0, minor = 0] = crictlVersion.split('.').map(Number);
  return major > 1 || (major === 1 && minor >= 32);
}

function ps(runtime: Runtime, argv: string[], io: Io, containers: Containers, crictlVersion: string): number {
  const all = argv.includes('-a') || argv.includes('--all');
  const nameAt = argv.findIndex((a) => a === '--name');
  const name = nameAt !== -1 ? argv[nameAt + 1] : argv.find((a) => a.startsWith('--name='))?.slice(7);
  const shown = containers(runtime.store).filter((c) => (all || c.state === 'Running') && (!name || new RegExp(name).test(c.name)));
  if (argv.includes('-q') || argv.includes('--quiet')) {
    for (const c of shown) io.out(`${c.id}\n`);
    return 0;
  }
  const ns = withNamespace(crictlVersion);
  const rows = [['CONTAINER', 'IMAGE', 'CREATED', 'STATE', 'NAME', 'ATTEMPT', 'POD ID', 'POD', ...(ns ? ['NAMESPACE'] : [])]];
  for (const c of shown)
    rows.push([
      c.id.slice(0, 13),
      c.image.replace(/^sha256:/, '').slice(0, 13),
      c.created,
      c.state,
      c.name,
      String(c.attempt),
      c.podId.slice(0, 13),
      c.pod,
      ...(ns ? [c.namespace] : []),
    ]);
  io.out(tabulate(rows, { minWidth: 20, padding: 3 }));
  return 0;
}

/**
 * `crictl exec [-s] [-i] [-t] [--timeout D] CONTAINER COMMAND [ARG...]`: runs COMMAND of the container's image (argv as
 * given, no shell) with the container's mounts; exits with its code. A running container only.
 */
async function exec(runtime: Runtime, argv: string[], io: Io, containers: Containers): Promise<number> {
  let i = 0;
  for (; i < argv.length && argv[i]!.startsWith('-'); i++) {
    const flag = argv[i]!.split('=')[0]!;
    if (['-s', '--sync', '-i', '--interactive', '-t', '--tty', '-q', '--quiet'].includes(flag)) continue;
    if (flag === '--timeout' || flag === '-e' || flag === '--env') {
      if (!argv[i]!.includes('=')) i++;
      continue;
    }
    throw fatal(`flag provided but not defined: ${flag}`);
  }
  const [id, ...command] = argv.slice(i);
  if (!id) throw fatal('ID cannot be empty');
  if (command.length === 0) throw fatal('Command cannot be empty');
  const found = containers(runtime.store).filter((c) => c.id.startsWith(id));
  if (found.length === 0)
    throw fatal(
      `execing command in container: rpc error: code = NotFound desc = an error occurred when try to find container "${id}": not found`,
    );
  const c = found[0]!;
  if (c.state !== 'Running')
    throw fatal(`execing command in container: rpc error: code = Unknown desc = container is in CONTAINER_EXITED state`);
  const { runInImage } = await import('../kube/image-exec.js');
  const r = runInImage(c.imageRef ?? '', command, c.mounts ?? [], io);
  if (r.missing)
    throw fatal(
      `execing command in container: rpc error: code = Unknown desc = failed to exec in container: failed to start exec "${createHash(
        'sha256',
      )
        .update(`${c.id}/${command.join(' ')}`)
        .digest('hex')}": OCI runtime exec failed: exec failed: ${r.missing}`,
    );
  return r.code;
}

/**
 * stop/rm (containers) and stopp/rmp (pods): acknowledged like crictl, but a static pod's containers come back at
 * once while its manifest stays in /etc/kubernetes/manifests, as the kubelet restarts them.
 */
function removeContainers(runtime: Runtime, command: string, argv: string[], io: Io, containers: Containers): number {
  const pod = command.endsWith('p');
  const list = containers(runtime.store);
  const ids =
    argv.includes('-a') || argv.includes('--all')
      ? [...new Set(list.map((c) => (pod ? c.podId : c.id)))]
      : argv.filter((a) => !a.startsWith('-'));
  if (ids.length === 0 && !argv.includes('-a') && !argv.includes('--all')) throw fatal(`ID cannot be empty`);
  for (const id of ids) {
    const found = list.find((c) => (pod ? c.podId : c.id).startsWith(id));
    if (!found) throw fatal(`${command === 'stop' || command === 'rm' ? 'container' : 'pod sandbox'} "${id}" not found`);
    // crictl prints the container ID for stop/rm, "Stopped sandbox ID" / "Removed sandbox ID" for pods
    io.out(!pod ? `${id}\n` : `${command === 'stopp' ? 'Stopped' : 'Removed'} sandbox ${id}\n`);
  }
  return 0;
}

function pods(runtime: Runtime, argv: string[], io: Io, containers: Containers): number {
  const seen = new Map<string, CriContainer>();
  for (const c of containers(runtime.store)) if (!seen.has(c.podId)) seen.set(c.podId, c);
  if (argv.includes('-q') || argv.includes('--quiet')) {
    for (const id of seen.keys()) io.out(`${id}\n`);
    return 0;
  }
  const rows = [['POD ID', 'CREATED', 'STATE', 'NAME', 'NAMESPACE', 'ATTEMPT', 'RUNTIME']];
  for (const c of seen.values()) rows.push([c.podId.slice(0, 13), c.created, 'Ready', c.pod, c.namespace, '0', '(default)']);
  io.out(tabulate(rows, { minWidth: 20, padding: 3 }));
  return 0;
}

function cniReady(): boolean {
  const dir = labPath('/etc/cni/net.d');
  return existsSync(dir) && readdirSync(dir).some((f) => /\.(conf|conflist|json)$/.test(f));
}

function info(runtime: Runtime, io: Io): number {
  const network = cniReady();
  const state = runtime.kind === 'containerd' ? readState('containerd') : readState('cri-docker');
  const conditions = [
    { type: 'RuntimeReady', status: true, reason: '', message: '' },
    network
      ? { type: 'NetworkReady', status: true, reason: '', message: '' }
      : {
          type: 'NetworkReady',
          status: false,
          reason: 'NetworkPluginNotReady',
          message: 'Network plugin returns error: cni plugin not initialized',
        },
  ];
  const config =
    runtime.kind === 'containerd'
      ? {
          containerd: {
            snapshotter: state?.snapshotter,
            defaultRuntimeName: 'runc',
            runtimes: { runc: { runtimeType: 'io.containerd.runc.v2', options: { SystemdCgroup: state?.systemdCgroup } } },
          },
          cni: { binDir: '/opt/cni/bin', confDir: '/etc/cni/net.d' },
          registry: { configPath: state?.configPath },
          sandboxImage: state?.sandboxImage,
        }
      : { cgroupDriver: readState('docker')?.cgroupDriver, podInfraContainerImage: state?.podInfraImage };
  io.out(
    `${JSON.stringify({ status: { conditions }, config, lastCNILoadStatus: network ? 'OK' : 'cni config load failed: no network config found in /etc/cni/net.d: cni plugin not initialized: failed to load cni config' }, null, 2)}\n`,
  );
  return 0;
}

function version(runtime: Runtime, io: Io, { containerdInstall, dockerVersion }: typeof import('./versions.js')): number {
  const isContainerd = runtime.kind === 'containerd';
  const install = containerdInstall();
  const runtimeVersion = isContainerd
    ? install.pkg === 'containerd.io'
      ? `v${install.release.version}`
      : install.release.version
    : dockerVersion();
  io.out(
    `Version:  0.1.0\nRuntimeName:  ${isContainerd ? 'containerd' : 'docker'}\nRuntimeVersion:  ${runtimeVersion}\nRuntimeApiVersion:  v1\n`,
  );
  return 0;
}

async function configCommand(file: string, text: string | undefined, argv: string[], io: Io): Promise<number> {
  const doc = ((text ? await parseYaml(text) : {}) ?? {}) as Record<string, unknown>;
  const setIndex = argv.indexOf('--set');
  const getIndex = argv.indexOf('--get');
  if (getIndex !== -1) {
    io.out(`${String(doc[argv[getIndex + 1] ?? ''] ?? '')}\n`);
    return 0;
  }
  const pairs = setIndex !== -1 ? (argv[setIndex + 1] ?? '').split(',') : argv.filter((a) => a.includes('='));
  for (const pair of pairs) {
    const [key, ...value] = pair.split('=');
    const v = value.join('=');
    doc[key!] = v === 'true' ? true : v === 'false' ? false : /^\d+$/.test(v) ? Number(v) : v;
  }
  writeText(file, (await import('yaml')).stringify(doc));
  return 0;
}
