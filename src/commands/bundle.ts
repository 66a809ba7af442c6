/**
 * `kubesmith bundle create|verify|push`: build an air-gap bundle for an inventory on a machine with network,
 * check one, or copy its images into a private registry (mirror mode).
 */
import { isAbsolute, join, resolve } from 'node:path';
import type { CommandContext } from '../cli/context.js';
import { defineCommand } from '../cli/context.js';
import { UsageError } from '../cli/context.js';
import { PACKAGE_RELEASES } from '../bundle/artifacts.js';
import { createBundle } from '../bundle/create.js';
import { verifyBundle } from '../bundle/manifest.js';
import { matchBundle } from '../bundle/match.js';
import { bundlePath, openBundle, packBundle } from '../bundle/open.js';
import { pushBundle } from '../bundle/push.js';
import { RegistryClient } from '../bundle/registry.js';
import { AuthError, authKey, loadAuthFile, type RegistryAuth } from '../bundle/auth.js';
import { generateSigningKey, loadSigningKey, SignatureError } from '../bundle/signature.js';
import { loadInventoryFor } from './run-playbook.js';
import { progress } from './bundle-progress.js';

const PLATFORM = /^linux\/(amd64|arm64)$/;

const list = (v: unknown): string[] =>
  (Array.isArray(v) ? (v as string[]) : typeof v === 'string' ? [v] : [])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

