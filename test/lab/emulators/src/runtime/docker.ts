// Emulated docker CLI (images in the store's "moby" namespace), dockerd and cri-dockerd version fronts.
// The daemon state comes from the docker.service start hook (daemon.json validated there).
import { readFileSync } from 'node:fs';
import { Exit, tabulate, humanSize, type Io } from './cli-util.js';
import { ImageStore, DOCKER_NAMESPACE } from './image-store.js';
import { readImageArchive } from './oci-archive.js';
import { familiarRef, normalizeRef, splitRepoTag } from './image-ref.js';
import { pullImage, PullError } from './registry-pull.js';
import { nodeSync, readState, runtimeActive } from './runtime-state.js';
import { criDockerdVersion, dockerVersion } from './versions.js';
import { inputPath } from './ctr.js';

const NOT_RUNNING = 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?';
const build = (v: string): string => Buffer.from(v).toString('hex').slice(0, 7);

function daemon(): ImageStore {
  if (!runtimeActive('docker')) throw new Exit(1, NOT_RUNNING);
  return new ImageStore(DOCKER_NAMESPACE);
}

function ago(iso: string): string {
  const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (s < 1) return 'Less than a second ago';
  if (s < 60) return `${Math.floor(s)} seconds ago`;
  if (s < 3600) return `${Math.floor(s / 60)} minute${s < 120 ? '' : 's'} ago`;
  return `${Math.floor(s / 3600)} hour${s < 7200 ? '' : 's'} ago`;
}

/** Fills a Go template of simple {{.Field}} / {{json .}} placeholders. */
function format(template: string, fields: Record<string, unknown>): string {
  return template
    .replace(/\{\{\s*json \.\s*\}\}/g, JSON.stringify(fields))
    .replace(/\{\{\s*\.(\w+)\s*\}\}/g, (_, k: string) => String(fields[k] ?? '<no value>'));
}

function formatFlag(argv: string[]): string | undefined {
  const i = argv.findIndex((a) => a === '--format' || a === '-f');
  if (i !== -1) return argv[i + 1];
  return argv.find((a) => a.startsWith('--format='))?.slice(9);
}

export async function docker(argv: string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  const version = dockerVersion();
  switch (command) {
    case '--version':
    case '-v':
      io.out(`Docker version ${version}, build ${build(version)}\n`);
      return 0;
    case 'version': {
      io.out(
        `Client: Docker Engine - Community\n Version:           ${version}\n API version:       1.47\n OS/Arch:           linux/amd64\n\n`,
      );
      if (!runtimeActive('docker')) throw new Exit(1, NOT_RUNNING);
      io.out(
        `Server: Docker Engine - Community\n Engine:\n  Version:          ${version}\n  API version:      1.47 (minimum version 1.24)\n`,
      );
      return 0;
    }
    case 'info':
      return info(rest, io);
    case 'images':
    case 'image':
      return images(rest[0] === 'ls' ? rest.slice(1) : rest, io);
    case 'load':
      return load(rest, io);
    case 'tag': {
      const [source, target] = rest;
      if (!source || !target) throw new Exit(1, '"docker tag" requires exactly 2 arguments.');
      const store = daemon();
      const src = store.list().find((i) => i.name === normalizeRef(source) || i.configDigest.replace('sha256:', '').startsWith(source));
      if (!src) throw new Exit(1, `Error response from daemon: No such image: ${source}`);
      store.tag(src.name, normalizeRef(target), true);
      nodeSync();
      return 0;
    }
    case 'rmi': {
      const store = daemon();
      for (const ref of rest.filter((a) => !a.startsWith('-'))) {
        if (store.remove([normalizeRef(ref)]).length === 0) throw new Exit(1, `Error response from daemon: No such image: ${ref}`);
        io.out(`Untagged: ${ref}\n`);
      }
      nodeSync();
      return 0;
    }
    case 'pull':
      return pull(rest, io);
    case 'run':
      return run(rest, io);
    case 'ps':
      daemon();
      if (!rest.includes('-q')) io.out('CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n');
      return 0;
    case undefined:
      throw new Exit(0, 'Usage:  docker [OPTIONS] COMMAND');
    default:
      throw new Exit(1, `docker: '${command}' is not a docker command.\nSee 'docker --help'`);
  }
}

