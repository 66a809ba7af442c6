// The runtime emulators inside real lab hosts: the emulated apt installs containerd (the deb persona starts it through
// the unit hook), a host with LAB_REAL_CONTAINERD=1 runs Debian's real containerd from LAB_REAL_BIN_DIR, a host
// without it runs the emulated one, and both answer ctr/lab-images alike for the same archive.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Lab, labDown, labUp } from '../../../lab/lab.js';
import { isRoot } from '../../../lab/helpers/ssh.js';
import { ensureBuilt } from './helpers.js';
import { writeDockerArchive, writeOciArchive } from '../../../lab/emulators/src/runtime/oci-archive.js';

describe.skipIf(!isRoot())('runtime emulators in lab hosts', () => {
  let lab: Lab;
  beforeAll(async () => {
    ensureBuilt();
    lab = await labUp({ name: 'labtest-runtime', hosts: [{ name: 'real' }, { name: 'emu' }] });
  }, 120_000);
  afterAll(async () => {
    if (lab) await labDown(lab.name);
  });

  const sh = async (host: string, cmd: string): Promise<string> => {
    const r = await lab.exec(host, cmd, { timeoutMs: 60_000 });
    if (r.code !== 0) throw new Error(`${host}: ${cmd}: exit ${r.code}\n${r.stdout}${r.stderr}`);
    return r.stdout;
  };

  it('imports the same archives with the same listing, real containerd on one host and emulated on the other', async () => {
    await sh('real', 'echo LAB_REAL_CONTAINERD=1 >> /etc/lab/env');
    for (const host of ['real', 'emu']) {
      await sh(host, 'apt-get install -y containerd >/dev/null 2>&1');
      expect(await sh(host, 'systemctl is-active containerd')).toBe('active\n');
      const root = `/proc/${lab.host(host).pid}/root`;
      writeFileSync(
        join(root, 'tmp/images.tar'),
        writeOciArchive([{ ref: 'registry.k8s.io/pause:3.10' }, { ref: 'registry.k8s.io/etcd:3.5.15-0' }]),
      );
      writeFileSync(join(root, 'tmp/docker.tar'), writeDockerArchive({ ref: 'registry.k8s.io/coredns/coredns:v1.11.3' }));
    }
    expect(JSON.parse(lab.readFile('real', '/run/lab/containerd/effective.json')!)).toMatchObject({ mode: 'real' });
    expect(JSON.parse(lab.readFile('emu', '/run/lab/containerd/effective.json')!)).toMatchObject({ mode: 'emulated' });
    const steps =
      'ctr -n k8s.io images import /tmp/images.tar; ctr -n k8s.io images import /tmp/docker.tar; ' +
      'ctr -n k8s.io images tag registry.k8s.io/pause:3.10 mirror.local/pause:3.10; ctr -n k8s.io images ls; lab-images';
    const [real, emu] = [await sh('real', steps), await sh('emu', steps)];
    expect(real).toBe(emu);
    expect(real).toContain(
      'mirror.local/pause:3.10\nregistry.k8s.io/coredns/coredns:v1.11.3\nregistry.k8s.io/etcd:3.5.15-0\nregistry.k8s.io/pause:3.10\n',
    );
    // only the recorded PID is stopped; the runtime is then inactive for crictl-style checks
    const pid = lab.readFile('real', '/run/lab/pids/containerd')!.trim();
    expect(await sh('real', `cat /proc/${pid}/comm`)).toBe('containerd\n');
    await sh('real', 'systemctl stop containerd');
    expect((await lab.exec('real', `test -e /proc/${pid}`)).code).toBe(1);
    expect((await lab.exec('real', 'lab-runtime-active containerd')).code).toBe(1);
    expect(await sh('real', 'lab-images')).toContain('registry.k8s.io/pause:3.10\n'); // images survive the stop
  }, 120_000);
});