/** user:password@ in a URL: refused wherever a URL is taken, so no secret rides along into logs and errors. */
const hasUserinfo = (url: string) => /^[a-z]+:\/\/[^/?#]*@/i.test(url);

/** --registry-mirror URL (every registry) or REGISTRY=URL, plus the inventory's containerRuntime.registryMirrors. */
export function mirrorsFrom(flags: string[], inventoryMirrors: Record<string, string[]>): Record<string, string[]> {
  const mirrors: Record<string, string[]> = {};
  for (const m of flags) {
    const eq = m.indexOf('=');
    const [registry, url] = eq > 0 && !m.slice(0, eq).includes('/') ? [m.slice(0, eq), m.slice(eq + 1)] : ['*', m];
    if (hasUserinfo(url))
      throw new UsageError(
        `--registry-mirror for ${registry}: a URL with credentials in it is refused (it would show in logs); put them in an auths file (--registry-auth FILE)`,
      );
    if (!/^https?:\/\/[^\s]+$/.test(url)) throw new UsageError(`--registry-mirror ${m}: expected URL or REGISTRY=URL with an http(s) URL`);
    (mirrors[registry] ??= []).push(url);
  }
  for (const [registry, urls] of Object.entries(inventoryMirrors)) {
    if (urls.some(hasUserinfo))
      throw new UsageError(
        `containerRuntime.registryMirrors.${registry}: a URL with credentials in it is refused (it would show in logs); put them in an auths file (--registry-auth FILE)`,
      );
    (mirrors[registry] ??= []).push(...urls);
  }
  return mirrors;
}

/**
 * Registry credentials, per host: --registry-auth FILE (or $REGISTRY_AUTH_FILE), an auths file as docker and podman
 * write it. For `bundle push` only, KUBESMITH_REGISTRY_USERNAME/PASSWORD are the credential of the --registry host.
 */
function registryAuth(ctx: CommandContext, pushTo?: URL): RegistryAuth | undefined {
  const file = str(ctx.values['registry-auth']) ?? str(ctx.env.REGISTRY_AUTH_FILE);
  const username = ctx.env.KUBESMITH_REGISTRY_USERNAME;
  const password = ctx.env.KUBESMITH_REGISTRY_PASSWORD;
  if ((username || password) && !pushTo) {
    throw new UsageError(
      'KUBESMITH_REGISTRY_USERNAME/PASSWORD name no registry; for bundle create put credentials per registry host in an auths file and pass --registry-auth FILE',
    );
  }
  let auths: Record<string, string> = {};
  try {
    if (file) auths = loadAuthFile(isAbsolute(file) ? file : resolve(ctx.cwd, file));
  } catch (err) {
    if (err instanceof AuthError) throw new UsageError(err.message);
    throw err;
  }
  if (username && password && pushTo) auths[authKey(pushTo.host)] = Buffer.from(`${username}:${password}`).toString('base64');
  const insecure = list(ctx.values['insecure-registry']);
  if (Object.keys(auths).length === 0) return undefined;
  return { auths, insecure };
}

async function create(ctx: CommandContext): Promise<number> {
  const loaded = await loadInventoryFor(ctx);
  const out = str(ctx.values.file) ?? loaded.inventory.spec.offline?.bundle;
  if (!out) throw new UsageError('missing -o PATH (or spec.offline.bundle in the inventory)');
  const dir = isAbsolute(out) ? out : resolve(str(ctx.values.file) ? ctx.cwd : loaded.dir, out);
  const platforms = list(ctx.values.platform);
  if (platforms.length === 0) platforms.push('linux/amd64');
  const bad = platforms.filter((p) => !PLATFORM.test(p));
  if (bad.length) throw new UsageError(`--platform ${bad.join(',')}: expected linux/amd64 and/or linux/arm64`);
  const packages = list(ctx.values.packages);
  const unknown = packages.filter((p) => !(PACKAGE_RELEASES as readonly string[]).includes(p));
  if (unknown.length)
    throw new UsageError(`--packages ${unknown.join(',')}: expected distro releases, some of ${PACKAGE_RELEASES.join(', ')}`);
  const filesUrl = str(ctx.values['files-url']);
  if (filesUrl && hasUserinfo(filesUrl))
    throw new UsageError('--files-url: a URL with credentials in it is refused (it would show in logs and in the manifest)');
  if (filesUrl && !/^https?:\/\/\S+$/.test(filesUrl)) throw new UsageError('--files-url: expected an http(s) URL');
  const allowHttpFiles = ctx.values['allow-http-files'] === true;
  if (filesUrl?.startsWith('http://') && !allowHttpFiles) {
    throw new UsageError(
      `--files-url ${filesUrl}: plain HTTP lets anyone on the path change the files; use https:// or add --allow-http-files`,
    );
  }
  const auth = registryAuth(ctx);
  const signWith = str(ctx.values.sign);
  const signingKey = signWith ? keyOrUsage(() => loadSigningKey(isAbsolute(signWith) ? signWith : resolve(ctx.cwd, signWith))) : undefined;
  const p = progress(ctx);
  const manifest = await createBundle({
    inventory: loaded.inventory,
    out: dir,
    platforms,
    packages,
    mirrors: mirrorsFrom(list(ctx.values['registry-mirror']), loaded.inventory.spec.containerRuntime.registryMirrors),
    ...(ctx.values['mirrors-only'] === true ? { mirrorsOnly: true } : {}),
    ...(filesUrl ? { filesUrl } : {}),
    ...(auth ? { auth } : {}),
    ...(allowHttpFiles ? { allowHttpFiles } : {}),
    ...(signingKey ? { signingKey } : {}),
    onEvent: (e) => p.event(e),
  }).finally(() => p.done());
  if (ctx.values.tar === true) {
    await packBundle(dir, `${dir}.tar`);
    p.line(`packed ${dir}.tar`);
  }
  const bytes = manifest.files.reduce((n, f) => n + f.size, 0);
  p.line(
    `bundle ${dir}: Kubernetes ${manifest.kubernetes.version}, ${manifest.images.length} images, ${manifest.files.length} files (${(bytes / 1048576).toFixed(1)} MiB), ${manifest.platforms.join(', ')}`,
    {
      dir,
      images: manifest.images.length,
      files: manifest.files.length,
      bytes,
    },
  );
  return 0;
}

function keyOrUsage<T>(load: () => T): T {
  try {
    return load();
  } catch (err) {
    if (err instanceof SignatureError) throw new UsageError(err.message);
    throw err;
  }
}

async function keygen(ctx: CommandContext): Promise<number> {
  const out = str(ctx.values.file);
  if (!out) throw new UsageError('missing -o KEY (the private key file; the public key goes to KEY.pub)');
  const keys = keyOrUsage(() => generateSigningKey(isAbsolute(out) ? out : resolve(ctx.cwd, out)));
  progress(ctx).line(
    `wrote ${keys.privateKey} (private, 0600: keep it off the cluster) and ${keys.publicKey} (set spec.offline.publicKey to it)`,
    keys,
  );
  return 0;
}

/** The inventory's spec.offline.publicKey as a path, for verifyBundle. */
function publicKeyOf(loaded: Awaited<ReturnType<typeof loadInventoryFor>>): { publicKey?: string } {
  const key = loaded.inventory.spec.offline?.publicKey;
  return key ? { publicKey: bundlePath(key, loaded.dir) } : {};
}

async function openFor(ctx: CommandContext): Promise<{ dir: string; loaded: Awaited<ReturnType<typeof loadInventoryFor>> }> {
  const loaded = await loadInventoryFor(ctx);
  const spec = str(ctx.values.bundle);
  const path = spec
    ? isAbsolute(spec)
      ? spec
      : join(ctx.cwd, spec)
    : loaded.inventory.spec.offline?.bundle
      ? bundlePath(loaded.inventory.spec.offline.bundle, loaded.dir)
      : undefined;
  if (!path) throw new UsageError('missing --bundle PATH (or spec.offline.bundle in the inventory)');
  return { dir: await openBundle(path), loaded };
}

async function verify(ctx: CommandContext): Promise<number> {
  const { dir, loaded } = await openFor(ctx);
  const key = publicKeyOf(loaded);
  const manifest = await verifyBundle(dir, key);
  const match = matchBundle(manifest, loaded.inventory);
  const p = progress(ctx);
  for (const problem of match.problems) p.line(`problem: ${problem}`, { problem });
  const signed = key.publicKey ? `, is signed by ${key.publicKey}` : ' (unsigned: set spec.offline.publicKey to check who made it)';
  p.line(
    match.problems.length
      ? `bundle ${dir} does not serve ${ctx.flags.inventory}`
      : `bundle ${dir}: every file matches its manifest${signed} and serves ${ctx.flags.inventory}`,
    { ok: match.problems.length === 0 },
  );
  return match.problems.length ? 1 : 0;
}

async function push(ctx: CommandContext): Promise<number> {
  const registry = str(ctx.values.registry);
  if (!registry || !/^https?:\/\/[A-Za-z0-9.:[\]-]+\/?$/.test(registry))
    throw new UsageError('missing or bad --registry URL (e.g. http://10.0.0.5:5000)');
  const { dir, loaded } = await openFor(ctx);
  const manifest = await verifyBundle(dir, publicKeyOf(loaded));
  const auth = registryAuth(ctx, new URL(registry));
  const p = progress(ctx);
  const prefix = str(ctx.values.prefix);
  const pushed = await pushBundle(dir, manifest, {
    registry,
    client: new RegistryClient(auth ? { auth } : {}),
    ...(prefix ? { prefix } : {}),
    onImage: (ref, target, sent) => p.line(`${ref} → ${target} (${sent} blobs sent)`, { ref, target, blobsSent: sent }),
  });
  p.line(`pushed ${pushed.length} images to ${registry}`);
  return 0;
}

export const bundleCommand = defineCommand({
  name: 'bundle',
  summary: 'Air-gap bundles: create (and sign) one for an inventory, verify it, or push its images to a registry',
  usage:
    'bundle create -i FILE -o PATH [--platform P,…] [--registry-mirror URL|REG=URL]… [--sign KEY] | bundle verify -i FILE [--bundle PATH] | bundle push -i FILE [--bundle PATH] --registry URL | bundle keygen -o KEY',
  description:
    'create (on a machine with network): pulls the exact image set of the inventory (kubeadm images for its version and imageRepository, CNI, kube-vip, ' +
    "spec.offline.extraImages) with kubesmith's own registry client, downloads kubeadm/kubelet/kubectl, crictl, CNI plugins and containerd " +
    "(and --packages debian-12,rhel-9 OS packages, resolved from each repository index), and writes manifest.json with every file's size and sha256. Re-running resumes and re-fetches nothing valid. " +
    'Set spec.offline.bundle to install from it. push copies the images to a registry. Registry credentials come per host from an auths file ' +
    '(--registry-auth FILE or $REGISTRY_AUTH_FILE, {"auths":{"HOST[:PORT]":{"auth":"base64(user:password)"}}}; for push also ' +
    'KUBESMITH_REGISTRY_USERNAME/PASSWORD for the --registry host) and go only to that host, over HTTPS unless --insecure-registry HOST names it. ' +
    'keygen writes an ed25519 key pair (KEY, KEY.pub); create --sign KEY signs manifest.json, and with spec.offline.publicKey set, ' +
    'apply, verify and push refuse a bundle whose manifest that key did not sign.',
  examples: [
    'kubesmith bundle create -i cluster.yaml -o ./bundle --platform linux/amd64,linux/arm64 --packages debian-12',
    'kubesmith bundle create -i cluster.yaml -o ./bundle --registry-mirror https://mirror.internal --files-url https://files.internal --tar',
    'kubesmith bundle keygen -o bundle.key && kubesmith bundle create -i cluster.yaml -o ./bundle --sign bundle.key',
    'kubesmith bundle verify -i cluster.yaml',
    'kubesmith bundle push -i cluster.yaml --bundle ./bundle --registry http://10.0.0.5:5000',
  ],
  flags: {
    file: {
      type: 'string',
      short: 'o',
      valueName: 'PATH',
      description: 'create: the bundle directory to write; keygen: the private key file',
    },
    platform: { type: 'string', multiple: true, valueName: 'P', description: 'create: linux/amd64 (default) and/or linux/arm64' },
    'registry-mirror': {
      type: 'string',
      multiple: true,
      valueName: 'URL',
      description: 'create: pull through this mirror (URL for every registry, or REGISTRY=URL)',
    },
    'mirrors-only': { type: 'boolean', description: 'create: never fall back to the upstream registries' },
    'files-url': {
      type: 'string',
      valueName: 'URL',
      description: 'create: HTTP mirror for files (https://HOST/PATH is fetched as URL/HOST/PATH)',
    },
    packages: {
      type: 'string',
      multiple: true,
      valueName: 'RELEASE',
      description: 'create: also fetch OS packages for these distro releases (debian-12, ubuntu-22.04, rhel-9 …)',
    },
    'allow-http-files': {
      type: 'boolean',
      description: 'create: accept a plain-HTTP --files-url or packageRepository (files can be changed in transit)',
    },
    'registry-auth': {
      type: 'string',
      valueName: 'FILE',
      description: 'create/push: registry credentials per host, an auths file (default $REGISTRY_AUTH_FILE)',
    },
    'insecure-registry': {
      type: 'string',
      multiple: true,
      valueName: 'HOST',
      description: 'create/push: this registry host may receive credentials over plain HTTP',
    },
    sign: {
      type: 'string',
      valueName: 'KEY',
      description: 'create: sign manifest.json with this ed25519 private key (bundle keygen makes one)',
    },
    tar: { type: 'boolean', description: 'create: also pack the bundle into PATH.tar' },
    bundle: { type: 'string', valueName: 'PATH', description: 'verify/push: the bundle (default spec.offline.bundle)' },
    registry: { type: 'string', valueName: 'URL', description: 'push: the registry to push to' },
    prefix: { type: 'string', valueName: 'PATH', description: 'push: put images under REGISTRY/PATH/ (for kubernetes.imageRepository)' },
  },
  subcommands: ['create', 'verify', 'push', 'keygen'],
  positionals: [1, 1],
  async run(ctx) {
    const sub = ctx.positionals[0];
    if (sub === 'create') return create(ctx);
    if (sub === 'verify') return verify(ctx);
    if (sub === 'push') return push(ctx);
    if (sub === 'keygen') return keygen(ctx);
    throw new UsageError(`unknown bundle action "${sub}" (create, verify, push or keygen)`);
  },
});
