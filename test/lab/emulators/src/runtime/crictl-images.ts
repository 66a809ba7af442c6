// crictl's image commands (images, pull, rmi, inspecti) against the host's image store; with the real containerd
// running, pulls and removals go through its ctr so the store keeps mirroring it.
import { tabulate, humanSize, crictlFatal as fatal, type Io } from './cli-util.js';
import { K8S_NAMESPACE, type ImageStore, type StoredImage } from './image-store.js';
import { labPath } from './lab-paths.js';
import { normalizeRef, splitRepoTag } from './image-ref.js';
import { nodeSync, readState, realBinDir, realContainerd } from './runtime-state.js';

export interface Runtime {
  endpoint: string;
  kind: 'containerd' | 'cri-docker';
  store: ImageStore;
}

/** The real containerd serving this host with its binaries, when there is one (see real-containerd.ts). */
function withRealContainerd(): { bin: string; socket: string } | undefined {
  const real = realContainerd();
  const bin = real ? realBinDir() : undefined;
  return real && bin ? { bin, socket: real.socket } : undefined;
}

interface CriImage {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: string;
  uid: null;
  username: string;
  spec: null;
  pinned: boolean;
}

function criImages(images: StoredImage[], sandbox: string | undefined): CriImage[] {
  const byId = new Map<string, CriImage>();
  for (const image of images) {
    const entry = byId.get(image.configDigest) ?? {
      id: image.configDigest,
      repoTags: [],
      repoDigests: [],
      size: String(image.size),
      uid: null,
      username: '',
      spec: null,
      pinned: false,
    };
    const { repository } = splitRepoTag(image.name);
    if (!image.name.includes('@')) entry.repoTags.push(image.name);
    const repoDigest = `${repository}@${image.digest}`;
    if (!entry.repoDigests.includes(repoDigest)) entry.repoDigests.push(repoDigest);
    if (image.name === sandbox) entry.pinned = true;
    byId.set(image.configDigest, entry);
  }
  return [...byId.values()];
}

export function images(runtime: Runtime, argv: string[], io: Io): number {
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
  const sandbox = runtime.kind === 'containerd' ? (readState('containerd')?.sandboxImage as string | undefined) : undefined;
  const cri = criImages(list, sandbox);
  if (output === 'json') {
    io.out(`${JSON.stringify({ images: cri }, null, 2)}\n`);
    return 0;
  }
  if (quiet) {
    for (const image of cri) io.out(`${image.id}\n`);
    return 0;
  }
  const header = digests ? ['IMAGE', 'TAG', 'DIGEST', 'IMAGE ID', 'SIZE'] : ['IMAGE', 'TAG', 'IMAGE ID', 'SIZE'];
  const rows = [header];
  for (const image of list) {
    const { repository, tag } = splitRepoTag(image.name);
    const id = image.configDigest.replace(/^sha256:/, '').slice(0, 13);
    const row = digests
      ? [repository, tag, image.digest.replace(/^sha256:/, '').slice(0, 13), id, humanSize(image.size)]
      : [repository, tag, id, humanSize(image.size)];
    rows.push(row);
  }
  io.out(tabulate(rows, { minWidth: 20, padding: 3 }));
  return 0;
}

