/** Runs a command inside a lab host's namespaces (machine-side, for tests and fault injection). */
import { DROPPED_CAPS } from './hosts.js';
import { run } from './run.js';

const HOST_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface HostExecOptions {
  input?: string;
  timeoutMs?: number;
  /** Run as kube (uid 1000, its groups, HOME=/home/kube) instead of root. */
  user?: 'root' | 'kube';
}

export function hostExec(pid1: number, cmd: string, opts: HostExecOptions = {}) {
  if (!pid1) return Promise.reject(new Error('lab: host is not running (crashed?); boot it first'));
  const kube = opts.user === 'kube';
  const args = ['-t', String(pid1), '-m', '-u', '-i', '-n', '-p', '-r', '-w', '--', 'setpriv', '--bounding-set', DROPPED_CAPS];
  if (kube) args.push('--reuid=1000', '--regid=1000', '--init-groups');
  args.push('env', '-i', `PATH=${HOST_PATH}`, `HOME=${kube ? '/home/kube' : '/root'}`, `USER=${kube ? 'kube' : 'root'}`, 'LANG=C.UTF-8');
  args.push('bash', '-c', cmd);
  return run('nsenter', args, { input: opts.input, timeoutMs: opts.timeoutMs ?? 60_000 });
}
