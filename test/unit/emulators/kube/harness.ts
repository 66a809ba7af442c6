// Runs the compiled kube emulators against temp host roots (LAB_FS_ROOT) sharing one temp cluster dir.
import { spawnSync, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { seedKeyPool } from '../../../lab/emulators/src/kube/keypool.js';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const BIN = join(REPO, 'test/lab/emulators/bin');
const FAKES = join(REPO, 'test/unit/emulators/kube/fake-bin');

/**
 * Compile the kube emulators into a private directory (dist/.kube-emu-test/<sources stamp>), once for all test
 * workers (mkdir lock + .done marker): other sessions rebuilding dist/ then cannot race with a test run.
 */
export function ensureBuilt(): void {
  const srcDir = join(REPO, 'test/lab/emulators/src/kube');
  const files = readdirSync(srcDir).filter((f) => f.endsWith('.ts'));
  const stamp = createHash('sha1')
    .update(files.map((f) => `${f}:${statSync(join(srcDir, f)).mtimeMs}`).join(','))
    .digest('hex')
    .slice(0, 12);
  const out = join(REPO, 'dist/.kube-emu-test', stamp);
  process.env.LAB_KUBE_JS_DIR = out;
  if (existsSync(join(out, '.done'))) return;
  mkdirSync(dirname(out), { recursive: true });
  try {
    mkdirSync(out);
  } catch {
    const deadline = Date.now() + 180_000;
    while (!existsSync(join(out, '.done')) && Date.now() < deadline) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    return;
  }
  spawnSync(
    'npx',
    [
      'tsc',
      '--outDir',
      out,
      '--rootDir',
      srcDir,
      '--module',
      'NodeNext',
      '--moduleResolution',
      'NodeNext',
      '--target',
      'ES2022',
      '--lib',
      'ES2023',
      '--types',
      'node',
      '--skipLibCheck',
      ...files.map((f) => join(srcDir, f)),
    ],
    { cwd: REPO, stdio: 'ignore' },
  );
  writeFileSync(join(out, '.done'), '');
}

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export class Lab {
  readonly root = mkdtempSync(join(tmpdir(), 'kube-emu-'));
  readonly clusterDir = join(this.root, 'cluster');

  /** Pre-fill this lab's key pool from the machine-wide test cache (kubeadm falls back to generating). */
  seedKeys(count = 60): this {
    seedKeyPool(this.clusterDir, count);
    return this;
  }
  private ips = new Map<string, string>();
  env: Record<string, string> = {};

  host(name: string, ip: string, opts: { runtime?: boolean; images?: string[] } = {}): string {
    const r = join(this.root, name);
    mkdirSync(join(r, 'run/fake-systemd'), { recursive: true });
    mkdirSync(join(r, 'root'), { recursive: true });
    if (opts.runtime !== false) writeFileSync(join(r, 'run/fake-systemd/containerd.active'), '');
    writeFileSync(join(r, 'run/fake-systemd/kubelet.enabled'), '');
    mkdirSync(join(r, 'proc/sys/net/ipv4'), { recursive: true });
    writeFileSync(join(r, 'proc/sys/net/ipv4/ip_forward'), '1\n');
    if (opts.images) writeFileSync(join(r, 'run/fake-images'), opts.images.join('\n') + '\n');
    this.ips.set(name, ip);
    return r;
  }

  path(host: string, p: string): string {
    return join(this.root, host, p);
  }
  read(host: string, p: string): string {
    return readFileSync(this.path(host, p), 'utf8');
  }
  exists(host: string, p: string): boolean {
    return existsSync(this.path(host, p));
  }
  write(host: string, p: string, content: string): void {
    mkdirSync(dirname(this.path(host, p)), { recursive: true });
    writeFileSync(this.path(host, p), content);
  }

  run(host: string, cmd: string, args: string[], extraEnv: Record<string, string> = {}, input?: string): Result {
    return this.spawn(host, join(BIN, cmd), args, extraEnv, input);
  }

  /** The Node emulator itself, without its launcher's bash fast paths (to compare the two). */
  runNode(host: string, cmd: string, args: string[], extraEnv: Record<string, string> = {}): Result {
    return this.spawn(host, process.execPath, [join(process.env.LAB_KUBE_JS_DIR!, `${cmd}.js`), ...args], extraEnv);
  }

  private spawn(host: string, file: string, args: string[], extraEnv: Record<string, string>, input?: string): Result {
    const env = {
      PATH: process.env.PATH!,
      HOME: '/root',
      LAB_FS_ROOT: join(this.root, host),
      LAB_CLUSTER_DIR: this.clusterDir,
      LAB_EMULATOR_BIN: FAKES,
      LAB_HOST: host,
      LAB_IP: this.ips.get(host)!,
      LAB_REPO: REPO,
      LAB_KUBE_JS_DIR: process.env.LAB_KUBE_JS_DIR ?? '',
      ...this.env,
      ...extraEnv,
    };
    const r = spawnSync(file, args, { env, encoding: 'utf8', input, timeout: 120_000 });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  }
}

export const openssl = (args: string[], input?: string): string =>
  execFileSync('openssl', args, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });

/** cp1 (10.199.0.10) initialised with INIT_CONFIG at v1.34.1 and w1 (10.199.0.11) joined as a worker. */
export function initWithWorker(lab: Lab): void {
  ensureBuilt();
  lab.host('cp1', '10.199.0.10');
  lab.host('w1', '10.199.0.11');
  lab.write('cp1', '/root/kubeadm.yaml', INIT_CONFIG);
  const init = lab.run('cp1', 'kubeadm', ['init', '--config', '/root/kubeadm.yaml', '--kubernetes-version', 'v1.34.1']);
  if (init.code !== 0) throw new Error(`kubeadm init failed: ${init.stderr}`);
  const join = lab.run('cp1', 'kubeadm', ['token', 'create', '--print-join-command']).stdout.trim().split(/\s+/).slice(1);
  const joined = lab.run('w1', 'kubeadm', join);
  if (joined.code !== 0) throw new Error(`kubeadm join failed: ${joined.stderr}`);
}

/** The documented pipeline for --discovery-token-ca-cert-hash. */
export function opensslCaHash(caFile: string): string {
  const pub = openssl(['x509', '-pubkey', '-noout', '-in', caFile]);
  const der = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'der'], { input: pub });
  return 'sha256:' + execFileSync('openssl', ['dgst', '-sha256', '-hex'], { input: der }).toString().trim().split(' ').pop();
}

export const INIT_CONFIG = `apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: 10.199.0.10
nodeRegistration:
  name: cp1
  kubeletExtraArgs:
  - name: node-ip
    value: 10.199.0.10
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: v1.34.1
controlPlaneEndpoint: k8s-api.lab:6443
networking:
  podSubnet: 10.244.0.0/16
apiServer:
  certSANs: [10.199.0.100, api.extra.example]
---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: systemd
`;

/** The worker join command of `kubeadm init`'s closing text, as argv for `kubeadm`. */
export function workerJoinArgs(initStdout: string): string[] {
  const block = /kubeadm join [^\n]+\\\n\t[^\n]+/.exec(initStdout.slice(initStdout.lastIndexOf('worker nodes')))![0];
  return block
    .replace(/\\\n\t/g, '')
    .trim()
    .split(/\s+/)
    .slice(1);
}

/** A one-container flannel DaemonSet in kube-system: nodes holding its image become Ready. */
export const flannelDaemonSet = (image: string): string => `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: kube-flannel-ds
  namespace: kube-system
spec:
  template:
    spec:
      hostNetwork: true
      containers:
      - name: kube-flannel
        image: ${image}
`;
