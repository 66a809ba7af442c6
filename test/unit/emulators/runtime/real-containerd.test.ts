// The real Debian containerd path: containerd.service start (LAB_REAL_CONTAINERD=1) runs /usr/bin/containerd in a
// private mount+PID namespace (as inside a lab host), ctr image commands go to the real ctr, crictl pull/rmi go
// through it too, and the result equals the emulated path byte for byte. Skipped where containerd or root is missing.
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { BIN, LabRoot, REPO, UNITS, ensureBuilt, imageRoutes, manifestRegistry } from './helpers.js';
import { makeTestImage, writeDockerArchive, writeOciArchive } from '../../../lab/emulators/src/runtime/oci-archive.js';

const canRun =
  process.getuid?.() === 0 &&
  existsSync('/usr/bin/containerd') &&
  existsSync('/usr/bin/ctr') &&
  spawnSync('unshare', ['--mount', '--pid', '--fork', 'true']).status === 0;

/** Runs a bash script as PID 1 of a fresh PID namespace (all it starts dies with it); async so the registry answers. */
function inNamespace(script: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      'unshare',
      ['--mount', '--pid', '--fork', '--mount-proc', 'bash', '--norc', '--noprofile', '-eo', 'pipefail', '-c', script],
      {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LAB_REPO: REPO, ...env },
      },
    );
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

const scheduler = makeTestImage({ ref: 'registry.k8s.io/kube-scheduler:v1.31.1' });
const ARCHIVES = {
  '/tmp/images.tar': writeOciArchive([{ ref: 'registry.k8s.io/pause:3.10' }, { ref: 'ghcr.io/flannel-io/flannel:v0.26.1' }]),
  '/tmp/docker.tar': writeDockerArchive({ ref: 'registry.k8s.io/coredns/coredns:v1.11.3' }),
  // a manifest list exported with the amd64 blobs only: fine by default, "not found" with --all-platforms
  '/tmp/multi.tar': writeOciArchive(
    { ref: 'registry.k8s.io/kube-proxy:v1.31.1' },
    { platforms: ['linux/amd64', 'linux/arm64'], blobsFor: 'linux/amd64' },
  ),
};
/** The same steps for both paths: [tool, args, tolerate failure]. */
const STEPS: Array<[string, string[], boolean?]> = [
  ['ctr', ['-n', 'k8s.io', 'images', 'import', '/tmp/images.tar']],
  ['ctr', ['-n', 'k8s.io', 'images', 'import', '/tmp/docker.tar']],
  ['ctr', ['-n', 'k8s.io', 'images', 'import', '--all-platforms', '/tmp/multi.tar'], true],
  ['ctr', ['-n', 'k8s.io', 'images', 'import', '/tmp/multi.tar']],
  ['ctr', ['-n', 'k8s.io', 'images', 'tag', 'registry.k8s.io/pause:3.10', 'mirror.local/pause:3.10']],
  ['ctr', ['-n', 'k8s.io', 'images', 'rm', 'ghcr.io/flannel-io/flannel:v0.26.1']],
  ['crictl', ['pull', 'registry.k8s.io/kube-scheduler:v1.31.1']],
  ['crictl', ['rmi', 'registry.k8s.io/coredns/coredns:v1.11.3']],
];

let registry: Awaited<ReturnType<typeof manifestRegistry>>;
let real: LabRoot;
let emulated: LabRoot;
beforeAll(() => ensureBuilt());
beforeEach(async () => {
  registry = await manifestRegistry(imageRoutes('kube-scheduler', 'v1.31.1', scheduler));
  [real, emulated] = [new LabRoot(), new LabRoot()];
  for (const root of [real, emulated]) {
    for (const [path, data] of Object.entries(ARCHIVES)) root.write(path, data);
    root.write(
      '/etc/containerd/config.toml',
      'version = 2\n[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n',
    );
    root.write(
      '/etc/containerd/certs.d/registry.k8s.io/hosts.toml',
      `server = "https://registry.k8s.io"\n[host."http://127.0.0.1:${registry.port}"]\n  capabilities = ["pull", "resolve"]\n`,
    );
    root.write('/etc/crictl.yaml', 'runtime-endpoint: unix:///run/containerd/containerd.sock\n');
  }
});
afterEach(async () => {
  await registry.close();
  real.cleanup();
  emulated.cleanup();
});

const storeRecords = (root: LabRoot) =>
  (JSON.parse(readFileSync(root.path('/var/lib/lab/images/k8s.io.json'), 'utf8')).images as Array<Record<string, unknown>>).map(
    ({ name, digest, configDigest, size, mediaType, labels }) => ({ name, digest, configDigest, size, mediaType, labels }),
  );

describe.skipIf(!canRun)('real containerd inside a private namespace', () => {
  it('gives the same outputs, listing and store as the emulated path; stop kills only its PID', async () => {
    const q = (s: string): string => `'${s}'`;
    const script = [
      `${UNITS}/containerd.service.start`,
      'pid=$(cat "$LAB_FS_ROOT/run/lab/pids/containerd")',
      'echo "pid=$pid comm=$(cat /proc/$pid/comm)"',
      ...STEPS.map(([tool, args, mayFail]) => `${BIN}/${tool} ${args.map(q).join(' ')} 2>&1${mayFail ? ' || echo "rc=$?"' : ''}`),
      `echo ---ls; ${BIN}/ctr -n k8s.io images ls`,
      `echo ---held; ${BIN}/lab-images`,
      `${BIN}/lab-runtime-active containerd && echo active`,
      `${UNITS}/containerd.service.stop`,
      'if kill -0 "$pid" 2>/dev/null; then echo still-running; else echo stopped; fi',
      `${BIN}/lab-runtime-active containerd || echo inactive`,
    ].join('\n');
    const result = await inNamespace(script, { LAB_FS_ROOT: real.dir, LAB_REAL_CONTAINERD: '1' });
    if (result.code !== 0 || result.stderr) throw new Error(`namespace script failed (${result.code}):\n${result.stdout}${result.stderr}`);
    const [head, rest] = result.stdout.split('---ls\n') as [string, string];
    const [listing, tail] = rest.split('---held\n') as [string, string];
    expect(head).toMatch(/^pid=\d+ comm=containerd\n/);
    expect(tail).toMatch(/\nactive\nstopped\ninactive\n$/);

    expect(emulated.systemctl('containerd', 'start').code).toBe(0);
    let outputs = '';
    for (const [tool, args, mayFail] of STEPS) {
      const r = await emulated.runAsync(tool, args);
      outputs += r.stdout + r.stderr + (mayFail && r.code !== 0 ? `rc=${r.code}\n` : '');
    }
    expect(head.replace(/^pid=.*\n/, '')).toBe(outputs);
    expect(outputs).toContain(`Image is up to date for ${scheduler.configDigest}\n`);
    expect(outputs).toMatch(/ctr: content digest sha256:\w+: not found\nrc=1\n/);
    expect(emulated.run('ctr', ['-n', 'k8s.io', 'images', 'ls']).stdout).toBe(listing);
    expect(emulated.run('lab-images').stdout).toBe(tail.replace(/active\n[\s\S]*$/, ''));
    expect(storeRecords(real)).toEqual(storeRecords(emulated));
    expect(readFileSync(real.path('/var/log/lab/journal.log'), 'utf8')).toContain('ctr -n k8s.io images import /tmp/images.tar');
    expect(existsSync(real.path('/var/lib/lab/containerd-real/root'))).toBe(true);
  });
});
