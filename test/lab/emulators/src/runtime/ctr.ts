// Emulated `ctr` (containerd 1.6/1.7/2.x CLI): images import|ls|tag|rm|pull, namespaces ls, run, version.
// When the host runs the real containerd, image commands go to the real ctr and the store is re-synced.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { isAbsolute } from 'node:path';
import { Exit, tabulate, ctrBytes, parseArgs, flagOn, flagString, type Io } from './cli-util.js';
import { ImageStore } from './image-store.js';
import { readImageArchive } from './oci-archive.js';
import { labPath } from './lab-paths.js';
import { pullImage, PullError } from './registry-pull.js';
import { CONTAINERD_SOCKET, nodeSync, realBinDir, realContainerd, runtimeActive } from './runtime-state.js';
import { realCtr, syncStoreFromReal } from './real-containerd.js';
import { containerdInstall, ctrVersionLine } from './versions.js';
import { normalizeRef } from './image-ref.js';

const die = (message: string): Exit => new Exit(1, `ctr: ${message}`);
const flagError = (flag: string): Exit =>
  new Exit(1, `Incorrect Usage: flag provided but not defined: -${flag.replace(/^-+/, '').split('=')[0]}`);

export function inputPath(path: string): string {
  return isAbsolute(path) ? labPath(path) : path;
}

