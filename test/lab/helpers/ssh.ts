/**
 * SSH to lab hosts with the system OpenSSH client (lab key, strict known_hosts): lab infrastructure tests stay
 * independent of product code. kubesmith's own transport against the lab is covered by transport.test.ts.
 */
import type { Lab } from '../lab.js';
import { run, type RunResult } from '../run.js';

export function sshRun(lab: Lab, host: string, cmd: string, user: 'root' | 'kube' = 'root', connectTimeoutS = 5): Promise<RunResult> {
  return run('ssh', ['-o', `ConnectTimeout=${connectTimeoutS}`, ...lab.sshArgs(host, user), '--', cmd], { timeoutMs: 30_000 });
}

export const isRoot = () => process.getuid?.() === 0;
export const ROOT_SKIP_MESSAGE = 'lab tests need root (namespaces, mounts, veths): run them as root, e.g. in .ci/run';
