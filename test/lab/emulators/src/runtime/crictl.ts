// Emulated crictl (cri-tools 1.3x): talks to the runtime named by /etc/crictl.yaml (or --runtime-endpoint),
// answers from the host's image store; fails like the real one when that runtime is not running.
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { existsSync, readdirSync } from 'node:fs';
import { Exit, tabulate, humanSize, type Io } from './cli-util.js';
import { ImageStore, K8S_NAMESPACE, DOCKER_NAMESPACE, type StoredImage } from './image-store.js';
import { labPath, readJson, readText, writeText } from './lab-paths.js';
import { normalizeRef, splitRepoTag } from './image-ref.js';
import { pullImage, PullError } from './registry-pull.js';
import { CONTAINERD_SOCKET, CRI_DOCKERD_SOCKET, nodeSync, readState, runtimeActive } from './runtime-state.js';
import { containerdInstall, crictlVersion, dockerVersion } from './versions.js';

const CONFIG = '/etc/crictl.yaml';
const DEFAULT_ENDPOINTS = ['unix:///run/containerd/containerd.sock', 'unix:///run/crio/crio.sock', 'unix:///var/run/cri-dockerd.sock'];
const fatal = (message: string): Exit => new Exit(1, `FATA[0000] ${message}`);

interface Runtime { endpoint: string; kind: 'containerd' | 'cri-docker'; store: ImageStore }

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
    io.err(`WARN[0000] ${api === 'image' ? 'Image' : 'runtime'} connect using default endpoints: [${DEFAULT_ENDPOINTS.join(' ')}]. As the default settings are now deprecated, you should set the endpoint instead.\n`);
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

interface CriImage { id: string; repoTags: string[]; repoDigests: string[]; size: string; uid: null; username: string; spec: null; pinned: boolean }

function criImages(images: StoredImage[], sandbox: string | undefined): CriImage[] {
  const byId = new Map<string, CriImage>();
  for (const image of images) {
    const entry = byId.get(image.configDigest) ?? { id: image.configDigest, repoTags: [], repoDigests: [], size: String(image.size), uid: null, username: '', spec: null, pinned: false };
    const { repository } = splitRepoTag(image.name);
    if (!image.name.includes('@')) entry.repoTags.push(image.name);
    const repoDigest = `${repository}@${image.digest}`;
    if (!entry.repoDigests.includes(repoDigest)) entry.repoDigests.push(repoDigest);
    if (image.name === sandbox) entry.pinned = true;
    byId.set(image.configDigest, entry);
  }
  return [...byId.values()];
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
    else if (flag === '-v' || flag === '--version') { io.out(`crictl version v${crictlVersion()}\n`); return 0; }
    else throw fatal(`flag provided but not defined: ${flag}`);
  }
  const [command, ...rest] = argv.slice(i);
  const configText = readText(configFile);
  const config = (configText ? parseYaml(configText) : {}) as Record<string, unknown> | null;
  if (configText === undefined && command !== 'config') io.err(`WARN[0000] Config "${configFile}" does not exist, trying next: "/usr/bin/crictl.yaml"\n`);
  endpoint ??= (config?.['runtime-endpoint'] as string | undefined) || undefined;
  imageEndpoint ??= (config?.['image-endpoint'] as string | undefined) || endpoint;
  switch (command) {
    case 'images': case 'image': case 'img': return images(connect(imageEndpoint, 'image', io), rest, io);
    case 'pull': return pull(connect(imageEndpoint, 'image', io), rest, io);
    case 'rmi': return rmi(connect(imageEndpoint, 'image', io), rest, io);
    case 'inspecti': return inspecti(connect(imageEndpoint, 'image', io), rest, io);
    case 'ps': return ps(connect(endpoint, 'runtime', io), rest, io);
    case 'pods': connect(endpoint, 'runtime', io); io.out(tabulate([['POD ID', 'CREATED', 'STATE', 'NAME', 'NAMESPACE', 'ATTEMPT', 'RUNTIME']], { minWidth: 20, padding: 3 })); return 0;
    case 'info': return info(connect(endpoint, 'runtime', io), io);
    case 'version': return version(connect(endpoint, 'runtime', io), io);
    case 'config': return configCommand(configFile, configText, rest, io);
    case undefined: throw new Exit(0, 'NAME:\n   crictl - client for CRI');
    default: throw fatal(`No help topic for '${command}'`);
  }
}

