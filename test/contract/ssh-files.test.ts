/** File operations of the SSH transport against a real sshd: atomic writes, reads, uploads, disk full. */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SshTransport } from '../../src/transport/ssh.js';
import { CommandError } from '../../src/transport/types.js';
import { NOPASSWD_USER, SshFixture } from './fixture.js';
import { PRIVATE_MOUNTS } from './sshd.js';

const fx = new SshFixture();
let root: SshTransport;
let sudoer: SshTransport;
let plainUser: SshTransport;
let full: SshTransport;
let smallDir: string;

/** Test users and the tiny tmpfs exist only inside sshd's private mount namespace. */
const ns = PRIVATE_MOUNTS;

beforeAll(async () => {
  smallDir = join(fx.dir, 'small');
  const main = await fx.start({ users: ns ? [NOPASSWD_USER] : [] });
  root = await fx.transport({}, main.port);
  if (!ns) return;
  const tiny = await fx.start({ tmpfs: { path: smallDir, size: '512k' } });
  sudoer = await fx.transport({ user: NOPASSWD_USER.name }, main.port);
  plainUser = await fx.transport({ user: NOPASSWD_USER.name, sudo: 'never' }, main.port);
  full = await fx.transport({}, tiny.port);
});
afterAll(() => fx.stop());

const ls = async (t: SshTransport, dir: string) => (await t.exec(['ls', '-A', dir])).stdout;
const statOf = async (t: SshTransport, path: string) => (await t.exec(['stat', '-c', '%a %U:%G %i', path])).stdout.trim().split(' ');

describe('writeFile', () => {
  it('writes atomically with mode and owner, creating parents, leaving no temp file', async () => {
    const path = `${fx.dir}/w/a/b/kubelet.conf`;
    await root.writeFile(path, 'line1\n\n  trailing  \n\n', { mode: '0600', owner: 'nobody:nogroup' });
    const [mode, owner, inode] = await statOf(root, path);
    expect([mode, owner]).toEqual(['600', 'nobody:nogroup']);
    expect((await root.readFile(path))!.toString()).toBe('line1\n\n  trailing  \n\n');
    expect((await statOf(root, `${fx.dir}/w/a`))[0]).toBe('755');
    expect(await ls(root, `${fx.dir}/w/a/b`)).toBe('kubelet.conf\n');

    await root.writeFile(path, 'v2');
    const [mode2, owner2, inode2] = await statOf(root, path);
    expect([mode2, owner2]).toEqual(['644', 'root:root']);
    expect(inode2).not.toBe(inode); // replaced by rename, never rewritten in place
    expect(await ls(root, `${fx.dir}/w/a/b`)).toBe('kubelet.conf\n');
  });

  it.skipIf(!ns)('round-trips binary content and works under sudo (root-owned by default)', async () => {
    const blob = randomBytes(1024 * 1024);
    const path = `${fx.dir}/w/sudo/blob.bin`;
    await sudoer.writeFile(path, blob, { mode: '0640' });
    expect((await sudoer.readFile(path))!.equals(blob)).toBe(true);
    expect((await statOf(root, path)).slice(0, 2)).toEqual(['640', 'root:root']);
  });

  it('rejects bad modes and owners before running anything', async () => {
    await expect(root.writeFile(`${fx.dir}/x`, 'x', { mode: '777; rm' })).rejects.toThrow('invalid file mode');
    await expect(root.writeFile(`${fx.dir}/x`, 'x', { owner: 'a b' })).rejects.toThrow('invalid owner');
  });
});

describe('readFile', () => {
  it.skipIf(!ns)('returns null when missing and throws on permission problems', async () => {
    expect(await root.readFile(`${fx.dir}/does/not/exist`)).toBeNull();
    await root.writeFile(`${fx.dir}/private`, 'secret-ish', { mode: '0600' });
    expect(await plainUser.readFile(`${fx.dir}/nothing-here`)).toBeNull();
    const err = await plainUser.readFile(`${fx.dir}/private`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect((err as CommandError).stderr).toContain('Permission denied');
  });
});

describe('upload', () => {
  it('streams a large file with progress, then skips when the sha256 matches', async () => {
    const local = join(fx.dir, 'big.bin');
    const data = randomBytes(20 * 1024 * 1024);
    writeFileSync(local, data);
    const remote = `${fx.dir}/up/dir/big.bin`;
    const progress: number[] = [];
    const first = await root.upload(local, remote, { mode: '0640', onProgress: (sent) => progress.push(sent) });
    expect(first).toMatchObject({ transferred: true, bytes: data.length });
    expect(progress.length).toBeGreaterThan(2);
    expect(progress.at(-1)).toBe(data.length);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect((await root.exec(['sha256sum', remote])).stdout.split(' ')[0]).toBe(first.sha256);
    expect((await statOf(root, remote))[0]).toBe('640');

    const second = await root.upload(local, remote, { mode: '0600' });
    expect(second.transferred).toBe(false);
    expect((await statOf(root, remote))[0]).toBe('600'); // mode still enforced on a skip

    await root.exec(['sh', '-c', `echo x >> ${remote}`]);
    expect((await root.upload(local, remote)).transferred).toBe(true);
    expect(await ls(root, `${fx.dir}/up/dir`)).toBe('big.bin\n');
  });

  it.skipIf(!ns)('on a full disk: clear error, no file at the final path, no temp left', async () => {
    const local = join(fx.dir, 'two-mb.bin');
    writeFileSync(local, randomBytes(2 * 1024 * 1024));
    const err = (await full.upload(local, `${smallDir}/bundle.tar`).catch((e: unknown) => e)) as CommandError;
    expect(err).toBeInstanceOf(CommandError);
    expect(err.message).toContain('No space left on device');
    expect(err.hint).toContain('filesystem is full');
    await expect(full.writeFile(`${smallDir}/f`, randomBytes(1024 * 1024))).rejects.toThrow('No space left');
    expect(await ls(full, smallDir)).toBe('');
  });
});
