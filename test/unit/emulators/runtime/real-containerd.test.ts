// The real Debian containerd path: containerd.service start (LAB_REAL_CONTAINERD=1) runs /usr/bin/containerd in a
// private mount+PID namespace (as a lab host would), `ctr -n k8s.io images import` goes to the real ctr, and the
// listing matches the emulated path byte for byte. Skipped where containerd or root is missing.
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, LabRoot, REPO, UNITS, ensureBuilt } from './helpers.js';
import { writeDockerArchive, writeOciArchive } from '../../../lab/emulators/src/runtime/oci-archive.js';

const canRun = process.getuid?.() === 0 && existsSync('/usr/bin/containerd') && existsSync('/usr/bin/ctr')
  && spawnSync('unshare', ['--mount', '--pid', '--fork', 'true']).status === 0;

let lab: LabRoot;
beforeAll(() => ensureBuilt());
beforeEach(() => { lab = new LabRoot(); });
afterEach(() => lab.cleanup());

/** Runs a bash script as PID 1 of a fresh PID namespace: everything it starts dies with it. */
function inNamespace(script: string, env: Record<string, string>): { code: number; stdout: string; stderr: string } {
  const r = spawnSync('unshare', ['--mount', '--pid', '--fork', '--mount-proc', 'bash', '--norc', '--noprofile', '-eo', 'pipefail', '-c', script], {
    encoding: 'utf8', timeout: 90_000, killSignal: 'SIGKILL',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LAB_REPO: REPO, ...env },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(!canRun)('real containerd inside a private namespace', () => {
  it('imports a writer-made archive with the real ctr; the listing equals the emulated one; stop kills only its PID', () => {
    lab.write('/tmp/images.tar', writeOciArchive([{ ref: 'registry.k8s.io/pause:3.10' }, { ref: 'ghcr.io/flannel-io/flannel:v0.26.1' }]));
    lab.write('/tmp/docker.tar', writeDockerArchive({ ref: 'registry.k8s.io/coredns/coredns:v1.11.3' }));
    // a manifest list exported with the amd64 blobs only: fine by default, "not found" with --all-platforms
    lab.write('/tmp/multi.tar', writeOciArchive({ ref: 'registry.k8s.io/kube-proxy:v1.31.1' }, { platforms: ['linux/amd64', 'linux/arm64'], blobsFor: 'linux/amd64' }));
    const script = `
      ${UNITS}/containerd.service.start
      pid=$(cat "$LAB_FS_ROOT/run/lab/pids/containerd")
      echo "pid=$pid comm=$(cat /proc/$pid/comm)"
      ${BIN}/ctr -n k8s.io images import /tmp/images.tar
      ${BIN}/ctr -n k8s.io images import /tmp/docker.tar
      ${BIN}/ctr -n k8s.io images import --all-platforms /tmp/multi.tar 2>&1 || echo "rc=$?"
      ${BIN}/ctr -n k8s.io images import /tmp/multi.tar
      ${BIN}/ctr -n k8s.io images tag registry.k8s.io/pause:3.10 mirror.local/pause:3.10
      ${BIN}/ctr -n k8s.io images rm ghcr.io/flannel-io/flannel:v0.26.1
      echo ---ls
      ${BIN}/ctr -n k8s.io images ls
      echo ---held
      ${BIN}/lab-images
      ${BIN}/lab-runtime-active containerd && echo active
      ${UNITS}/containerd.service.stop
      if kill -0 "$pid" 2>/dev/null; then echo still-running; else echo stopped; fi
      ${BIN}/lab-runtime-active containerd || echo inactive
    `;
    const real = inNamespace(script, { LAB_FS_ROOT: lab.dir, LAB_REAL_CONTAINERD: '1' });
    expect(real.stderr).toBe('');
    expect({ code: real.code, stdout: real.stdout }).toMatchObject({ code: 0 }); // stdout shown on failure
    expect(real.stdout).toMatch(/^pid=\d+ comm=containerd\n/);
    const state = readFileSync(lab.path('/var/log/lab/journal.log'), 'utf8');
    expect(state).toContain('ctr -n k8s.io images import /tmp/images.tar');
    expect(real.stdout).toContain('unpacking registry.k8s.io/pause:3.10 (sha256:');
    expect(real.stdout).toMatch(/\nactive\nstopped\ninactive\n$/);

    const emulated = new LabRoot();
    try {
      emulated.write('/tmp/images.tar', readFileSync(lab.path('/tmp/images.tar')));
      emulated.write('/tmp/docker.tar', readFileSync(lab.path('/tmp/docker.tar')));
      expect(emulated.systemctl('containerd', 'start').code).toBe(0);
      emulated.run('ctr', ['-n', 'k8s.io', 'images', 'import', '/tmp/images.tar']);
      emulated.write('/tmp/multi.tar', readFileSync(lab.path('/tmp/multi.tar')));
      const script = [
        ['-n', 'k8s.io', 'images', 'import', '/tmp/docker.tar'],
        ['-n', 'k8s.io', 'images', 'import', '--all-platforms', '/tmp/multi.tar'],
        ['-n', 'k8s.io', 'images', 'import', '/tmp/multi.tar'],
        ['-n', 'k8s.io', 'images', 'tag', 'registry.k8s.io/pause:3.10', 'mirror.local/pause:3.10'],
        ['-n', 'k8s.io', 'images', 'rm', 'ghcr.io/flannel-io/flannel:v0.26.1'],
      ].map((args) => emulated.run('ctr', args));
      const allPlatforms = script[1]!;
      expect(real.stdout).toContain(`${allPlatforms.stderr}rc=1\n`);
      expect(allPlatforms.stderr).toMatch(/^ctr: content digest sha256:\w+: not found\n$/);
      const realLs = real.stdout.split('---ls\n')[1]!.split('---held\n')[0];
      expect(emulated.run('ctr', ['-n', 'k8s.io', 'images', 'ls']).stdout).toBe(realLs);
      const realHeld = real.stdout.split('---held\n')[1]!.split('active\n')[0];
      expect(emulated.run('lab-images').stdout).toBe(realHeld);
      // the store mirrored from the real containerd holds the same records (digests, config digests, sizes)
      const pick = (root: LabRoot) => (JSON.parse(readFileSync(root.path('/var/lib/lab/images/k8s.io.json'), 'utf8')).images as Array<Record<string, unknown>>)
        .map(({ name, digest, configDigest, size, mediaType }) => ({ name, digest, configDigest, size, mediaType }));
      expect(pick(lab)).toEqual(pick(emulated));
    } finally {
      emulated.cleanup();
    }
    expect(existsSync(join(lab.dir, 'var/lib/lab/containerd-real/root'))).toBe(true);
  });
});
