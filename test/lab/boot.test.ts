/** Host boot: emulator installation from the manifest, hooks, capabilities, failed boots, parallel instances. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Lab, labDown, labList, labUp } from './lab.js';
import { linksOf, netnsNames } from './netns.js';
import { LAB_BASE, repoRoot } from './paths.js';
import { isRoot, ROOT_SKIP_MESSAGE, sshRun } from './helpers/ssh.js';
import { startTime } from './procs.js';
import { writeInstance } from './instance.js';
import { run, runOk } from './run.js';

if (!isRoot()) console.warn(`skipping test/lab/boot.test.ts: ${ROOT_SKIP_MESSAGE}`);

const fakeDir = join(repoRoot(), 'test/lab/helpers/fake-emulators');
const fake = { emulatorDir: fakeDir, manifest: join(fakeDir, 'manifest.json') };

describe.skipIf(!isRoot())('lab host boot', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await labUp({
      name: 'labtest-boot',
      hosts: [{ name: 'a', os: 'rocky9' }, { name: 'b' }],
      env: { LAB_REGISTRIES: '127.0.0.1:5000' },
      ...fake,
    });
  });
  afterAll(async () => {
    if (lab) await labDown(lab.name);
  });

  it('puts system emulators over /usr/local/bin and the real entries, without following symlinks', async () => {
    const r = await lab.exec('a', 'readlink /usr/local/bin/reboot /usr/sbin/reboot; readlink -f /usr/bin/systemctl; reboot now');
    expect(r.stdout).toBe(`${fakeDir}/reboot\n${fakeDir}/reboot\n/usr/bin/systemctl\nfake reboot now\n`);
    const viaSsh = await sshRun(lab, 'a', '/sbin/reboot -f');
    expect(viaSsh.stdout).toBe('fake reboot -f\n');
  });

  it('links persona-only emulators only on their personas (manifest osOnly)', async () => {
    const r = await lab.exec('b', 'readlink /usr/local/bin/reboot || echo none; readlink -f /usr/sbin/reboot');
    expect(r.stdout).toBe('none\n/usr/bin/systemctl\n');
  });

  it('writes /etc/lab/env with the host count, the real-binary dir and extra entries', () => {
    const env = lab.readFile('b', '/etc/lab/env') ?? '';
    expect(env).toMatch(/^LAB_HOST=b$/m);
    expect(env).toMatch(/^LAB_HOST_COUNT=2$/m);
    expect(env).toMatch(/^LAB_REAL_BIN_DIR=\/usr\/lib\/kubesmith-lab\/real-bin$/m);
    expect(env).toMatch(/^LAB_REGISTRIES=127\.0\.0\.1:5000$/m);
  });

  it('exposes the real binaries of emulated packages read-only in LAB_REAL_BIN_DIR', async () => {
    const inHost = readFileSync(`/proc/${lab.host('b').pid}/root/usr/lib/kubesmith-lab/real-bin/ssh-keyscan`);
    expect(inHost.equals(readFileSync('/usr/bin/ssh-keyscan'))).toBe(true);
    // Never try a write here: if the bind were writable, that write would land on the machine's own binary.
    const r = await lab.exec(
      'b',
      'd=/usr/lib/kubesmith-lab/real-bin; "$d/ssh-keyscan" 2>&1 | grep -c "usage: ssh-keyscan"; ' +
        'findmnt -n -o OPTIONS "$d/ssh-keyscan" | cut -d, -f1; touch "$d/new" 2>/dev/null || echo read-only',
    );
    expect(r.stdout).toBe('1\nro\nread-only\n');
  });

  it('hides the real binaries of emulated packages and skips emulators not written yet', async () => {
    expect(existsSync('/usr/bin/ssh-keyscan')).toBe(true);
    const r = await lab.exec('b', 'command -v ssh-keyscan || echo absent; command -v not-written-yet || echo absent');
    expect(r.stdout).toBe('absent\nabsent\n');
    expect(lab.readFile('b', '/var/lib/kubesmith-lab/x')).toBeNull();
  });

  it('runs lab-host-init once and lab-boot at every boot, inside the host, without the lab paths', async () => {
    expect(lab.readFile('a', '/etc/lab/host-init-count')).toBe('1\n');
    expect(lab.readFile('a', '/etc/lab/host-init-saw')).toBe('rocky9 / no-lab-root\n');
    expect(lab.readFile('a', '/var/lib/lab/boots')).toBe('boot\n');
    await lab.crash('a');
    await lab.boot('a');
    expect(lab.readFile('a', '/etc/lab/host-init-count')).toBe('1\n');
    expect(lab.readFile('a', '/var/lib/lab/boots')).toBe('boot\nboot\n');
  });

  it('drops CAP_SYS_TIME, CAP_SYS_MODULE and CAP_SYS_BOOT from every process of a host', async () => {
    for (const r of [await sshRun(lab, 'b', 'grep CapBnd /proc/self/status'), await lab.exec('b', 'grep CapBnd /proc/self/status')]) {
      const bnd = BigInt(`0x${r.stdout.split(/\s+/)[1]}`);
      for (const bit of [16n, 22n, 25n]) expect((bnd >> bit) & 1n).toBe(0n);
      expect((bnd >> 21n) & 1n).toBe(1n); // CAP_SYS_ADMIN stays (mounts inside the host)
    }
  });

  it('fails labUp with the console log when a hook fails, and leaves nothing behind', async () => {
    const err = await labUp({ name: 'labtest-boot-broken', hosts: [{ name: 'ok' }, { name: 'broken' }], ...fake }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/host broken did not boot[\s\S]*refusing host broken/);
    expect(existsSync(join(LAB_BASE, 'labtest-boot-broken'))).toBe(false);
    expect(labList().map((r) => r.name)).not.toContain('labtest-boot-broken');
  });

  it('gives instances brought up in parallel distinct indexes and subnets', async () => {
    const [x, y] = await Promise.all([
      labUp({ name: 'labtest-boot-x', hosts: 1, users: false }),
      labUp({ name: 'labtest-boot-y', hosts: 1, users: false }),
    ]);
    try {
      expect(new Set([lab.index, x.index, y.index]).size).toBe(3);
      expect((await sshRun(x, 'h1', 'hostname; id kube 2>&1 || true')).stdout).toMatch(/^h1\n.*no such user/);
      expect((await sshRun(y, 'h1', 'hostname')).stdout).toBe('h1\n');
    } finally {
      await Promise.all([x.down(), y.down()]);
    }
    expect(netnsNames(x.index)).toEqual([]);
    expect(await linksOf(y.index)).toEqual([]);
  });

  it('replaces an instance left over under the same name (a test run that died before down)', async () => {
    const old = await labUp({ name: 'labtest-boot-x', hosts: 1, users: false });
    const oldHost = { ...old.record.hosts[0]! };
    const again = await labUp({ name: 'labtest-boot-x', hosts: 2, users: false });
    try {
      expect(startTime(oldHost.pid) === oldHost.pidStart).toBe(false);
      expect((await sshRun(again, 'h2', 'hostname')).stdout).toBe('h2\n');
    } finally {
      await again.down();
    }
  });

  it("never takes an index whose network exists without a claim (someone else's, or a crashed run's)", async () => {
    const free = Array.from({ length: 100 }, (_, k) => k).find((k) => claimedBy(k) === undefined && !existsSync(`/sys/class/net/ksl${k}`))!;
    await runOk('ip', ['link', 'add', `ksl${free}`, 'type', 'bridge']);
    try {
      const other = await labUp({ name: 'labtest-boot-z', hosts: 1, users: false });
      await other.down();
      expect(other.index).not.toBe(free);
      expect(existsSync(`/sys/class/net/ksl${free}`)).toBe(true);
    } finally {
      await run('ip', ['link', 'del', `ksl${free}`]);
    }
  });

  it('refuses to replace an instance whose owner process is alive', async () => {
    const owned = await labUp({ name: 'labtest-boot-x', hosts: 1, users: false });
    try {
      // Pretend another live process (this test runner's parent) owns it.
      owned.record.owner = { pid: process.ppid, start: startTime(process.ppid)! };
      writeInstance(owned.record);
      await expect(labUp({ name: 'labtest-boot-x', hosts: 1 })).rejects.toThrow(/in use by process/);
      expect(startTime(owned.host('h1').pid)).toBe(owned.host('h1').pidStart);
    } finally {
      await owned.down();
    }
  });
});

function claimedBy(k: number): string | undefined {
  try {
    return readFileSync(join(LAB_BASE, '.index', String(k), 'name'), 'utf8');
  } catch {
    return existsSync(join(LAB_BASE, '.index', String(k))) ? '?' : undefined;
  }
}
