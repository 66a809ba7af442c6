/** Helpers of the fault-tolerance tests: kubesmith as a child process, waiting, and a digest of a host's state. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../../src/engine/paths.js';
import type { Lab } from '../lab/lab.js';

export interface Child {
  process: ChildProcess;
  pid: number;
  stdout: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** bin/kubesmith (the built CLI) as a child process: a real process that can be killed with -9. */
export function spawnKubesmith(argv: string[], cwd = process.cwd()): Child {
  const child = spawn(process.execPath, [join(packageRoot(), 'bin', 'kubesmith'), ...argv], {
    cwd,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { process: child, pid: child.pid!, stdout: () => out, exit };
}

export async function until(what: string, test: () => boolean | Promise<boolean>, timeoutMs = 60_000, everyMs = 100): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Processes whose parent is this test process (the CLI runs in-process: it must leave none behind). */
export function childProcesses(): string[] {
  try {
    return execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' })
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !/\bps -o pid=/.test(l));
  } catch {
    return []; // ps exits 1 when there is none
  }
}

/** ssh client processes anywhere on the machine (kubesmith speaks SSH in-process: it never spawns one). */
export function sshClients(): string[] {
  try {
    return execFileSync('pgrep', ['-a', '-x', 'ssh'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/**
 * What an apply leaves on a host, normalized so two runs on two lab instances compare equal: the files kubesmith
 * writes, packages, enabled and active services, and (on the first control plane) the nodes and their readiness.
 * Lab addresses become 10.199.K.x; random material (keys, tokens, certs) is reduced to "present".
 */
export async function hostDigest(lab: Lab, host: string, controlPlane: boolean): Promise<Record<string, unknown>> {
  const norm = (s: string | null) => (s === null ? null : s.replace(/10\.199\.\d+\./g, '10.199.K.'));
  const files = [
    '/etc/sysctl.d/k8s.conf',
    '/etc/modules-load.d/k8s.conf',
    '/etc/containerd/config.toml',
    '/etc/crictl.yaml',
    '/etc/fstab',
    '/etc/hosts',
    '/etc/hostname',
    '/etc/apt/sources.list.d/kubernetes.list',
  ];
  const digest: Record<string, unknown> = {};
  for (const f of files) digest[f] = norm(lab.readFile(host, f));
  const sh = async (cmd: string) => norm((await lab.exec(host, cmd)).stdout.trim());
  digest.packages = await sh(
    "dpkg-query -W -f '${Package} ${Version}\\n' kubeadm kubelet kubectl containerd containerd.io 2>/dev/null | sort",
  );
  digest.holds = await sh('apt-mark showhold | sort');
  digest.enabled = await sh('for u in containerd kubelet; do echo "$u $(systemctl is-enabled $u 2>/dev/null)"; done');
  digest.active = await sh('for u in containerd kubelet; do echo "$u $(systemctl is-active $u 2>/dev/null)"; done');
  digest.kubernetesFiles = await sh('cd /etc/kubernetes 2>/dev/null && find . -type f ! -name "*.bak*" | sort');
  digest.kubeletConfigured = lab.readFile(host, '/etc/kubernetes/kubelet.conf') !== null;
  if (controlPlane) {
    const nodes = JSON.parse(
      (await lab.exec(host, 'kubectl --kubeconfig /etc/kubernetes/admin.conf get nodes -o json')).stdout || '{"items":[]}',
    ) as {
      items: { metadata: { name: string }; status: { conditions: { type: string; status: string }[] } }[];
    };
    digest.nodes = nodes.items.map((n) => `${n.metadata.name} Ready=${n.status.conditions.find((c) => c.type === 'Ready')?.status}`).sort();
  }
  return digest;
}

/** host.key: expected → got, for every key whose value differs. */
export function difference(expected: Record<string, unknown>, got: Record<string, unknown>): string {
  const lines: string[] = [];
  for (const host of Object.keys(expected)) {
    const e = expected[host] as Record<string, unknown>;
    const g = (got[host] ?? {}) as Record<string, unknown>;
    for (const key of new Set([...Object.keys(e), ...Object.keys(g)])) {
      if (JSON.stringify(e[key]) !== JSON.stringify(g[key]))
        lines.push(`${host} ${key}: expected ${JSON.stringify(e[key])}, got ${JSON.stringify(g[key])}`);
    }
  }
  return lines.join('\n');
}
