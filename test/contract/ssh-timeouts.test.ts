/** spec.ssh.connectTimeoutSeconds and commandTimeoutSeconds reach the transport (a real sshd, and a silent TCP port). */
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandTimeoutError, ConnectError } from '../../src/transport/types.js';
import { SshFixture } from './fixture.js';
import type { Sshd } from './sshd.js';

const fx = new SshFixture();
let sshd: Sshd;
let silent: Server;
const held: Socket[] = [];

beforeAll(async () => {
  sshd = await fx.start();
  // accepts TCP connections and never sends an SSH banner: only the connect timeout ends the attempt
  silent = createServer((s) => void held.push(s));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  for (const s of held) s.destroy();
  await new Promise((resolve) => silent.close(resolve));
  await fx.stop();
});

describe('ssh timeouts from the inventory', () => {
  it('commandTimeoutSeconds kills a remote command that runs longer', async () => {
    const t = await fx.transport({ commandTimeoutSeconds: 1 }, sshd.port);
    const err = await t.exec(['sleep', '30']).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CommandTimeoutError);
    expect((err as CommandTimeoutError).timeoutMs).toBe(1000);
  }, 60_000);

  it('connectTimeoutSeconds ends an attempt on a host that never answers', async () => {
    const port = (silent.address() as { port: number }).port;
    const { pool, host } = fx.pool({ connectTimeoutSeconds: 1 }, port, { retry: { attempts: 1, baseDelayMs: 10 } });
    const err = await pool.get(host).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).message).toMatch(/timed out|timeout/i);
    // the default (10 s) would outlast this test's own limit: the 1 s from the inventory ended the attempt
  }, 8_000);
});