function info(argv: string[], io: Io): number {
  const template = formatFlag(argv);
  if (!runtimeActive('docker')) {
    if (template) throw new Exit(1, NOT_RUNNING);
    io.out('Client: Docker Engine - Community\n Version:    ' + dockerVersion() + '\n Context:    default\n\nServer:\n');
    throw new Exit(1, `ERROR: ${NOT_RUNNING}\nerrors pretty printing info`);
  }
  const state = readState('docker')!;
  const images = new ImageStore(DOCKER_NAMESPACE).list().length;
  const fields: Record<string, unknown> = {
    ServerVersion: dockerVersion(),
    CgroupDriver: state.cgroupDriver,
    CgroupVersion: '2',
    Driver: state.storageDriver,
    DockerRootDir: state.dataRoot,
    Images: images,
    Containers: 0,
    Name: process.env.LAB_HOST ?? 'localhost',
  };
  if (template) {
    io.out(`${format(template, fields)}\n`);
    return 0;
  }
  const mirrors = (state.registryMirrors as string[] | undefined) ?? [];
  io.out(
    [
      'Client: Docker Engine - Community',
      ` Version:    ${dockerVersion()}`,
      ' Context:    default',
      ' Debug Mode: false',
      '',
      'Server:',
      ' Containers: 0',
      '  Running: 0',
      '  Paused: 0',
      '  Stopped: 0',
      ` Images: ${images}`,
      ` Server Version: ${dockerVersion()}`,
      ` Storage Driver: ${state.storageDriver}`,
      ' Logging Driver: json-file',
      ` Cgroup Driver: ${state.cgroupDriver}`,
      ' Cgroup Version: 2',
      ` Docker Root Dir: ${state.dataRoot}`,
      ' Debug Mode: false',
      ...(mirrors.length ? [' Registry Mirrors:', ...mirrors.map((m) => `  ${m}`)] : []),
      ' Live Restore Enabled: false',
      '',
    ].join('\n'),
  );
  return 0;
}

function images(argv: string[], io: Io): number {
  const store = daemon();
  const list = store.list();
  const template = formatFlag(argv);
  const quiet = argv.includes('-q') || argv.includes('--quiet');
  const rows = list.map((image) => {
    const { repository, tag } = splitRepoTag(familiarRef(image.name));
    return {
      Repository: repository,
      Tag: tag,
      ID: image.configDigest.replace('sha256:', '').slice(0, 12),
      CreatedSince: ago(image.createdAt),
      Size: humanSize(image.size),
    };
  });
  if (template) {
    for (const row of rows) io.out(`${format(template, row)}\n`);
    return 0;
  }
  if (quiet) {
    for (const id of new Set(rows.map((r) => r.ID))) io.out(`${id}\n`);
    return 0;
  }
  io.out(
    tabulate(
      [['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'], ...rows.map((r) => [r.Repository, r.Tag, r.ID, r.CreatedSince, r.Size])],
      { minWidth: 10, padding: 3 },
    ),
  );
  return 0;
}

function load(argv: string[], io: Io): number {
  const store = daemon();
  const i = argv.findIndex((a) => a === '-i' || a === '--input');
  const file = i !== -1 ? argv[i + 1] : argv.find((a) => a.startsWith('--input='))?.slice(8);
  let data: Buffer;
  try {
    data = file ? readFileSync(inputPath(file)) : readFileSync(0);
  } catch {
    throw new Exit(1, `open ${file}: no such file or directory`);
  }
  let archive;
  try {
    archive = readImageArchive(data);
  } catch (error) {
    throw new Exit(1, `Error response from daemon: ${(error as Error).message.replace(/^ctr: /, '')}`);
  }
  store.put(archive.images);
  // -q only hides the progress bars; the "Loaded image" lines always print
  for (const image of archive.images) io.out(`Loaded image: ${familiarRef(image.name)}\n`);
  nodeSync();
  return 0;
}

