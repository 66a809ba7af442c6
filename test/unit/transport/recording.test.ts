import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { secret, sh } from '../../../src/transport/command.js';
import { RecordingTransport } from '../../../src/transport/recording.js';
import { CommandError } from '../../../src/transport/types.js';

describe('RecordingTransport', () => {
  it('throws on an unexpected command, naming it', async () => {
    const t = new RecordingTransport('cp1');
    await expect(t.exec(sh`rm -rf ${'/var/lib/etcd'}`)).rejects.toThrow('cp1: unexpected command: rm -rf /var/lib/etcd');
  });

  it('consumes expect() once and replies; allow() repeats', async () => {
    const t = new RecordingTransport().expect('uname -r', { stdout: '6.1.0\n' }).allow(/^true$/);
    expect((await t.exec(['uname', '-r'])).stdout).toBe('6.1.0\n');
    await expect(t.exec(['uname', '-r'])).rejects.toThrow('unexpected command');
    await t.exec(['true']);
    await t.exec(['true']);
    expect(t.commands).toEqual(['uname -r', 'uname -r', 'true', 'true']);
  });

  it('turns a non-zero reply into CommandError unless allowFailure', async () => {
    const t = new RecordingTransport('w1').allow('systemctl is-active', { code: 3, stdout: 'inactive\n', stderr: 'nope' });
    const err = await t.exec(['systemctl', 'is-active', 'kubelet']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect((err as CommandError).code).toBe(3);
    expect((err as CommandError).message).toContain('w1: `systemctl is-active kubelet` exited 3: nope');
    expect((await t.exec(['systemctl', 'is-active', 'kubelet'], { allowFailure: true })).code).toBe(3);
  });

  it('reply functions see the call (stdin, exact text) and secrets stay masked in the record', async () => {
    const t = new RecordingTransport().expect('kubeadm join', (call) => ({
      stdout: `${call.stdin}|${call.text?.includes('abcdef.0123') ? 'real' : 'masked'}`,
    }));
    const r = await t.exec(sh`kubeadm join --token ${secret('abcdef.0123456789abcdef')}`, { stdin: 'in' });
    expect(r.stdout).toBe('in|real');
    expect(t.calls[0]!.command).toBe('kubeadm join --token ***');
  });

  it('opts.secrets masks an argv command in the record and the error, as the SSH transport does', async () => {
    const key = 'f00dfeed'.repeat(8);
    const t = new RecordingTransport('h').expect('kubeadm join', { code: 1 });
    const err = (await t.exec(['kubeadm', 'join', '--certificate-key', key], { secrets: [key] }).catch((e: unknown) => e)) as CommandError;
    expect(err.command).toBe('kubeadm join --certificate-key ***');
    expect(t.calls[0]!.command).toBe('kubeadm join --certificate-key ***');
    expect(t.calls[0]!.text).toContain(key);
  });

  it('assertDone reports expectations that never ran', () => {
    const t = new RecordingTransport().expect('a').expect(/b/);
    expect(() => t.assertDone()).toThrow('expected commands that never ran: a, /b/');
  });

  it('keeps an in-memory filesystem for writeFile/readFile/upload with sha skip', async () => {
    const t = new RecordingTransport().setFile('/etc/seed', 'x');
    expect(await t.readFile('/nope')).toBeNull();
    expect((await t.readFile('/etc/seed'))!.toString()).toBe('x');
    await t.writeFile('/etc/k/a.conf', 'hello', { mode: '0600' });
    expect(t.files.get('/etc/k/a.conf')).toMatchObject({ mode: '0600', owner: 'root:root' });
    expect(t.fileText('/etc/k/a.conf')).toBe('hello');
    const dir = mkdtempSync(join(tmpdir(), 'ks-rec-'));
    try {
      writeFileSync(join(dir, 'big'), 'payload');
      const first = await t.upload(join(dir, 'big'), '/opt/big');
      const second = await t.upload(join(dir, 'big'), '/opt/big');
      expect([first.transferred, second.transferred]).toEqual([true, false]);
      expect(first.sha256).toBe('239f59ed55e737c77147cf55ad0c1b030b6d7ee748a7426952f9b852d5a935e5');
    } finally {
      rmSync(dir, { recursive: true });
    }
    expect(t.calls.map((c) => c.kind)).toEqual(['readFile', 'readFile', 'writeFile', 'upload', 'upload']);
  });
});
