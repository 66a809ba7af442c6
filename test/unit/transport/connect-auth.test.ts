/**
 * Connecting costs round trips (issue #16: 50 hosts at 100 ms RTT): the client skips ssh2's opening `none`
 * authentication request, which only asks the server for its methods. Counted on a real ssh2 server on loopback.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authOrder, connectWithRetry } from '../../../src/transport/connect.js';

/** The part of ssh2 (which ships no types) this test uses: a server on loopback and key generation. */
interface AuthContext {
  method: string;
  accept(): void;
  reject(methods: string[]): void;
}
interface Ssh2Server {
  listen(port: number, host: string, cb: () => void): void;
  address(): { port: number };
  close(cb: () => void): void;
}
interface Ssh2 {
  Server: new (
    opts: { hostKeys: string[] },
    onClient: (conn: {
      on(event: 'authentication', cb: (ctx: AuthContext) => void): void;
      on(event: 'error', cb: () => void): void;
    }) => void,
  ) => Ssh2Server;
  utils: { generateKeyPairSync(type: 'ed25519'): { private: string; public: string } };
}
const { Server, utils } = createRequire(import.meta.url)('ssh2') as Ssh2;

describe('SSH authentication round trips', () => {
  const hostKey = utils.generateKeyPairSync('ed25519');
  const client = utils.generateKeyPairSync('ed25519');
  const methods: string[] = [];
  let server: Ssh2Server;
  let port = 0;

  beforeAll(async () => {
    server = new Server({ hostKeys: [hostKey.private] }, (conn) => {
      conn.on('authentication', (ctx) => {
        methods.push(ctx.method);
        if (ctx.method !== 'publickey') return ctx.reject(['publickey']);
        return ctx.accept(); // query and signed request alike: this test counts requests, not signatures
      });
      conn.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    port = server.address().port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('opens with the key, never with a `none` request', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-auth-'));
    const ssh = await connectWithRetry({
      name: 'h1',
      address: '127.0.0.1',
      port,
      user: 'root',
      privateKey: client.private,
      hostKey: { host: '127.0.0.1', port, knownHostsPath: join(dir, 'known_hosts'), policy: 'accept-new' },
      connectTimeoutMs: 10_000,
      retry: { attempts: 1, baseDelayMs: 10 },
    });
    ssh.dispose();
    expect(methods[0]).toBe('publickey');
    expect(methods).not.toContain('none');
  });

  it('tries each credential it holds in ssh2 order, and `none` only when it holds none', () => {
    expect(authOrder({ privateKey: 'k', agent: '/run/agent.sock', password: 'p' })).toEqual([
      'password',
      'publickey',
      'agent',
      'keyboard-interactive',
    ]);
    expect(authOrder({ agent: '/run/agent.sock' })).toEqual(['agent']);
    expect(authOrder({})).toEqual(['none']);
  });
});