async function pull(argv: string[], io: Io): Promise<number> {
  const store = daemon();
  const ref = argv.find((a) => !a.startsWith('-'));
  if (!ref) throw new Exit(1, '"docker pull" requires exactly 1 argument.');
  const name = normalizeRef(ref);
  const mirrors = (readState('docker')?.registryMirrors as string[] | undefined) ?? [];
  try {
    // dockerd's registry-mirrors apply to Docker Hub images only
    const image = await pullImage(name, { mirrors: name.startsWith('docker.io/') ? mirrors : [] });
    store.put([image]);
    io.out(
      `${splitRepoTag(familiarRef(name)).tag}: Pulling from ${familiarRef(splitRepoTag(name).repository)}\nDigest: ${image.digest}\nStatus: Downloaded newer image for ${familiarRef(name)}\n${name}\n`,
    );
    nodeSync();
    return 0;
  } catch (error) {
    if (!(error instanceof PullError)) throw error;
    const host = name.startsWith('docker.io/') ? (mirrors[0] ? new URL(mirrors[0]).host : 'registry-1.docker.io') : name.split('/')[0]!;
    throw new Exit(1, `Error response from daemon: Get "https://${host}/v2/": dial tcp: lookup ${host}: no such host`);
  }
}

export function dockerd(argv: string[], io: Io): number {
  if (argv.includes('--version') || argv.includes('-v')) {
    io.out(`Docker version ${dockerVersion()}, build ${build(dockerVersion())}\n`);
    return 0;
  }
  throw new Exit(1, 'lab: dockerd runs only as docker.service here (systemctl start docker)');
}

export function criDockerd(argv: string[], io: Io): number {
  if (argv.includes('--version') || argv.includes('-v') || argv[0] === 'version') {
    const v = criDockerdVersion();
    io.out(`cri-dockerd ${v} (${build(v)})\n`);
    return 0;
  }
  throw new Exit(1, 'lab: cri-dockerd runs only as cri-docker.service here (systemctl start cri-docker)');
}

/**
 * `docker run [--rm] [--network host] [-v SRC:DST[:ro]]… IMAGE COMMAND [ARG…]`: COMMAND of a held image
 * (runtime/image-exec.ts) in the foreground; exits with its code (127 and dockerd's text when the image lacks it).
 */
async function run(argv: string[], io: Io): Promise<number> {
  const store = daemon();
  const mounts: { src: string; dst: string }[] = [];
  let i = 0;
  for (; i < argv.length && argv[i]!.startsWith('-'); i++) {
    const [flag, inline] = argv[i]!.split(/=(.*)/s) as [string, string | undefined];
    if (['--rm', '-i', '-t', '-it', '--interactive', '--tty', '--privileged', '--init'].includes(flag)) continue;
    if (flag === '-v' || flag === '--volume') {
      const [src, dst] = (inline ?? argv[++i] ?? '').split(':');
      if (!src || !dst) throw new Exit(125, `docker: invalid spec: ${inline ?? argv[i]}.`);
      mounts.push({ src, dst });
    } else if (['--network', '--net', '--name', '-e', '--env', '-w', '--workdir', '--entrypoint', '-u', '--user'].includes(flag)) {
      if (inline === undefined) i++;
    } else throw new Exit(125, `unknown flag: ${flag}\nSee 'docker run --help'.`);
  }
  const [image, ...command] = argv.slice(i);
  if (!image) throw new Exit(125, `"docker run" requires at least 1 argument.\nSee 'docker run --help'.`);
  const ref = normalizeRef(image);
  if (!store.has(ref))
    throw new Exit(
      125,
      `Unable to find image '${familiarRef(ref)}' locally\ndocker: Error response from daemon: Get "https://${ref.split('/')[0]}/v2/": dial tcp: lookup ${ref.split('/')[0]}: no such host.`,
    );
  if (command.length === 0) throw new Exit(125, 'docker: the lab runs no image default command: give COMMAND.');
  const { runInImage } = await import('../kube/image-exec.js');
  const r = runInImage(ref, command, mounts, io);
  if (r.missing)
    throw new Exit(
      127,
      `docker: Error response from daemon: failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: ${r.missing}.`,
    );
  return r.code;
}
