/**
 * SSH to lab hosts from tests. TODO: switch to kubesmith's own transport (src/transport/index.ts ConnectionPool /
 * SshTransport) once F2 exports it; until then the system OpenSSH client with the lab key and strict known_hosts.
 */
import type { Lab } from '../lab.js';
import { run, type RunResult } from '../run.js';

export function sshRun(lab: Lab, host: string, cmd: string, user: 'root' | 'kube' = 'root', connectTimeoutS = 5): Promise<RunResult> {
  return run('ssh', ['-o', `ConnectTimeout=${connectTimeoutS}`, ...lab.sshArgs(host, user), '--', cmd], { timeoutMs: 30_000 });
}

export const isRoot = () => process.getuid?.() === 0;
export const ROOT_SKIP_MESSAGE = 'lab tests need root (namespaces, mounts, veths): run them as root, e.g. in .ci/run';
