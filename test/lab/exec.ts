/** Runs a command inside a lab host's namespaces (machine-side, for tests and fault injection). */
import { DROPPED_CAPS } from './hosts.js';
import { run } from './run.js';

const HOST_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function hostExec(pid1: number, cmd: string, opts: { input?: string; timeoutMs?: number } = {}) {
  if (!pid1) return Promise.reject(new Error('lab: host is not running (crashed?); boot it first'));
  const args = ['-t', String(pid1), '-m', '-u', '-i', '-n', '-p', '-r', '-w', '--'];
  args.push('setpriv', '--bounding-set', DROPPED_CAPS, 'env', '-i', `PATH=${HOST_PATH}`, 'HOME=/root', 'USER=root', 'LANG=C.UTF-8');
  args.push('bash', '-c', cmd);
  return run('nsenter', args, { input: opts.input, timeoutMs: opts.timeoutMs ?? 60_000 });
}
