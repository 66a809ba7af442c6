/** SSH transport against a real OpenSSH sshd: commands, stdin, exit codes, timeouts, output, sudo. */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secret, sh } from '../../src/transport/command.js';
import type { CommandRecord, SshTransport } from '../../src/transport/ssh.js';
import { CommandAbortedError, CommandError, CommandTimeoutError, ConnectError } from '../../src/transport/types.js';
import { HOSTILE } from '../unit/transport/hostile.js';
import { NOPASSWD_USER, PASSWORD_USER, SshFixture, SUDO_PASSWORD } from './fixture.js';
import { PRIVATE_MOUNTS, type Sshd } from './sshd.js';

const fx = new SshFixture();
let sshd: Sshd;
let root: SshTransport;
let sudoer: SshTransport;
const records: CommandRecord[] = [];

const withUsers = PRIVATE_MOUNTS; // test users exist only inside sshd's private mount namespace

beforeAll(async () => {
  sshd = await fx.start({ users: withUsers ? [NOPASSWD_USER, PASSWORD_USER] : [], logLevel: 'DEBUG' });
  root = await fx.transport({}, sshd.port, { onCommand: (r) => records.push(r) });
  if (withUsers) sudoer = await fx.transport({ user: NOPASSWD_USER.name }, sshd.port);
});
afterAll(async () => {
  if (process.env.KS_DEBUG) console.log(sshd?.log());
  await fx.stop();
});

/** No process whose command line contains `sleep <tag>` is left (the [s] keeps pgrep from matching itself). */
async function leftovers(t: SshTransport, tag: number): Promise<string> {
  await new Promise((r) => setTimeout(r, 300));
  return (await t.exec(sh`pgrep -af ${`[s]leep ${tag}`} || true`)).stdout;
}

describe.each([['root', () => root], ...(withUsers ? [['sudo user', () => sudoer] as [string, () => SshTransport]] : [])])(
  'commands as %s',
  (_, t) => {
    it(`hostile strings survive quoting (${HOSTILE.length} strings, script and argv forms)`, async () => {
      const script = await t().exec(sh`printf '%s\\0' ${HOSTILE}`);
      expect(script.stdout.split('\0').slice(0, -1)).toEqual(HOSTILE);
      const argv = await t().exec(['printf', '%s\\0', ...HOSTILE]);
      expect(argv.stdout.split('\0').slice(0, -1)).toEqual(HOSTILE);
    });

    it('runs elevated (uid 0) unless noSudo', async () => {
      expect((await t().exec(['id', '-u'])).stdout).toBe('0\n');
      const plain = await t().exec(['id', '-u'], { noSudo: true });
      expect(plain.stdout).toBe(t() === root ? '0\n' : `${NOPASSWD_USER.uid}\n`);
    });

    it('passes text and 5 MB binary stdin exactly', async () => {
      expect((await t().exec(['cat'], { stdin: 'line 1\n\n  spaced  \n' })).stdout).toBe('line 1\n\n  spaced  \n');
      const blob = randomBytes(5 * 1024 * 1024);
      const sum = await t().exec(['sha256sum'], { stdin: blob });
      expect(sum.stdout.split(' ')[0]).toBe(createHash('sha256').update(blob).digest('hex'));
      const back = await t().run(['cat'], { stdin: blob, quietStdout: true });
      expect(back.stdout.equals(blob)).toBe(true);
    });

    it('a timeout kills the remote process tree and throws CommandTimeoutError', async () => {
      const tag = 4000 + Math.floor(Math.random() * 1000);
      const started = Date.now();
      const err = await t()
        .exec(sh`sleep ${tag}.5 & sleep ${tag}.25; echo never`, { timeoutMs: 700 })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CommandTimeoutError);
      expect((err as CommandError).code).toBe(124);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(await leftovers(t(), tag)).toBe('');
    });

    it('an AbortSignal stops the command and kills it too', async () => {
      const tag = 5000 + Math.floor(Math.random() * 1000);
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 400);
      const err = await t()
        .exec(sh`sleep ${tag}`, { signal: ac.signal })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CommandAbortedError);
      expect(await leftovers(t(), tag)).toBe('');
      await expect(t().exec(['true'], { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(CommandAbortedError);
    });
  },
);

