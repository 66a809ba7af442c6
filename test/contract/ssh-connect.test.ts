/** Connecting: host keys, auth failures, retries, bastion hop, connection reuse and the channel bound. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sh } from '../../src/transport/command.js';
import { ConnectionPool } from '../../src/transport/pool.js';
import type { ConnectRecord } from '../../src/transport/ssh.js';
import { CommandError, ConnectError } from '../../src/transport/types.js';
import { SshFixture } from './fixture.js';
import { freePort, makeKey, type Sshd } from './sshd.js';

const fx = new SshFixture();
let a: Sshd; // also the bastion
let b: Sshd; // reached through a

beforeAll(async () => {
  a = await fx.start({ maxSessions: 5, logLevel: 'DEBUG' });
  b = await fx.start();
});
afterAll(() => fx.stop());

async function connectError(ssh: Record<string, unknown>, port: number, retry = { attempts: 4, baseDelayMs: 1000 }) {
  const { pool, host } = fx.pool(ssh, port, { retry });
  const started = Date.now();
  const err = await pool.get(host).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConnectError);
  return { err: err as ConnectError, ms: Date.now() - started, pool };
}

const connections = (s: Sshd) => (s.log().match(/Connection from 127\.0\.0\.1/g) ?? []).length;

describe('host keys', () => {
  it('a changed key is refused, naming file and line, without retries', async () => {
    const other = makeKey(join(fx.dir, 'other_host_key')).split(' ').slice(0, 2).join(' ');
    const file = join(fx.dir, 'kh-changed');
    writeFileSync(file, `# our hosts\n[127.0.0.1]:${a.port} ${other}\n`);
    for (const policy of ['strict', 'accept-new']) {
      const { err, ms } = await connectError({ knownHostsPath: file, hostKeyPolicy: policy }, a.port);
      expect(err.permanent).toBe(true);
      expect(err.message).toContain('has CHANGED');
      expect(err.message).toContain(`${file}:2`);
      expect(err.message).toContain(`ssh-keygen -R '[127.0.0.1]:${a.port}'`);
      expect(ms).toBeLessThan(900); // no retry (the first backoff would be 1 s)
    }
    expect(readFileSync(file, 'utf8').split('\n').filter(Boolean)).toHaveLength(2);
  });

  it('strict refuses an unknown key and says how to add it', async () => {
    const file = join(fx.dir, 'kh-empty');
    const { err, ms } = await connectError({ knownHostsPath: file }, a.port);
    expect(err.permanent).toBe(true);
    expect(err.message).toContain('is not in');
    expect(err.message).toContain(`ssh-keyscan -p ${a.port} -t ed25519 127.0.0.1 >> ${file}`);
    expect(ms).toBeLessThan(900);
    expect(existsSync(file)).toBe(false);
  });

  it('accept-new records the first-seen key, which strict then accepts', async () => {
    const file = join(fx.dir, 'sub', 'kh-new');
    const t = await fx.transport({ knownHostsPath: file, hostKeyPolicy: 'accept-new' }, a.port);
    expect((await t.exec(['echo', 'hi'])).stdout).toBe('hi\n');
    expect(readFileSync(file, 'utf8')).toBe(`[127.0.0.1]:${a.port} ${a.hostKeyPub}\n`);
    const strict = await fx.transport({ knownHostsPath: file, hostKeyPolicy: 'strict' }, a.port);
    expect((await strict.exec(['true'])).code).toBe(0);
  });
});

describe('auth and retries', () => {
  it('an auth failure is permanent: one connection, no retries', async () => {
    const before = connections(a);
    // a key file that does not exist: permanent too, and it never reaches the server
    const missing = await connectError({ keyPath: join(fx.dir, 'no_such_key') }, a.port);
    expect(missing.err.permanent).toBe(true);
    expect(missing.err.message).toContain('cannot read the private key');
    makeKey(join(fx.dir, 'stranger'));
    const stranger = await connectError({ keyPath: join(fx.dir, 'stranger') }, a.port);
    expect(stranger.err.permanent).toBe(true);
    expect(stranger.err.message).toContain(`authentication failed for root@127.0.0.1:${a.port}`);
    expect(stranger.ms).toBeLessThan(900);
    await new Promise((r) => setTimeout(r, 200));
    expect(connections(a) - before).toBe(1);
  });

  it('a refused connection is retried with backoff, then reported as not permanent', async () => {
    const port = await freePort();
    const { err, ms } = await connectError({}, port, { attempts: 3, baseDelayMs: 150 });
    expect(err.permanent).toBe(false);
    expect(err.message).toContain('ECONNREFUSED');
    expect(err.hint).toContain('sshd running');
    expect(ms).toBeGreaterThanOrEqual(150 + 300);
  });
});

describe('connections and channels', () => {
  it('merges per-host ssh overrides and resolves a relative keyPath against the inventory dir', async () => {
    const inv = fx.inventory({ keyPath: 'id_client' }, 1);
    inv.spec.hosts[0]!.ssh = { port: a.port, user: 'root' };
    const pool = new ConnectionPool(inv, { inventoryDir: fx.dir, env: {}, retry: { attempts: 1, baseDelayMs: 1 } });
    fx.pools.push(pool);
    const t = await pool.get(fx.host(inv));
    expect((await t.exec(sh`echo "$SSH_CONNECTION"`)).stdout).toMatch(new RegExp(` ${a.port}\n$`));
  });

  it('reaches a host through a bastion', async () => {
    const seen: ConnectRecord[] = [];
    const [aBefore, bBefore] = [a.accepted(), b.accepted()];
    const { pool, host } = fx.pool({ bastion: { address: '127.0.0.1', port: a.port } }, b.port, { onConnect: (r) => seen.push(r) });
    const t = await pool.get(host);
    expect((await t.exec(sh`echo "$SSH_CONNECTION"`)).stdout).toMatch(new RegExp(` 127\\.0\\.0\\.1 ${b.port}\\n$`));
    expect([a.accepted() - aBefore, b.accepted() - bBefore]).toEqual([1, 1]);
    expect(a.log()).toMatch(new RegExp(`direct.?tcpip.*127\\.0\\.0\\.1 port ${b.port}`));
    expect(seen.map((r) => [r.host, r.viaBastion])).toEqual([
      ['bastion 127.0.0.1', false],
      ['node1', true],
    ]);
    expect(pool.stats().connectionsOpened).toBe(2);
  });

  it('reuses one connection for 50 commands and for concurrent get() calls', async () => {
    const before = a.accepted();
    const { pool, host } = fx.pool({ maxChannels: 4 }, a.port);
    const transports = await Promise.all(Array.from({ length: 10 }, () => pool.get(host)));
    expect(new Set(transports).size).toBe(1);
    const t = transports[0]!;
    for (let i = 0; i < 25; i++) expect((await t.exec(['echo', String(i)])).stdout).toBe(`${i}\n`);
    const rest = await Promise.all(Array.from({ length: 25 }, (_, i) => t.exec(['echo', String(i)])));
    expect(rest.map((r) => r.stdout)).toEqual(Array.from({ length: 25 }, (_, i) => `${i}\n`));
    expect(pool.stats().connectionsOpened).toBe(1);
    expect(a.accepted() - before).toBe(1);
  }, 180_000);

  it('a lost connection fails the running command clearly, and the next command reconnects', async () => {
    const { pool, host } = fx.pool({}, b.port);
    const t = await pool.get(host);
    // the command kills its own sshd session process: the connection drops mid-command
    const err = (await t.exec(sh`kill -9 $PPID; sleep 1`).catch((e: unknown) => e)) as CommandError;
    expect(err).toBeInstanceOf(CommandError);
    expect(err.hint).toContain('connection was lost');
    expect((await t.exec(['echo', 'back'])).stdout).toBe('back\n');
    expect(pool.stats().connectionsOpened).toBe(2);
  });

  it('bounds channels per connection: 40 concurrent commands, maxChannels 4, sshd MaxSessions 5', async () => {
    const t = await fx.transport({ maxChannels: 4 }, a.port);
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => t.exec(sh`sleep 0.2; echo ${i}`)));
    expect(results.map((r) => r.stdout)).toEqual(Array.from({ length: 40 }, (_, i) => `${i}\n`));
    // 40 × 0.2 s at most 4 at a time cannot take less than 2 s
    const ms = Date.now() - started;
    expect(ms).toBeGreaterThanOrEqual(2000);
    expect(ms).toBeLessThan(60_000);
  }, 180_000);
});
