/**
 * etcd data is never deleted. Before `kubeadm reset` (which empties /var/lib/etcd) the member directory is moved to
 * /var/lib/etcd-kept/<host>-<run stamp>/member, and a data directory a restore replaces goes to the same place: with
 * quorum lost, a surviving member's data can be the freshest copy of the cluster. Nothing in kubesmith removes
 * /var/lib/etcd-kept; the operator inspects it, restores from it (`etcdutl snapshot restore <dir>/member/snap/db
 * --skip-hash-check`) or deletes it.
 *
 * The move is a rename on the same disk: a member that still runs keeps its open files until kubeadm reset stops it
 * moments later (it writes nothing new without quorum; with quorum the run has just taken a verified snapshot).
 */
import { ETCD_DATA_DIR } from '../../etcd/index.js';
import { sh, type ShellScript } from '../../transport/command.js';

export const ETCD_KEPT_DIR = '/var/lib/etcd-kept';
export const ETCD_MEMBER_DIR = `${ETCD_DATA_DIR}/member`;

/** Where one host's etcd data of one run is kept: <host>-<stamp>, then -2, -3 … if taken (shown in plans). */
export const keptDir = (host: string, stamp: string, root = ETCD_KEPT_DIR) => `${root}/${host}-${stamp}`;

/**
 * Move `path` (when it exists) into a new directory keptDir(host, stamp)[-N]/ and print that directory. Never removes
 * anything; fails (set -e) rather than overwrite.
 */
export function keepScript(path: string, host: string, stamp: string, root = ETCD_KEPT_DIR): ShellScript {
  const base = keptDir(host, stamp, root);
  return sh`set -e
[ -e ${path} ] || exit 0
install -d -m 0700 ${root}
d=${base}; i=1
while [ -e "$d" ]; do i=$((i + 1)); d=${base}-$i; done
mkdir -m 0700 "$d"
mv -- ${path} "$d"/
echo "$d"`;
}
