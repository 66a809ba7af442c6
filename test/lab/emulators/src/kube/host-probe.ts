// What kubeadm and lab-node-sync need to know about this host, asked of the lab's other emulators
// (systemctl, swapon, nproc, ctr/docker) or read from the host's own /proc (per network namespace).
import { availableParallelism } from 'node:os';
import { fsRoot, readText, runEmulator } from './lab.js';

let swap: boolean | undefined;

/** Swap in use (asked once per process: kubeadm never turns swap on or off, and init/join ask up to four times). */
export function swapOn(): boolean {
  return (swap ??= probeSwap());
}

function probeSwap(): boolean {
  const r = runEmulator('swapon', ['--show', '--noheadings']);
  if (r) return r.stdout.trim() !== '';
  if (!fsRoot()) return false;
  const swaps = readText('/proc/swaps');
  return !!swaps && swaps.trim().split('\n').length > 1;
}

export const ipForward = (): string => (readText('/proc/sys/net/ipv4/ip_forward') ?? '1').trim();

export function cpuCount(): number {
  const r = runEmulator('nproc', []);
  const n = r && r.code === 0 ? Number(r.stdout.trim()) : NaN;
  return Number.isFinite(n) && n > 0 ? n : availableParallelism();
}

let listening: Set<number> | undefined;

/** A TCP port in LISTEN state in this host's network namespace (/proc/net/tcp{,6}, read once per process: reading
 *  them costs ~5 ms each and preflight asks for up to six ports). */
export function portInUse(port: number): boolean {
  if (!listening) {
    listening = new Set();
    for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
      const text = readText(f);
      if (!text) continue;
      for (const line of text.split('\n').slice(1)) {
        const cols = line.trim().split(/\s+/);
        const local = /:([0-9A-F]{4})$/.exec(cols[1] ?? '');
        if (local && cols[3] === '0A') listening.add(parseInt(local[1]!, 16));
      }
    }
  }
  return listening.has(port);
}

export const DEFAULT_CRI_SOCKET = 'unix:///var/run/containerd/containerd.sock';

export function runtimeService(criSocket: string): string {
  if (criSocket.includes('cri-dockerd')) return 'cri-docker';
  if (criSocket.includes('crio')) return 'crio';
  return 'containerd';
}

/** Container runtime running: the runtime emulators' own probe, else the unit state. */
export function runtimeActive(criSocket: string): boolean {
  const rt = runtimeService(criSocket);
  const r = rt === 'crio' ? undefined : runEmulator('lab-runtime-active', [rt === 'cri-docker' ? 'cri-docker' : rt]);
  return r ? r.code === 0 : serviceActive(rt);
}

export function serviceActive(unit: string): boolean {
  const r = runEmulator('systemctl', ['is-active', '--quiet', unit]);
  return !!r && r.code === 0;
}

export function systemctl(action: string, unit: string): boolean {
  const r = runEmulator('systemctl', [action, unit]);
  return !!r && r.code === 0;
}

/** Image references the runtime holds in the kubelet's view (k8s.io namespace / docker). */
export function runtimeImages(criSocket: string): string[] {
  const docker = runtimeService(criSocket) === 'cri-docker';
  const r =
    runEmulator('lab-images', docker ? ['-n', 'moby'] : []) ??
    (docker
      ? runEmulator('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}'])
      : runEmulator('ctr', ['-n', 'k8s.io', 'images', 'ls', '-q']));
  if (!r || r.code !== 0) return [];
  return r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('sha256:'));
}

export { runEmulator as runEmulatorSafe } from './lab.js';
