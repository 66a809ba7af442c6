// The lab's static pod runner for etcd: while the kubelet unit is active and /etc/kubernetes/manifests/etcd.yaml
// exists, Debian's real etcd (3.4) runs inside the host with the manifest's flags (translated to what 3.4 knows),
// like the kubelet would run the etcd static pod. The binary is the machine's, exposed in LAB_REAL_BIN_DIR: the etcd
// image's program, not a tool on the host's PATH (a stock host has no etcd). Opt-in per host: /etc/lab/real-etcd or LAB_REAL_ETCD=1.
//   lab-static-etcd ensure   start the runner when it should run and does not (kubelet start hook)
//   lab-static-etcd stop     stop the runner and etcd (kubelet stop hook, kubeadm reset)
//   lab-static-etcd run      the runner itself (detached): polls the manifest and the kubelet every second
//   lab-static-etcd status   "running <pid>" / "stopped"
// PIDs: /run/lab/pids/etcd (etcd), /run/lab/pids/etcd-runner (runner); etcd's output: /var/log/lab/etcd.log.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import YAML from './yaml-lazy.js';
import { exists, fsRoot, hostPath, labEnv, readText, sleepMs } from './lab.js';

export const ETCD_MANIFEST = '/etc/kubernetes/manifests/etcd.yaml';
/** The etcd image's programs: the machine's real binaries in LAB_REAL_BIN_DIR (never on a host's PATH). */
export const realEtcdBin = (name: 'etcd' | 'etcdctl'): string =>
  `${labEnv('LAB_REAL_BIN_DIR') || '/usr/lib/kubesmith-lab/real-bin'}/${name}`;
const PID_ETCD = '/run/lab/pids/etcd';
const PID_RUNNER = '/run/lab/pids/etcd-runner';
const LOG = '/var/log/lab/etcd.log';
const KUBELET_ACTIVE = '/run/lab/systemd/active/kubelet.service';

/** Flags etcd 3.4 accepts from kubeadm's manifest; others (3.5/3.6 experimental/feature flags) are dropped. */
const KNOWN_34 = new Set([
  'name',
  'data-dir',
  'wal-dir',
  'listen-client-urls',
  'advertise-client-urls',
  'listen-peer-urls',
  'initial-advertise-peer-urls',
  'initial-cluster',
  'initial-cluster-state',
  'initial-cluster-token',
  'cert-file',
  'key-file',
  'trusted-ca-file',
  'client-cert-auth',
  'peer-cert-file',
  'peer-key-file',
  'peer-trusted-ca-file',
  'peer-client-cert-auth',
  'snapshot-count',
  'listen-metrics-urls',
  'heartbeat-interval',
  'election-timeout',
  'quota-backend-bytes',
  'auto-compaction-retention',
  'auto-compaction-mode',
]);

/** Real etcd only inside a lab host (never under LAB_FS_ROOT), when opted in and the binary is there. */
export function staticEtcdEnabled(): boolean {
  if (fsRoot()) return false;
  if (!existsSync('/etc/lab/env')) return false;
  if (!(labEnv('LAB_REAL_ETCD') === '1' || exists('/etc/lab/real-etcd'))) return false;
  return existsSync(realEtcdBin('etcd'));
}

/** The etcd container's `--k=v` flags → etcd 3.4 argv (unknown flags dropped). */
export function etcdArgsFromManifest(manifest: string): string[] {
  const pod = YAML.parse(manifest) as { spec?: { containers?: { name?: string; command?: string[] }[] } };
  const c = pod?.spec?.containers?.find((x) => x.name === 'etcd') ?? pod?.spec?.containers?.[0];
  const args: string[] = [];
  for (const a of c?.command ?? []) {
    const m = /^--([^=]+)=(.*)$/.exec(a);
    if (m && KNOWN_34.has(m[1]!)) args.push(a);
  }
  return args;
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(hostPath(file), 'utf8').trim());
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** A recorded PID that still runs the expected program (guards against PID reuse after a crash). */
function alive(pid: number | undefined, needle: string): boolean {
  if (!pid) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(needle);
  } catch {
    return false;
  }
}

