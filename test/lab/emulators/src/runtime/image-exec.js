// What runs inside the lab's containers: `crictl exec`, `kubectl exec`, `ctr run` and `docker run` start a program
// of the container's IMAGE, never one of the host's PATH. The lab knows the files of one image family only:
// registry.k8s.io/etcd (any registry or mirror path ending in /etcd) holds etcd, etcdctl and etcdutl in
// /usr/local/bin (kubernetes/kubernetes cluster/images/etcd/Dockerfile: `COPY etcd* etcdctl* /usr/local/bin/`);
// the lab provides them as the machine's real binaries in LAB_REAL_BIN_DIR (Debian's etcd 3.4 has no etcdutl, so an
// etcdutl is in the lab's image only when the machine has one). The image is distroless: no shell, no coreutils.
// A program the image lacks fails with runc's text; argv is exec'd as is (no shell), with the image's PATH.
// Absolute paths in the arguments are seen through the container's mounts (hostPath volumes, --mount, -v): a path
// outside every mount does not exist in the container.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { labEnv, labPath, labRoot } from './lab-paths.js';
export const IMAGE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const ETCD_TOOLS = ['etcd', 'etcdctl', 'etcdutl'];
export function isEtcdImage(ref) {
  const repo = ref.replace(/@.*$/, '').replace(/:[^/:]*$/, '');
  return /(^|\/)etcd$/.test(repo);
}
/** Where the image's programs come from: LAB_REAL_BIN_DIR in a host; the test doubles (LAB_EMULATOR_BIN) under LAB_FS_ROOT. */
function realBin() {
  if (labRoot()) return process.env.LAB_EMULATOR_BIN ?? labPath('/usr/lib/kubesmith-lab/real-bin');
  return labEnv('LAB_REAL_BIN_DIR') || '/usr/lib/kubesmith-lab/real-bin';
}
/** The host file that stands for `program` in `image`, or undefined when the image has no such executable. */
export function imageExecutable(image, program) {
  if (!isEtcdImage(image)) return undefined;
  const name = program.startsWith('/') ? (program.startsWith('/usr/local/bin/') ? program.slice('/usr/local/bin/'.length) : '') : program;
  if (!ETCD_TOOLS.includes(name)) return undefined;
  const file = join(realBin(), name);
  return existsSync(file) ? file : undefined;
}
/** runc's message for a program the image does not have (runc ≥ 1.1 wording). */
export const notFound = (program) =>
  `unable to start container process: exec: "${program}": ${program.includes('/') ? `stat ${program}: no such file or directory` : 'executable file not found in $PATH'}: unknown`;
/** A host path for a container path, through the mounts (longest destination first); undefined: not in any mount. */
export function hostPathOf(path, mounts) {
  const sorted = [...mounts].sort((a, b) => b.dst.length - a.dst.length);
  for (const m of sorted) {
    const dst = m.dst.replace(/\/+$/, '') || '/';
    if (path === dst) return m.src;
    if (path.startsWith(dst === '/' ? '/' : `${dst}/`)) return join(m.src, path.slice(dst.length));
  }
  return undefined;
}
/**
 * Run `argv` of `image` with `mounts`: 127 + message when the program is missing; otherwise the program's own
 * exit code and output. Arguments that are absolute paths (alone or after `--flag=`) are
 * translated through the mounts; a path outside them makes the tool fail as it would: it cannot open it.
 */
export function runInImage(image, argv, mounts, io) {
  const program = argv[0] ?? '';
  const file = imageExecutable(image, program);
  if (!file) return { missing: notFound(program), code: 127 };
  const args = [];
  for (const a of argv.slice(1)) {
    const m = /^(--[^=]+=)?(\/.*)$/.exec(a);
    if (!m) {
      args.push(a);
      continue;
    }
    const host = hostPathOf(m[2], mounts);
    if (host === undefined) {
      io.err(`Error: open ${m[2]}: no such file or directory\n`);
      return { code: 1 };
    }
    args.push(`${m[1] ?? ''}${host}`);
  }
  const r = spawnSync(file, args, { encoding: 'utf8', env: { PATH: IMAGE_PATH }, timeout: 600_000, maxBuffer: 256 * 1024 * 1024 });
  io.out(r.stdout ?? '');
  io.err(r.stderr ?? '');
  return { code: r.status ?? 1 };
}