function images(runtime: Runtime, argv: string[], io: Io): number {
  const quiet = argv.includes('-q') || argv.includes('--quiet');
  const digests = argv.includes('--digests');
  const oIndex = argv.findIndex((a) => a === '-o' || a === '--output');
  const output = oIndex !== -1 ? argv[oIndex + 1] : argv.find((a) => a.startsWith('--output='))?.slice(9);
  const filter = argv.filter((a, idx) => !a.startsWith('-') && !(oIndex !== -1 && idx === oIndex + 1))[0];
  let list = runtime.store.list();
  if (filter) {
    const want = normalizeRef(filter);
    const wantRepo = splitRepoTag(want).repository;
    list = list.filter((image) => image.name === want || (!filter.includes(':') && splitRepoTag(image.name).repository === wantRepo));
  }
  const sandbox = runtime.kind === 'containerd' ? readState('containerd')?.sandboxImage as string | undefined : undefined;
  const cri = criImages(list, sandbox);
  if (output === 'json') { io.out(`${JSON.stringify({ images: cri }, null, 2)}\n`); return 0; }
  if (quiet) { for (const image of cri) io.out(`${image.id}\n`); return 0; }
  const header = digests ? ['IMAGE', 'TAG', 'DIGEST', 'IMAGE ID', 'SIZE'] : ['IMAGE', 'TAG', 'IMAGE ID', 'SIZE'];
  const rows = [header];
  for (const image of list) {
    const { repository, tag } = splitRepoTag(image.name);
    const id = image.configDigest.replace(/^sha256:/, '').slice(0, 13);
    const row = digests ? [repository, tag, image.digest.replace(/^sha256:/, '').slice(0, 13), id, humanSize(image.size)] : [repository, tag, id, humanSize(image.size)];
    rows.push(row);
  }
  io.out(tabulate(rows, { minWidth: 20, padding: 3 }));
  return 0;
}

async function pull(runtime: Runtime, argv: string[], io: Io): Promise<number> {
  const ref = argv.find((a) => !a.startsWith('-'));
  if (!ref) throw fatal('Image name cannot be empty');
  const name = normalizeRef(ref);
  const configPath = runtime.kind === 'containerd' ? String(readState('containerd')?.configPath ?? '') : '';
  try {
    const image = await pullImage(name, { hostsDirs: configPath ? configPath.split(':') : [] });
    runtime.store.put([image], runtime.kind === 'containerd' ? { 'io.cri-containerd.image': 'managed' } : {});
    io.out(`Image is up to date for ${image.configDigest}\n`);
    nodeSync();
    return 0;
  } catch (error) {
    if (!(error instanceof PullError)) throw error;
    const desc = runtime.kind === 'containerd' ? `failed to pull and unpack image "${name}": ${error.message}` : `Error response from daemon: Get "https://${name.split('/')[0]}/v2/": dial tcp: lookup ${name.split('/')[0]}: no such host`;
    throw fatal(`pulling image: rpc error: code = Unknown desc = ${desc}`);
  }
}

function rmi(runtime: Runtime, argv: string[], io: Io): number {
  const all = argv.includes('-a') || argv.includes('--all');
  const refs = all ? runtime.store.list().map((i) => i.name) : argv.filter((a) => !a.startsWith('-'));
  if (refs.length === 0) throw fatal('No IDs provided or nothing to delete');
  for (const ref of refs) {
    const byId = runtime.store.list().filter((i) => i.configDigest === ref || i.configDigest.replace(/^sha256:/, '').startsWith(ref));
    const names = byId.length > 0 ? byId.map((i) => i.name) : [normalizeRef(ref)];
    const removed = runtime.store.remove(names);
    if (removed.length === 0) throw fatal(`no such image ${ref}`);
    for (const name of removed) io.out(`Deleted: ${name}\n`);
  }
  nodeSync();
  return 0;
}

