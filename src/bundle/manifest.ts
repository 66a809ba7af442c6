/**
 * The bundle manifest (manifest.json at the bundle's root): what the bundle serves (Kubernetes / CNI versions,
 * platforms, images with digests) and every file with its size and sha256. The manifest is the contract between
 * `bundle create` (admin machine with network) and `apply` (air-gapped hosts): apply trusts nothing it cannot check here.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { pathProblems, unknownFiles } from './contents.js';
import { checkSignature, loadPublicKey, SignatureError, SIGNATURE_FILE } from './signature.js';

export const MANIFEST_FILE = 'manifest.json';
export const BUNDLE_FORMAT = 'kubesmith.io/bundle/v1';

const SHA256 = /^[a-f0-9]{64}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
/** Relative POSIX path inside the bundle, no "..", no leading "/" (nor "~": Docker's deb names hold it, "…-1~debian.12~bookworm_amd64.deb"). */
const REL_PATH = /^(?!\/)(?!.*(^|\/)\.\.(\/|$))[A-Za-z0-9_.@+=,%-][A-Za-z0-9_.@+=,%/~-]*$/;
const PLATFORM = /^linux\/(amd64|arm64)$/;

export const bundleFileSchema = z
  .object({
    path: z.string().regex(REL_PATH),
    size: z.number().int().nonnegative(),
    sha256: z.string().regex(SHA256),
    /** image: an OCI archive; binary: an executable; archive: a .tar.gz to unpack; package: a .deb/.rpm. */
    kind: z.enum(['image', 'binary', 'archive', 'package']),
    platform: z.string().regex(PLATFORM),
    /** What it is: kubeadm, crictl, cni-plugins, containerd, or a package name. */
    name: z.string().min(1),
    version: z.string().optional(),
    /** Packages only: the distro family they install on. */
    family: z.enum(['debian', 'rhel']).optional(),
    /** Packages only: the distro release they were resolved for ("debian-12", "ubuntu-22.04", "rhel-9"). */
    release: z.string().optional(),
    /** Packages only: the package names it depends on, from its repository index (offline.osdeps checks them). */
    depends: z.array(z.string()).optional(),
    /** Where it came from (URL or image reference). */
    source: z.string().optional(),
  })
  .strict();

export const bundleImageSchema = z
  .object({
    component: z.string().min(1),
    /** Normalized reference the archive is named with (io.containerd.image.name). */
    ref: z.string().min(1),
    /** Digest the source registry served for the tag (an index for multi-platform images). */
    repoDigest: z.string().regex(DIGEST).optional(),
    /** Per platform: the manifest digest containerd records after import, and the archive file. */
    platforms: z.record(
      z.string().regex(PLATFORM),
      z.object({ digest: z.string().regex(DIGEST), file: z.string().regex(REL_PATH) }).strict(),
    ),
  })
  .strict();

export const bundleManifestSchema = z
  .object({
    format: z.literal(BUNDLE_FORMAT),
    createdAt: z.string(),
    kubernetes: z.object({ version: z.string(), imageRepository: z.string() }).strict(),
    network: z.object({ plugin: z.string(), version: z.string().optional() }).strict(),
    containerRuntime: z.enum(['containerd', 'docker']),
    platforms: z.array(z.string().regex(PLATFORM)).min(1),
    images: z.array(bundleImageSchema),
    files: z.array(bundleFileSchema),
  })
  .strict();

export type BundleFile = z.infer<typeof bundleFileSchema>;
export type BundleImage = z.infer<typeof bundleImageSchema>;
export type BundleManifest = z.infer<typeof bundleManifestSchema>;

export class BundleError extends Error {
  constructor(
    readonly bundle: string,
    readonly problems: string[],
  ) {
    super(
      `bundle ${bundle} is not usable:\n  ${problems.slice(0, 20).join('\n  ')}${problems.length > 20 ? `\n  … and ${problems.length - 20} more` : ''}`,
    );
    this.name = 'BundleError';
  }
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export interface ReadOptions {
  /** An ed25519 public key (PEM file): manifest.json must carry its signature (manifest.json.sig). */
  publicKey?: string;
}

/** Read manifest.json (its bytes once: the signature, when asked for, is checked on exactly what is parsed). */
export function readManifest(dir: string, opts: ReadOptions = {}): BundleManifest {
  const file = join(dir, MANIFEST_FILE);
  if (!existsSync(file)) throw new BundleError(dir, [`${MANIFEST_FILE} is missing (not a bundle made by \`kubesmith bundle create\`?)`]);
  for (const name of [MANIFEST_FILE, SIGNATURE_FILE]) {
    const problem = pathProblems(dir, name);
    if (problem) throw new BundleError(dir, [problem]);
  }
  const bytes = readFileSync(file);
  if (opts.publicKey) {
    try {
      const sig = existsSync(join(dir, SIGNATURE_FILE)) ? readFileSync(join(dir, SIGNATURE_FILE), 'utf8') : undefined;
      checkSignature(bytes, sig, loadPublicKey(opts.publicKey), opts.publicKey);
    } catch (err) {
      if (err instanceof SignatureError) throw new BundleError(dir, [err.message]);
      throw err;
    }
  }
  let data: unknown;
  try {
    data = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new BundleError(dir, [`${MANIFEST_FILE} is not valid JSON: ${(err as Error).message}`]);
  }
  const parsed = bundleManifestSchema.safeParse(data);
  if (!parsed.success) {
    throw new BundleError(
      dir,
      parsed.error.issues.map((i) => `${MANIFEST_FILE} ${i.path.map(String).join('.') || '(root)'}: ${i.message}`),
    );
  }
  return parsed.data;
}

/** Every problem with the files on disk: missing, truncated (size), corrupt (sha256), and images without an archive. */
export async function checkFiles(dir: string, manifest: BundleManifest, opts: { checksums?: boolean } = {}): Promise<string[]> {
  const problems: string[] = unknownFiles(manifest);
  const listed = new Set(manifest.files.map((f) => f.path));
  for (const image of manifest.images) {
    for (const [platform, p] of Object.entries(image.platforms)) {
      if (!listed.has(p.file)) problems.push(`image ${image.ref} (${platform}): archive ${p.file} is not listed in files`);
    }
  }
  for (const f of manifest.files) {
    const path = join(dir, f.path);
    const unsafe = pathProblems(dir, f.path);
    if (unsafe) {
      problems.push(unsafe);
      continue;
    }
    if (!existsSync(path)) {
      problems.push(`${f.path}: missing`);
      continue;
    }
    const size = statSync(path).size;
    if (size !== f.size) {
      problems.push(`${f.path}: ${size} bytes, the manifest says ${f.size} (truncated or replaced)`);
      continue;
    }
    if (opts.checksums !== false) {
      const sum = await sha256File(path);
      if (sum !== f.sha256)
        problems.push(`${f.path}: sha256 ${sum.slice(0, 12)}… does not match the manifest's ${f.sha256.slice(0, 12)}… (corrupt)`);
    }
  }
  return problems;
}

/** Read and check a bundle directory (signature first, when a public key is given); throws BundleError listing every problem. */
export async function verifyBundle(dir: string, opts: { checksums?: boolean } & ReadOptions = {}): Promise<BundleManifest> {
  const manifest = readManifest(dir, opts);
  const problems = await checkFiles(dir, manifest, opts);
  if (problems.length) throw new BundleError(dir, problems);
  return manifest;
}
