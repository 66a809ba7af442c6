import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sh, secret } from '../../../src/transport/command.js';
import { decodeLookupOutput, lookupBatch, lookups, read, run, type LookupBatch } from '../../../src/transport/lookups.js';
import { localShell } from './local-shell.js';
import { RecordingTransport } from '../../../src/transport/recording.js';
import { CommandError, CommandTimeoutError } from '../../../src/transport/types.js';
import type { Command } from '../../../src/transport/command.js';

describe('lookups (one round trip for several read-only look-ups)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ks-lookups-'));
  const file = join(dir, 'a file');
  writeFileSync(file, 'line one\nno newline at the end');

  it("returns each command's exit code and exact stdout, and each file or null, in one shell run", async () => {
    const t = localShell();
    const [a, b, c, d, e, f] = await lookups(t, [
      run(sh`printf 'x\\n\\ny'`),
      run(['sh', '-c', 'echo out; echo err >&2; exit 3']),
      read(file),
      read(join(dir, 'missing')),
      run(sh`exit 0`),
      run(sh`set -e; false; echo never`),
    ]);
    expect(t.sent).toHaveLength(1);
    expect(a).toMatchObject({ code: 0, stdout: 'x\n\ny', stderr: '' });
    expect(b).toMatchObject({ code: 3, stdout: 'out\n', stderr: '' });
    expect(c).toBe('line one\nno newline at the end');
    expect(d).toBeNull();
    expect(e).toMatchObject({ code: 0, stdout: '' });
    expect(f).toMatchObject({ code: 1, stdout: '' });
  });

  it('a command that reads stdin gets /dev/null, and output that looks like a marker cannot confuse the split', async () => {
    const t = localShell();
    const batch = lookupBatch([run(['cat']), run(sh`echo '@@ks-0123456789ab:0:7'`)]);
    const r = spawnSync('sh', ['-c', batch.text], { encoding: 'utf8', input: 'must not be read\n' });
    const parts = decodeLookupOutput('local', batch.marker, 2, r.stdout);
    expect(parts).toEqual([
      { code: 0, stdout: '' },
      { code: 0, stdout: '@@ks-0123456789ab:0:7\n' },
    ]);
    expect(batch.marker).toMatch(/^@@ks-[0-9a-f]{12}$/);
    expect(t.sent).toEqual([]);
  });

  it('a path that exists but cannot be read as a file is an error, not "absent"', async () => {
    await expect(lookups(localShell(), [read(dir), run(['true'])])).rejects.toBeInstanceOf(CommandError);
  });

  it('a batch cut short (connection lost) is an error naming the look-up', () => {
    const batch = lookupBatch([run(['true']), run(['true'])]);
    expect(() => decodeLookupOutput('h1', batch.marker, 2, `${batch.marker}:0\n\n${batch.marker}:0:0\n${batch.marker}:1\npartial`)).toThrow(
      /look-up 2 of 2/,
    );
  });

  it('a batch that times out names the look-up that was running, not the whole batch', async () => {
    const t = { ...localShell(), host: 'w1' };
    t.exec = async (cmd: Command) => {
      const b = cmd as LookupBatch;
      // The first look-up finished, the second started and hung until the transport killed it.
      throw new CommandTimeoutError('w1', b.display, 20_000, `${b.marker}:0\n1\n${b.marker}:0:0\n${b.marker}:1\n`, '');
    };
    const err = await lookups(t, [read('/etc/sysctl.d/k8s.conf'), run(['sysctl', '-n', 'net.ipv4.ip_forward']), run(['true'])]).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CommandTimeoutError);
    expect(err).toMatchObject({ command: 'sysctl -n net.ipv4.ip_forward', code: 124, timeoutMs: 20_000 });
    expect((err as Error).message).toMatch(/timed out after 20s/);
  });

  it('logs show the look-ups one per line, not the plumbing', () => {
    const batch = lookupBatch([run(['systemctl', 'is-active', 'containerd']), read('/etc/containerd/config.toml')]);
    expect(batch.display).toBe('# 2 look-ups in one round trip:\nsystemctl is-active containerd\ncat -- /etc/containerd/config.toml');
  });

  it('the display text masks secrets of the commands inside', () => {
    const batch = lookupBatch([run(sh`check ${secret('s3cr3t-value')}`), read('/etc/x')]);
    expect(batch.display).not.toContain('s3cr3t-value');
    expect(batch.text).toContain('s3cr3t-value');
    expect(batch.secrets).toEqual(['s3cr3t-value']);
  });

  it('a single look-up goes as it is (no batch script)', async () => {
    const t = new RecordingTransport('h1').allow('swapon --show', { code: 0, stdout: '/swap\n', stderr: 'noise' });
    const [r] = await lookups(t, [run(['swapon', '--show'])]);
    expect(r).toMatchObject({ code: 0, stdout: '/swap\n', stderr: '' });
    expect(t.commands).toEqual(['swapon --show']);
  });

  it('a recording transport answers a batch look-up by look-up, from its expectations and its files', async () => {
    const t = new RecordingTransport('h1').allow('systemctl is-enabled kubelet', { code: 1, stdout: 'disabled\n' });
    t.setFile('/etc/hosts', '127.0.0.1 localhost\n');
    const [unit, hosts, none] = await lookups(t, [run(['systemctl', 'is-enabled', 'kubelet']), read('/etc/hosts'), read('/etc/none')]);
    expect(unit).toMatchObject({ code: 1, stdout: 'disabled\n' });
    expect(hosts).toBe('127.0.0.1 localhost\n');
    expect(none).toBeNull();
    expect(t.calls.map((c) => `${c.kind} ${c.command}`)).toEqual([
      'exec systemctl is-enabled kubelet',
      'readFile /etc/hosts',
      'readFile /etc/none',
    ]);
    await expect(lookups(t, [run(['unexpected']), read('/etc/hosts')])).rejects.toThrow(/unexpected command/);
  });
});