function inspecti(runtime: Runtime, argv: string[], io: Io): number {
  const refs = argv.filter((a) => !a.startsWith('-'));
  if (refs.length === 0) throw fatal('image name cannot be empty');
  const list = runtime.store.list();
  for (const ref of refs) {
    const match = list.find((i) => i.name === normalizeRef(ref) || i.configDigest === ref || i.configDigest.slice(7).startsWith(ref));
    if (!match) throw fatal(`no such image "${ref}" present`);
    const [status] = criImages(list.filter((i) => i.configDigest === match.configDigest), undefined);
    io.out(`${JSON.stringify({ status, info: { imageSpec: { os: match.platforms[0]?.split('/')[0], architecture: match.platforms[0]?.split('/')[1] } } }, null, 2)}\n`);
  }
  return 0;
}

interface LabContainer { id: string; image: string; created: string; state: string; name: string; attempt: number; podId: string; pod: string }

function ps(_runtime: Runtime, argv: string[], io: Io): number {
  const containers = readJson<LabContainer[]>('/run/lab/cri/containers.json') ?? [];
  const all = argv.includes('-a') || argv.includes('--all');
  const shown = containers.filter((c) => all || c.state === 'Running');
  if (argv.includes('-q') || argv.includes('--quiet')) { for (const c of shown) io.out(`${c.id}\n`); return 0; }
  const rows = [['CONTAINER', 'IMAGE', 'CREATED', 'STATE', 'NAME', 'ATTEMPT', 'POD ID', 'POD']];
  for (const c of shown) rows.push([c.id.slice(0, 13), c.image.slice(0, 13), c.created, c.state, c.name, String(c.attempt), c.podId.slice(0, 13), c.pod]);
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
      : { type: 'NetworkReady', status: false, reason: 'NetworkPluginNotReady', message: 'Network plugin returns error: cni plugin not initialized' },
  ];
  const config = runtime.kind === 'containerd'
    ? {
        containerd: { snapshotter: state?.snapshotter, defaultRuntimeName: 'runc', runtimes: { runc: { runtimeType: 'io.containerd.runc.v2', options: { SystemdCgroup: state?.systemdCgroup } } } },
        cni: { binDir: '/opt/cni/bin', confDir: '/etc/cni/net.d' },
        registry: { configPath: state?.configPath },
        sandboxImage: state?.sandboxImage,
      }
    : { cgroupDriver: readState('docker')?.cgroupDriver, podInfraContainerImage: state?.podInfraImage };
  io.out(`${JSON.stringify({ status: { conditions }, config, lastCNILoadStatus: network ? 'OK' : 'cni config load failed: no network config found in /etc/cni/net.d: cni plugin not initialized: failed to load cni config' }, null, 2)}\n`);
  return 0;
}

function version(runtime: Runtime, io: Io): number {
  const isContainerd = runtime.kind === 'containerd';
  const install = containerdInstall();
  const runtimeVersion = isContainerd ? (install.pkg === 'containerd.io' ? `v${install.release.version}` : install.release.version) : dockerVersion();
  io.out(`Version:  0.1.0\nRuntimeName:  ${isContainerd ? 'containerd' : 'docker'}\nRuntimeVersion:  ${runtimeVersion}\nRuntimeApiVersion:  v1\n`);
  return 0;
}

function configCommand(file: string, text: string | undefined, argv: string[], io: Io): number {
  const doc = ((text ? parseYaml(text) : {}) ?? {}) as Record<string, unknown>;
  const setIndex = argv.indexOf('--set');
  const getIndex = argv.indexOf('--get');
  if (getIndex !== -1) { io.out(`${String(doc[argv[getIndex + 1] ?? ''] ?? '')}\n`); return 0; }
  const pairs = setIndex !== -1 ? (argv[setIndex + 1] ?? '').split(',') : argv.filter((a) => a.includes('='));
  for (const pair of pairs) {
    const [key, ...value] = pair.split('=');
    const v = value.join('=');
    doc[key!] = v === 'true' ? true : v === 'false' ? false : /^\d+$/.test(v) ? Number(v) : v;
  }
  writeText(file, stringifyYaml(doc));
  return 0;
}
