/**
 * A GitHub release package, downloaded on the node and checked against GitHub's sha256 `digest` of that asset in the
 * release's API record (GET api.github.com/repos/<owner>/<repo>/releases/tags/<tag>: `assets[].digest`, "sha256:<hex>").
 * GitHub computes digests only for assets uploaded since June 2025 (changelog 2025-06-03); older assets list
 * `digest: null`, and then nothing is installed: an unverified package never reaches the package manager.
 * The node reads the record with python3 (every supported cloud image has it: cloud-init and dnf are python3).
 */
import { sh, type ShellScript } from '../../transport/command.js';
import type { ReleasePackage } from '../../data/runtime-repos.js';

/** Prints the asset's sha256 hex; exit 3: the release lists no asset of that name, 4: it lists no sha256 digest. */
const DIGEST_OF_ASSET = [
  'import json, sys',
  'assets = [a for a in json.load(open(sys.argv[1])).get("assets") or [] if a.get("name") == sys.argv[2]]',
  'if not assets:',
  '    sys.exit(3)',
  'digest = assets[0].get("digest") or ""',
  'if not digest.startswith("sha256:"):',
  '    sys.exit(4)',
  'print(digest[7:])',
].join('\n');

/** Why a package cannot be verified, as the node says it (exit codes of DIGEST_OF_ASSET). */
export function noDigestMessage(pkg: ReleasePackage): string {
  return (
    `cannot verify ${pkg.file}: GitHub lists no sha256 digest for it in ${pkg.digests} (GitHub records digests only ` +
    'for release assets uploaded since June 2025), so nothing was installed; pin a release whose assets carry one ' +
    '(criDockerdRelease in src/data/runtime-repos.ts) or use containerRuntime.type: containerd'
  );
}

/**
 * The script lines that leave the verified package at "$d"/<file> (d: a temp dir the caller made), or stop with a
 * message naming the file: no release record, no such asset, no digest, digest mismatch.
 */
export function verifiedReleaseDownload(pkg: ReleasePackage): ShellScript {
  const missing = `cannot verify ${pkg.file}: ${pkg.digests} lists no asset of that name; nothing was installed`;
  const unreadable = `cannot verify ${pkg.file}: the release record ${pkg.digests} is not readable JSON; nothing was installed`;
  const mismatch =
    `${pkg.file} from ${pkg.url} does not match GitHub's sha256 digest of the asset; nothing was installed ` +
    '(retry; if it persists, what the node downloads is not the published file)';
  const noRecord =
    `cannot verify ${pkg.file}: GitHub's release record ${pkg.digests} could not be read (unreachable, or rate limited: ` +
    'GitHub allows 60 unauthenticated API requests an hour per address); nothing was installed; retry later, or ' +
    'install from an offline bundle (kubesmith bundle create)';
  return sh`curl -fsSL --retry 3 -H 'Accept: application/vnd.github+json' ${pkg.digests} -o "$d"/release.json || { echo ${noRecord} >&2; exit 1; }; \
rc=0; sum=$(python3 -c ${DIGEST_OF_ASSET} "$d"/release.json ${pkg.file}) || rc=$?; \
case $rc in 0) ;; 3) echo ${missing} >&2; exit 1 ;; 4) echo ${noDigestMessage(pkg)} >&2; exit 1 ;; *) echo ${unreadable} >&2; exit 1 ;; esac; \
curl -fsSL --retry 3 ${pkg.url} -o "$d"/${pkg.file}; \
echo "$sum  $d/"${pkg.file} | sha256sum -c --quiet - >/dev/null 2>&1 || { echo ${mismatch} >&2; exit 1; };`;
}
