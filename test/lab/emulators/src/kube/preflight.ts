// kubeadm preflight checks against the emulated host, with kubeadm's names and wording.
import { exists, hostPath, runEmulator } from './lab.js';
import { imagePresent } from './image-ref.js';
import { readdirSync } from 'node:fs';
import { cpuCount, ipForward, portInUse, runtimeActive, runtimeImages, swapOn } from './host-probe.js';

export interface Finding {
  name: string;
  message: string;
}
export interface PreflightResult {
  errors: Finding[];
  warnings: Finding[];
}

export interface PreflightInput {
  controlPlane: boolean; // init or join --control-plane
  join: boolean;
  criSocket: string;
  images: string[]; // required when imagePullPolicy is Never
  pullPolicy: string;
  ignore: string[]; // --ignore-preflight-errors, lower-cased, "all" allowed
  bindPort: number;
}

const manifestFiles = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd'];

export function runPreflight(p: PreflightInput): PreflightResult {
  const errors: Finding[] = [];
  const warnings: Finding[] = [];
  const err = (name: string, message: string) => errors.push({ name, message });
  if (p.controlPlane && cpuCount() < 2) err('NumCPU', `the number of available CPUs ${cpuCount()} is less than the required 2`);
  if (p.controlPlane) {
    for (const port of [p.bindPort, 10259, 10257]) if (portInUse(port)) err(`Port-${port}`, `Port ${port} is in use`);
    for (const m of manifestFiles) {
      const f = `/etc/kubernetes/manifests/${m}.yaml`;
      if (exists(f)) err(`FileAvailable--etc-kubernetes-manifests-${m}.yaml`, `${f} already exists`);
    }
  }
  for (const f of p.join ? ['/etc/kubernetes/kubelet.conf', '/etc/kubernetes/bootstrap-kubelet.conf'] : []) {
    if (exists(f)) err(`FileAvailable--${f.slice(1).replace(/\//g, '-')}`, `${f} already exists`);
  }
  if (portInUse(10250)) err('Port-10250', 'Port 10250 is in use');
  if (p.controlPlane && portInUse(2379)) err('Port-2379', 'Port 2379 is in use');
  if (p.controlPlane && portInUse(2380)) err('Port-2380', 'Port 2380 is in use');
  if (p.controlPlane && exists('/var/lib/etcd') && readdirSync(hostPath('/var/lib/etcd')).length > 0) {
    err('DirAvailable--var-lib-etcd', '/var/lib/etcd is not empty');
  }
  if (!runtimeActive(p.criSocket)) {
    err(
      'CRI',
      `container runtime is not running: output: time="${new Date().toISOString()}" level=fatal msg="validate service connection: validate CRI v1 runtime API for endpoint \\"${p.criSocket}\\": rpc error: code = Unavailable desc = connection error: desc = \\"transport: Error while dialing: dial unix ${p.criSocket.replace('unix://', '')}: connect: no such file or directory\\""\n, error: exit status 1`,
    );
  }
  if (ipForward() !== '1') err('FileContent--proc-sys-net-ipv4-ip_forward', '/proc/sys/net/ipv4/ip_forward contents are not set to 1');
  if (swapOn()) {
    warnings.push({
      name: 'Swap',
      message:
        'swap is supported for cgroup v2 only. The kubelet must be properly configured to use swap. Please refer to https://kubernetes.io/docs/concepts/architecture/nodes/#swap-memory, or disable swap on the node',
    });
  }
  if (!serviceEnabled())
    warnings.push({ name: 'Service-Kubelet', message: "kubelet service is not enabled, please run 'systemctl enable kubelet.service'" });
  if (p.pullPolicy === 'Never' && errors.every((e) => e.name !== 'CRI')) {
    const held = runtimeImages(p.criSocket);
    for (const image of p.images) {
      if (!imagePresent(held, image)) err('ImagePull', `image ${image} does not exist and the image pull policy is "Never"`);
    }
  }
  const ignored = (name: string) => p.ignore.includes('all') || p.ignore.includes(name.toLowerCase());
  const kept: Finding[] = [];
  for (const e of errors) (ignored(e.name) ? warnings : kept).push(e);
  return { errors: kept, warnings };
}

function serviceEnabled(): boolean {
  return exists('/etc/systemd/system/multi-user.target.wants/kubelet.service') || probeEnabled();
}

function probeEnabled(): boolean {
  const r = runEmulator('systemctl', ['is-enabled', '--quiet', 'kubelet']);
  return r === undefined || r.code === 0; // no systemctl emulator: do not invent a warning
}

/** Text of a failed preflight (stdout part and the error returned to the CLI). */
export function preflightFailure(r: PreflightResult): string {
  return [
    '[preflight] Some fatal errors occurred:',
    ...r.errors.map((e) => `\t[ERROR ${e.name}]: ${e.message}`),
    '[preflight] If you know what you are doing, you can make a check non-fatal with `--ignore-preflight-errors=...`',
    'error: error execution phase preflight: preflight checks failed',
    'To see the stack trace of this error execute with --v=5 or higher',
  ].join('\n');
}

export const preflightWarnings = (r: PreflightResult): string => r.warnings.map((w) => `\t[WARNING ${w.name}]: ${w.message}\n`).join('');