const runnerAlive = () => alive(readPid(PID_RUNNER), 'static-etcd');
export const etcdAlive = () => alive(readPid(PID_ETCD), 'etcd');
const kubeletActive = () => (readText(KUBELET_ACTIVE) ?? '').startsWith('active');

function kill(pidFile: string, needle: string): void {
  const pid = readPid(pidFile);
  if (alive(pid, needle)) {
    try {
      process.kill(pid!, 'SIGTERM');
    } catch {
      /* gone */
    }
    for (let i = 0; i < 50 && alive(pid, needle); i++) sleepMs(100);
    if (alive(pid, needle))
      try {
        process.kill(pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
  }
  rmSync(hostPath(pidFile), { force: true });
}

export function stopStaticEtcd(): void {
  kill(PID_RUNNER, 'static-etcd');
  kill(PID_ETCD, 'etcd');
}

/** Start the runner (detached) when the manifest exists and it is not running yet. */
export function ensureStaticEtcd(): boolean {
  if (!staticEtcdEnabled() || !exists(ETCD_MANIFEST) || runnerAlive()) return false;
  mkdirSync(hostPath('/run/lab/pids'), { recursive: true });
  mkdirSync(hostPath('/var/log/lab'), { recursive: true });
  const log = openSync(hostPath(LOG), 'a');
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'run'], {
    detached: true,
    stdio: ['ignore', log, log],
    env: { ...process.env, LAB_JOURNAL_OFF: '1' },
  });
  writeFileSync(hostPath(PID_RUNNER), `${child.pid}\n`);
  child.unref();
  closeSync(log);
  return true;
}

/** The runner: keep etcd running with the manifest's flags while the kubelet is active. */
export async function runStaticEtcd(): Promise<void> {
  let child: ChildProcess | undefined;
  let running: string | undefined; // the argv etcd runs with
  let restartAt = 0;
  let inactiveSince = 0;
  const stopChild = () => {
    if (!child) return;
    kill(PID_ETCD, 'etcd');
    child = undefined;
    running = undefined;
  };
  for (;;) {
    const now = Date.now();
    if (!kubeletActive()) {
      // the start hook runs before systemctl records the unit active: allow a few seconds
      inactiveSince ||= now;
      if (now - inactiveSince > 5000) break;
    } else inactiveSince = 0;
    const manifest = readText(ETCD_MANIFEST);
    const args = manifest ? etcdArgsFromManifest(manifest) : undefined;
    const key = args?.join(' ');
    if (!args) stopChild();
    else if (child && key !== running) stopChild(); // manifest changed: the kubelet recreates the pod
    if (args && !child && now >= restartAt) {
      const log = openSync(hostPath(LOG), 'a');
      const c = spawn(realEtcdBin('etcd'), args, { stdio: ['ignore', log, log] });
      closeSync(log);
      child = c;
      running = key;
      writeFileSync(hostPath(PID_ETCD), `${c.pid}\n`);
      c.on('exit', () => {
        if (child === c) {
          child = undefined;
          running = undefined;
          restartAt = Date.now() + 2000; // crash-loop back-off
        }
      });
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  stopChild();
  rmSync(hostPath(PID_RUNNER), { force: true });
}

async function cli(argv: string[]): Promise<void> {
  switch (argv[0]) {
    case 'ensure':
      ensureStaticEtcd();
      return;
    case 'stop':
      stopStaticEtcd();
      return;
    case 'run':
      await runStaticEtcd();
      return;
    case 'status':
      process.stdout.write(etcdAlive() ? `running ${readPid(PID_ETCD)}\n` : 'stopped\n');
      return;
    default:
      process.stderr.write('usage: lab-static-etcd ensure|stop|run|status\n');
      process.exitCode = 2;
  }
}

if (process.argv[1]?.endsWith('static-etcd.js')) await cli(process.argv.slice(2));