describe('results and errors', () => {
  it('returns output untrimmed, and 10 MB of it', async () => {
    expect((await root.exec(sh`printf '  x  \\n\\n'`)).stdout).toBe('  x  \n\n');
    const big = await root.exec(sh`yes abcdefghi | head -c 10485760`);
    expect(big.stdout.length).toBe(10485760);
    expect(big.stdout.startsWith('abcdefghi\nabcdefghi\n')).toBe(true);
  });

  it('non-zero exit throws CommandError with host, masked command, code and stderr tail', async () => {
    const token = 'abcdef.0123456789abcdef';
    const cmd = sh`echo out; echo ${secret(token)} >&2; echo failed-here >&2; exit 7`;
    const err = (await root.exec(cmd).catch((e: unknown) => e)) as CommandError;
    expect(err).toBeInstanceOf(CommandError);
    expect(err.code).toBe(7);
    expect(err.host).toBe('node1');
    expect(err.command).toContain('echo ***');
    expect(err.message).toContain('node1: `echo out; echo *** >&2;');
    expect(err.message).toContain('failed-here');
    expect(JSON.stringify({ m: err.message, e: err.stderr, c: err.command })).not.toContain(token);
    const allowed = await root.exec(cmd, { allowFailure: true });
    expect(allowed.code).toBe(7);
    expect(allowed.stdout).toBe('out\n');
    // results are the caller's data; the log masks the secret
    expect((await root.exec(sh`printf %s ${secret(token)}`)).stdout).toBe(token);
    expect(records.at(-1)).toMatchObject({ command: 'printf %s ***', stdout: '***' });
    const logged = records.filter((r) => r.code === 7);
    expect(logged.length).toBeGreaterThan(0);
    expect(JSON.stringify(logged)).not.toContain(token);
  });

  it('opts.secrets masks an argv command in the log record and the error', async () => {
    const key = 'f00dfeed'.repeat(8);
    const err = (await root
      .exec(['sh', '-c', 'exit 3', 'sh', '--certificate-key', key], { secrets: [key] })
      .catch((e: unknown) => e)) as CommandError;
    expect(err).toBeInstanceOf(CommandError);
    expect(err.command).toContain('--certificate-key ***');
    expect(err.message).not.toContain(key);
    expect(records.at(-1)!.command).toContain('--certificate-key ***');
    expect(JSON.stringify(records)).not.toContain(key);
  });
});

describe.skipIf(!withUsers)('sudo with a password (needs unshare -m for the test users)', () => {
  it('elevates, keeps stdin intact, and never shows the password', async () => {
    const mine: CommandRecord[] = [];
    const t = await fx.transport({ user: PASSWORD_USER.name, passwordEnv: 'KS_SUDO_PW' }, sshd.port, {
      env: { KS_SUDO_PW: SUDO_PASSWORD },
      onCommand: (r) => mine.push(r),
    });
    expect((await t.exec(['id', '-u'])).stdout).toBe('0\n');
    expect((await t.exec(['cat'], { stdin: 'first\nsecond\n' })).stdout).toBe('first\nsecond\n');
    await t.writeFile(`${fx.dir}/pw-written`, 'x');
    expect((await root.exec(['stat', '-c', '%U', `${fx.dir}/pw-written`])).stdout).toBe('root\n');
    const err = (await t.exec(sh`echo ${SUDO_PASSWORD} >&2; exit 3`).catch((e: unknown) => e)) as CommandError;
    expect(err.message).not.toContain(SUDO_PASSWORD);
    const tag = 6000 + Math.floor(Math.random() * 1000);
    await expect(t.exec(sh`sleep ${tag}`, { timeoutMs: 600 })).rejects.toBeInstanceOf(CommandTimeoutError);
    expect(await leftovers(root, tag)).toBe('');
    expect(JSON.stringify(mine)).not.toContain(SUDO_PASSWORD);
    expect(sshd.log()).not.toContain(SUDO_PASSWORD);
  });

  it('a wrong password is a clear permanent error', async () => {
    const err = await fx
      .transport({ user: PASSWORD_USER.name, passwordEnv: 'KS_SUDO_PW' }, sshd.port, { env: { KS_SUDO_PW: 'wrong-password' } })
      .then((t) => t.exec(['true']))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).message).toContain('sudo refused the password');
    expect((err as ConnectError).permanent).toBe(true);
  });
});
