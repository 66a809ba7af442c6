import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { secret, sh } from '../../../src/transport/command.js';
import { localShell } from './local-shell.js';
import { writeFileStep } from '../../../src/transport/files.js';
import { RecordingTransport } from '../../../src/transport/recording.js';
import { decodeStepsOutput, runSteps, stepsScript, type StepsScript } from '../../../src/transport/steps.js';
import { CommandError, CommandTimeoutError, type Transport } from '../../../src/transport/types.js';

describe('runSteps (several changing commands in one round trip)', () => {
  it('runs every step in order in one script and gives each its own exit code and stdout', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-steps-'));
    const t = localShell(dir);
    const results = await runSteps(t, [sh`printf 'one\\n' > a && cat a`, sh`printf "it's two" >> a; printf 'x\\n\\n'`, ['cat', 'a']]);
    expect(t.sent).toHaveLength(1);
    expect(results.map((r) => [r.code, r.stdout])).toEqual([
      [0, 'one\n'],
      [0, 'x\n\n'],
      [0, "one\nit's two"],
    ]);
  });

  it('stops at the first step that fails and names it, with its exit code and stderr; later steps do not run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-steps-'));
    const t = localShell(dir);
    const err = await runSteps(t, [sh`: > first`, sh`echo 'no such package' >&2; exit 100`, sh`: > third`]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    const e = err as CommandError;
    expect(e.command).toBe(`echo 'no such package' >&2; exit 100`);
    expect(e.code).toBe(100);
    expect(e.stderr).toContain('no such package');
    expect(existsSync(join(dir, 'first'))).toBe(true);
    expect(existsSync(join(dir, 'third'))).toBe(false);
  });

  it('each step reads /dev/null, not the next steps, on stdin', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-steps-'));
    const t = localShell(dir);
    await runSteps(t, [sh`cat > got`, sh`printf 'second\\n' > second`]);
    expect(readFileSync(join(dir, 'got'), 'utf8')).toBe('');
    expect(readFileSync(join(dir, 'second'), 'utf8')).toBe('second\n');
  });

  it('a single step goes as it is; no step sends nothing', async () => {
    const t = localShell(mkdtempSync(join(tmpdir(), 'ks-steps-')));
    await runSteps(t, [['true']]);
    await runSteps(t, []);
    expect(t.sent).toEqual(['true']);
  });

  it('refuses a command carrying a secret (it goes to the host on its own)', () => {
    expect(() => stepsScript([['true'], sh`login ${secret('hunter22')}`])).toThrow(/secret/);
  });

  it('logs show the steps one per line under a heading', () => {
    const s = stepsScript([
      ['apt-mark', 'hold', 'kubeadm'],
      ['systemctl', 'enable', 'kubelet'],
    ]);
    expect(s.display.split('\n')).toEqual([
      '# 2 steps in one round trip, in order, stopping at the first that fails:',
      'apt-mark hold kubeadm',
      'systemctl enable kubelet',
    ]);
  });

  it('a script cut short (timeout) names the step that was running', async () => {
    const t: Transport = {
      host: 'h',
      exec: async (cmd) => {
        const { marker: m, display } = cmd as StepsScript;
        throw new CommandTimeoutError('h', display, 5000, `${m}:0\n\n${m}:0:0\n${m}:1\n`, '');
      },
      readFile: async () => null,
      writeFile: async () => {},
      upload: async () => ({ transferred: false, bytes: 0, sha256: '' }),
      close: async () => {},
    };
    const err = (await runSteps(t, [['true'], ['sleep', '100'], ['true']]).catch((e: unknown) => e)) as CommandTimeoutError;
    expect(err).toBeInstanceOf(CommandTimeoutError);
    expect(err.command).toBe('sleep 100');
  });

  it('decoding keeps only the steps that finished', () => {
    const m = '@@m';
    expect(decodeStepsOutput(m, 3, `${m}:0\nok\n${m}:0:0\n${m}:1\npartial`)).toEqual([{ code: 0, stdout: 'ok' }]);
  });

  it('a recording transport answers the steps one by one, up to the first failure', async () => {
    const t = new RecordingTransport().expect('apt-get install').expect('apt-mark hold', { code: 1, stderr: 'E: hold failed' });
    const err = (await runSteps(t, [
      ['apt-get', 'install', 'x'],
      ['apt-mark', 'hold', 'x'],
      ['systemctl', 'enable', 'x'],
    ]).catch((e: unknown) => e)) as CommandError;
    expect(err.command).toBe('apt-mark hold x');
    expect(err.stderr).toContain('hold failed');
    expect(t.commands).toEqual(['apt-get install x', 'apt-mark hold x']);
  });

  it('a file write as a step: atomic, the content exactly as given (quotes, $, newlines), the log showing only path, mode and size', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-steps-'));
    const t = localShell(dir);
    const content = "a 'quoted' $HOME `x` \\n line\nsecond line\n";
    const step = writeFileStep(join(dir, 'sub', 'f.conf'), content, { mode: '0640' });
    await runSteps(t, [step, ['true']]);
    expect(readFileSync(join(dir, 'sub', 'f.conf'), 'utf8')).toBe(content);
    expect((statSync(join(dir, 'sub', 'f.conf')).mode & 0o777).toString(8)).toBe('640');
    expect(readdirSync(join(dir, 'sub'))).toEqual(['f.conf']);
    expect(step.display).toBe(`write ${join(dir, 'sub', 'f.conf')} (mode 0640, ${Buffer.byteLength(content)} bytes)`);
    expect(() => writeFileStep('/x', 'a\0b')).toThrow(/text files/);
    expect(() => writeFileStep('/x', 'x', { mode: '644; rm -rf /' })).toThrow(/invalid file mode/);
  });
});