export async function pull(runtime: Runtime, argv: string[], io: Io): Promise<number> {
  const ref = argv.find((a) => !a.startsWith('-'));
  if (!ref) throw fatal('Image name cannot be empty');
  const name = normalizeRef(ref);
  const configPath = runtime.kind === 'containerd' ? String(readState('containerd')?.configPath ?? '') : '';
  const real = runtime.kind === 'containerd' ? withRealContainerd() : undefined;
  if (real) {
    // the real containerd runs without its CRI plugin: pull through its ctr (same hosts dir), then mirror the store
    const hostsDir = configPath ? ['--hosts-dir', labPath(configPath.split(':')[0]!)] : [];
    const { realCtr, syncStoreFromReal } = await import('./real-containerd.js');
    const r = realCtr(real.bin, real.socket, [
      '-n',
      K8S_NAMESPACE,
      'images',
      'pull',
      ...hostsDir,
      '--label',
      'io.cri-containerd.image=managed',
      name,
    ]);
    syncStoreFromReal(real.bin, real.socket, K8S_NAMESPACE);
    if (r.status !== 0)
      throw fatal(
        `pulling image: rpc error: code = Unknown desc = failed to pull and unpack image "${name}": ${(r.stderr ?? '').trim().replace(/^ctr: /, '')}`,
      );
    io.out(`Image is up to date for ${runtime.store.get(name)?.configDigest ?? ''}\n`);
    nodeSync();
    return 0;
  }
  const { pullImage, PullError } = await import('./registry-pull.js');
  try {
    const image = await pullImage(name, { hostsDirs: configPath ? configPath.split(':') : [] });
    runtime.store.put([image], runtime.kind === 'containerd' ? { 'io.cri-containerd.image': 'managed' } : {});
    io.out(`Image is up to date for ${image.configDigest}\n`);
    nodeSync();
    return 0;
  } catch (error) {
    if (!(error instanceof PullError)) throw error;
    const desc =
      runtime.kind === 'containerd'
        ? `failed to pull and unpack image "${name}": ${error.message}`
        : `Error response from daemon: Get "https://${name.split('/')[0]}/v2/": dial tcp: lookup ${name.split('/')[0]}: no such host`;
    throw fatal(`pulling image: rpc error: code = Unknown desc = ${desc}`);
  }
}

export async function rmi(runtime: Runtime, argv: string[], io: Io): Promise<number> {
  const all = argv.includes('-a') || argv.includes('--all');
  const prune = argv.includes('--prune');
  // --prune: every image no running container uses (here: the static pods' images stay)
  const inUse = new Set(prune ? (await import('./crictl-ps.js')).containers(runtime.store).map((c) => c.image) : []);
  const refs =
    all || prune
      ? runtime.store
          .list()
          .filter((i) => !inUse.has(i.configDigest))
          .map((i) => i.name)
      : argv.filter((a) => !a.startsWith('-'));
  if (prune && refs.length === 0) return 0;
  if (refs.length === 0) throw fatal('No IDs provided or nothing to delete');
  for (const ref of refs) {
    const byId = runtime.store.list().filter((i) => i.configDigest === ref || i.configDigest.replace(/^sha256:/, '').startsWith(ref));
    const names = byId.length > 0 ? byId.map((i) => i.name) : [normalizeRef(ref)];
    const real = runtime.kind === 'containerd' ? withRealContainerd() : undefined;
    const held = names.filter((n) => runtime.store.has(n));
    if (real && held.length > 0) {
      const { realCtr, syncStoreFromReal } = await import('./real-containerd.js');
      realCtr(real.bin, real.socket, ['-n', K8S_NAMESPACE, 'images', 'rm', ...held]);
      syncStoreFromReal(real.bin, real.socket, K8S_NAMESPACE);
    }
    const removed = real ? held : runtime.store.remove(names);
    if (removed.length === 0) throw fatal(`no such image ${ref}`);
    for (const name of removed) io.out(`Deleted: ${name}\n`);
  }
  nodeSync();
  return 0;
}

export function inspecti(runtime: Runtime, argv: string[], io: Io): number {
  const refs = argv.filter((a) => !a.startsWith('-'));
  if (refs.length === 0) throw fatal('image name cannot be empty');
  const list = runtime.store.list();
  for (const ref of refs) {
    const match = list.find((i) => i.name === normalizeRef(ref) || i.configDigest === ref || i.configDigest.slice(7).startsWith(ref));
    if (!match) throw fatal(`no such image "${ref}" present`);
    const [status] = criImages(
      list.filter((i) => i.configDigest === match.configDigest),
      undefined,
    );
    io.out(
      `${JSON.stringify({ status, info: { imageSpec: { os: match.platforms[0]?.split('/')[0], architecture: match.platforms[0]?.split('/')[1] } } }, null, 2)}\n`,
    );
  }
  return 0;
}