function uuidOf(seed: string): string {
  const h = createHash('sha1').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function goLogTime(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

export async function ctr(argv: string[], io: Io): Promise<number> {
  let i = 0;
  let namespace = process.env.CONTAINERD_NAMESPACE || 'default';
  let address = process.env.CONTAINERD_ADDRESS || CONTAINERD_SOCKET;
  for (; i < argv.length && argv[i]!.startsWith('-'); i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.split(/=(.*)/s) as [string, string | undefined];
    if (flag === '-n' || flag === '--namespace') namespace = inline ?? argv[++i] ?? '';
    else if (flag === '-a' || flag === '--address') address = inline ?? argv[++i] ?? '';
    else if (flag === '--timeout' || flag === '--connect-timeout') {
      if (inline === undefined) i++;
    } else if (flag === '--debug') continue;
    else if (flag === '-v' || flag === '--version') {
      io.out(`${ctrVersionLine()}\n`);
      return 0;
    } else throw flagError(arg);
  }
  const command = argv[i];
  const rest = argv.slice(i + 1);
  if (command === 'version') return version(io);
  if (command === undefined)
    throw new Exit(0, 'NAME:\n   ctr - \n        __\n  _____/ /______\n / ___/ __/ ___/\n/ /__/ /_/ /\n\\___/\\__/_/\n\ncontainerd CLI');
  if (command === 'run') return run(namespace, address, rest, io);
  if (!['images', 'image', 'i', 'namespaces', 'namespace', 'ns'].includes(command)) throw new Exit(1, `No help topic for '${command}'`);

  const real = realContainerd();
  const bin = real ? realBinDir() : undefined;
  if (real && bin) {
    // LAB_FS_ROOT applies to the archive path too (empty inside a host)
    const forwarded =
      ['images', 'image', 'i'].includes(command) && rest[0] === 'import' && rest.length > 1
        ? [command, ...rest.slice(0, -1), inputPath(rest[rest.length - 1]!)]
        : argv.slice(i);
    const result = realCtr(bin, real.socket, ['-n', namespace, ...forwarded], true);
    const mutating = ['import', 'tag', 'rm', 'remove', 'delete', 'del', 'pull'].includes(rest[0] ?? '');
    if (mutating && ['images', 'image', 'i'].includes(command)) {
      syncStoreFromReal(bin, real.socket, namespace);
      nodeSync();
    }
    return result.status ?? 1;
  }
  if (!runtimeActive('containerd') || labPath(address) !== labPath(CONTAINERD_SOCKET)) {
    throw die(
      `failed to dial "${address}": context deadline exceeded: connection error: desc = "transport: error while dialing: dial unix://${address}: timeout"`,
    );
  }
  if (command.startsWith('n')) return namespaces(rest, io);
  const store = new ImageStore(namespace);
  const [sub, ...args] = rest;
  switch (sub) {
    case 'import':
      return importImages(store, args, io);
    case 'ls':
    case 'list':
      return list(store, args, io);
    case 'tag':
      return tag(store, args, io);
    case 'rm':
    case 'remove':
    case 'delete':
    case 'del':
      return remove(store, args, io);
    case 'pull':
      return pull(store, args, io);
    case undefined:
      throw new Exit(0, 'NAME:\n   ctr images - manage images');
    default:
      throw new Exit(1, `No help topic for '${sub}'`);
  }
}

function version(io: Io): number {
  const install = containerdInstall();
  const v = install.pkg === 'containerd.io' && install.release.major < 2 ? `v${install.release.version}` : install.release.version;
  // the Go each release line was built with (Debian's 1.6.20: go1.19.8)
  const go = install.release.major >= 2 ? 'go1.23.8' : install.release.minor >= 7 ? 'go1.22.12' : 'go1.19.8';
  io.out(`Client:\n  Version:  ${v}\n  Revision: ${install.revision}\n  Go version: ${go}\n\n`);
  if (!runtimeActive('containerd')) {
    throw die(
      `failed to dial "${CONTAINERD_SOCKET}": context deadline exceeded: connection error: desc = "transport: error while dialing: dial unix://${CONTAINERD_SOCKET}: timeout"`,
    );
  }
  io.out(`Server:\n  Version:  ${v}\n  Revision: ${install.revision}\n  UUID: ${uuidOf(process.env.LAB_HOST ?? labPath('/'))}\n`);
  return 0;
}

function importImages(store: ImageStore, argv: string[], io: Io): number {
  const args = parseArgs(
    argv,
    {
      valued: ['base-name', 'index-name', 'platform', 'snapshotter', 'label'],
      bool: ['digests', 'all-platforms', 'no-unpack', 'compress-blobs', 'local', 'skip-digest-for-named'],
    },
    flagError,
  );
  const file = args.positional[0];
  if (!file) throw die('please provide an image tarball to import');
  let data: Buffer;
  try {
    data = file === '-' ? readFileSync(0) : readFileSync(inputPath(file));
  } catch {
    throw die(`open ${file}: no such file or directory`);
  }
  const baseName = flagString(args, 'base-name') ?? `import-${new Date().toISOString().slice(0, 10)}`;
  let archive;
  try {
    archive = readImageArchive(data, {
      baseName,
      platform: flagString(args, 'platform') ?? 'linux/amd64',
      allPlatforms: flagOn(args, 'all-platforms'),
    });
  } catch (error) {
    throw die((error as Error).message.replace(/^ctr: /, ''));
  }
  store.put(archive.images);
  if (!flagOn(args, 'no-unpack')) for (const image of archive.images) io.out(`unpacking ${image.name} (${image.digest})...done\n`);
  nodeSync();
  return 0;
}

function list(store: ImageStore, argv: string[], io: Io): number {
  const args = parseArgs(argv, { bool: ['quiet'], alias: { q: 'quiet' } }, flagError);
  const filters = args.positional.map((f) => /^name==?(.*)$/.exec(f)?.[1] ?? f);
  const images = store.list().filter((image) => filters.length === 0 || filters.includes(image.name));
  if (flagOn(args, 'quiet')) {
    for (const image of images) io.out(`${image.name}\n`);
    return 0;
  }
  const rows = [['REF', 'TYPE', 'DIGEST', 'SIZE', 'PLATFORMS', 'LABELS']];
  for (const image of images) {
    const labels =
      Object.entries(image.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(',') || '-';
    rows.push([image.name, image.mediaType, image.digest, ctrBytes(image.size), image.platforms.join(','), labels]);
  }
  io.out(tabulate(rows, { trailingTab: true }));
  return 0;
}

function tag(store: ImageStore, argv: string[], io: Io): number {
  const args = parseArgs(argv, { bool: ['force', 'skip-reference-check'] }, flagError);
  const [source, ...targets] = args.positional;
  if (!source) throw die('please provide an image reference to tag from');
  if (targets.length === 0) throw die('please provide an image reference to tag to');
  for (const target of targets) {
    try {
      store.tag(source, target, flagOn(args, 'force'));
    } catch (error) {
      throw die((error as Error).message);
    }
    io.out(`${target}\n`);
  }
  nodeSync();
  return 0;
}

function remove(store: ImageStore, argv: string[], io: Io): number {
  const args = parseArgs(argv, { bool: ['sync'] }, flagError);
  for (const name of args.positional) {
    if (store.remove([name]).length > 0) io.out(`${name}\n`);
    else io.err(`time="${goLogTime()}" level=warning msg="${name}: image not found"\n`);
  }
  nodeSync();
  return 0;
}

async function pull(store: ImageStore, argv: string[], io: Io): Promise<number> {
  const args = parseArgs(
    argv,
    {
      valued: [
        'platform',
        'hosts-dir',
        'user',
        'refresh',
        'tlscacert',
        'tlscert',
        'tlskey',
        'snapshotter',
        'label',
        'max-concurrent-downloads',
      ],
      bool: ['plain-http', 'skip-verify', 'all-platforms', 'all-metadata', 'print-chainid', 'http-dump', 'http-trace', 'local'],
      alias: { k: 'skip-verify', u: 'user' },
    },
    flagError,
  );
  const ref = args.positional[0];
  if (!ref) throw die('please provide an image reference to pull');
  let name: string;
  try {
    name = normalizeRef(ref);
  } catch (error) {
    throw die((error as Error).message);
  }
  const hostsDir = flagString(args, 'hosts-dir');
  try {
    const image = await pullImage(name, {
      hostsDirs: hostsDir ? [hostsDir] : [],
      plainHttp: flagOn(args, 'plain-http'),
      platform: flagString(args, 'platform') ?? 'linux/amd64',
    });
    store.put([image]);
    io.out(
      `${name}: resolved\nelapsed: 0.1 s\ttotal: ${ctrBytes(image.size)}\nunpacking ${image.platforms[0] ?? 'linux/amd64'} ${image.digest}...\ndone: 2.1ms\n`,
    );
    nodeSync();
    return 0;
  } catch (error) {
    if (error instanceof PullError) throw die(error.message);
    throw error;
  }
}

function namespaces(argv: string[], io: Io): number {
  const [sub, ...rest] = argv;
  if (sub !== 'ls' && sub !== 'list') throw new Exit(1, `No help topic for '${sub ?? ''}'`);
  const dir = labPath('/var/lib/lab/images');
  const names = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .map((f) => f.slice(0, -5))
        .sort()
    : [];
  if (rest.includes('-q') || rest.includes('--quiet')) {
    for (const n of names) io.out(`${n}\n`);
    return 0;
  }
  io.out(tabulate([['NAME', 'LABELS'], ...names.map((n) => [n, ''])], { trailingTab: true }));
  return 0;
}

/**
 * `ctr run [--rm] [--net-host] [--mount type=bind,src=S,dst=D,options=…]… IMAGE ID COMMAND [ARG…]`: a throw-away
 * container of an image the namespace holds, running COMMAND of that image (runtime/image-exec.ts) in the
 * foreground; exits with its code. Always emulated (the lab's real containerd has no runc and no CRI).
 */
async function run(namespace: string, address: string, argv: string[], io: Io): Promise<number> {
  if (!(realContainerd() || runtimeActive('containerd')) || labPath(address) !== labPath(CONTAINERD_SOCKET)) {
    throw die(
      `failed to dial "${address}": context deadline exceeded: connection error: desc = "transport: error while dialing: dial unix://${address}: timeout"`,
    );
  }
  const mounts: { src: string; dst: string }[] = [];
  let i = 0;
  for (; i < argv.length && argv[i]!.startsWith('-'); i++) {
    const [flag, inline] = argv[i]!.split(/=(.*)/s) as [string, string | undefined];
    if (['--rm', '--net-host', '-t', '--tty', '--privileged', '--read-only'].includes(flag)) continue;
    if (flag === '--mount') {
      const spec = Object.fromEntries((inline ?? argv[++i] ?? '').split(',').map((kv) => kv.split(/=(.*)/s) as [string, string]));
      if (spec.type !== 'bind' || !spec.src || !spec.dst) throw die(`invalid mount ${JSON.stringify(spec)}`);
      mounts.push({ src: spec.src, dst: spec.dst });
    } else if (flag === '--env' || flag === '--cwd' || flag === '--label') {
      if (inline === undefined) i++;
    } else throw flagError(argv[i]!);
  }
  const [image, id, ...command] = argv.slice(i);
  if (!image || !id) throw die('image ref and container id must be provided');
  let ref: string;
  try {
    ref = normalizeRef(image);
  } catch {
    throw die(`image "${image}": not found`);
  }
  if (!new ImageStore(namespace).has(ref)) throw die(`image "${ref}": not found`);
  if (command.length === 0) throw die('the lab runs no image default command: give COMMAND');
  const { runInImage } = await import('../kube/image-exec.js');
  const r = runInImage(ref, command, mounts, io);
  if (r.missing) throw die(`failed to create shim task: OCI runtime create failed: runc create failed: ${r.missing}`);
  return r.code;
}
