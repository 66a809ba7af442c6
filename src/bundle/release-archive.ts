/**
 * Which members of a release archive (.tar.gz) a node unpacks: an explicit list, read from the archive on the admin
 * machine (the node then checks the archive's sha256 before `tar -x` runs), holding only regular files whose names
 * the artifact allows. tar is never asked to unpack "everything": a member like ../../etc/cron.d/x, a symlink
 * planted under /usr/local, or an extra file simply is not on the list; a link with a listed name refuses the archive.
 */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { tarMembersOfStream } from './tar.js';

/** Per release artifact: where it unpacks and which member names (leading "./" dropped) are taken. */
export const RELEASE_ARCHIVES: Record<string, { dir: string; members: RegExp }> = {
  crictl: { dir: '/usr/local/bin', members: /^crictl$/ },
  // plugin executables only: LICENSE and README.md stay in the archive
  'cni-plugins': { dir: '/opt/cni/bin', members: /^[a-z0-9][a-z0-9-]*$/ },
  containerd: { dir: '/usr/local', members: /^bin\/[a-z0-9][a-z0-9-]*$/ },
};

/** The exact member names (as stored) to give `tar -x` for this artifact's archive at `path`. */
export async function releaseMembers(path: string, artifact: string): Promise<string[]> {
  const spec = RELEASE_ARCHIVES[artifact];
  if (!spec) throw new Error(`${path}: ${artifact} is not a release archive kubesmith unpacks`);
  const members = await tarMembersOfStream(createReadStream(path).pipe(createGunzip()), path);
  const wanted = members.filter((m) => spec.members.test(m.name));
  const links = wanted.filter((m) => m.type !== '0');
  if (links.length)
    throw new Error(
      `${path}: ${links.map((m) => m.name).join(', ')} ${links.length === 1 ? 'is not a regular file' : 'are not regular files'}; refusing to unpack it`,
    );
  if (wanted.length === 0) throw new Error(`${path}: no member matches ${spec.members} (not a ${artifact} release archive)`);
  return wanted.map((m) => m.raw);
}
