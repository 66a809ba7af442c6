/**
 * etcd data is never deleted. Before `kubeadm reset` (which empties /var/lib/etcd) the member directory is kept as
 * /var/lib/etcd-kept/<host>-<run stamp>/member, and a data directory a restore replaces goes to the same place: with
 * quorum lost, a surviving member's data can be the freshest copy of the cluster. Nothing in kubesmith removes
 * /var/lib/etcd-kept; the operator inspects it, restores from it (`etcdutl snapshot restore <dir>/member/snap/db
 * --skip-hash-check`) or deletes it.
 *
 * The member directory of a member that may still run is kept with hard links (`cp -al`: no extra disk, and the
 * running etcd keeps its directory, so a kubeadm reset that fails leaves a working member, not one whose files
 * vanished). kubeadm reset then stops etcd and unlinks the originals; the kept names hold the files as etcd left
 * them. On another filesystem (no hard links) the directory is moved instead. Data dirs of a stopped etcd are moved.
 */
import { ETCD_DATA_DIR } from '../../etcd/index.js';
import { sh, type ShellScript } from '../../transport/command.js';

export const ETCD_KEPT_DIR = '/var/lib/etcd-kept';
export const ETCD_MEMBER_DIR = `${ETCD_DATA_DIR}/member`;

/** Where one host's etcd data of one run is kept: <host>-<stamp>, then -2, -3 … if taken (shown in plans). */
export const keptDir = (host: string, stamp: string, root = ETCD_KEPT_DIR) => `${root}/${host}-${stamp}`;

/**
 * Keep `path` (when it exists) in a new directory keptDir(host, stamp)[-N]/ and print that directory: 'link' makes a
 * hard-linked copy (moving it when hard links fail; a partial link tree is left as .partial-links), 'move' renames it.
 * Never removes anything; fails (set -e) rather than overwrite.
 */
export function keepScript(path: string, host: string, stamp: string, how: 'link' | 'move', root = ETCD_KEPT_DIR): ShellScript {
  const base = keptDir(host, stamp, root);
  const name = path.split('/').pop()!;
  const keep =
    how === 'link'
      ? sh`cp -al -- ${path} "$d"/.partial-links 2>/dev/null && mv -- "$d"/.partial-links "$d"/${name} || mv -- ${path} "$d"/`
      : sh`mv -- ${path} "$d"/`;
  return sh`set -e
[ -e ${path} ] || exit 0
install -d -m 0700 ${root}
d=${base}; i=1
while [ -e "$d" ]; do i=$((i + 1)); d=${base}-$i; done
mkdir -m 0700 "$d"
${keep}
echo "$d"`;
}
