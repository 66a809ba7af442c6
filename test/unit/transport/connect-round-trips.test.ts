/**
 * Connecting costs round trips (issue #16: 50 hosts at 100 ms RTT), shown on a real ssh2 server on loopback:
 * - the client skips ssh2's opening `none` authentication request, which only asks the server for its methods;
 * - a connection's first command does not wait for the connection's keeper (wrapper.ts) to report it runs.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authOrder, connectWithRetry, type ConnectSpec } from '../../../src/transport/connect.js';
import { SshTransport } from '../../../src/transport/ssh.js';
import { KEEPER_READY } from '../../../src/transport/wrapper.js';

/** The part of ssh2 (which ships no types) this test uses: a server on loopback and key generation. */
interface ExecStream {
  write(data: string): void;
  exit(code: number): void;
  end(): void;
}
interface Session {
  on(event: 'exec', cb: (accept: () => ExecStream, reject: () => void, info: { command: string }) => void): void;
}
interface Client {
  on(event: 'authentication', cb: (ctx: AuthContext) => void): Client;
  on(event: 'ready', cb: () => void): Client;
  on(event: 'session', cb: (accept: () => Session) => void): Client;
  on(event: 'error', cb: () => void): Client;
}
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
  Server: new (opts: { hostKeys: string[] }, onClient: (conn: Client) => void) => Ssh2Server;
  utils: { generateKeyPairSync(type: 'ed25519'): { private: string; public: string } };
}
const { Server, utils } = createRequire(import.meta.url)('ssh2') as Ssh2;

const clientKey = utils.generateKeyPairSync('ed25519');

/** An ssh2 server on a loopback port for the tests of one describe block. */
function loopbackServer(onClient: (conn: Client) => void): { port: () => number } {
  let server: Ssh2Server;
  let port = 0;
  beforeAll(async () => {
    server = new Server({ hostKeys: [utils.generateKeyPairSync('ed25519').private] }, onClient);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    port = server.address().port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: () => port };
}

/** How the product connects to it: the client key, a fresh known_hosts that accepts the new host key. */
function spec(port: number): ConnectSpec {
  const dir = mkdtempSync(join(tmpdir(), 'ks-ssh-'));
  return {
    name: 'h1',
    address: '127.0.0.1',
    port,
    user: 'root',
    privateKey: clientKey.private,
    hostKey: { host: '127.0.0.1', port, knownHostsPath: join(dir, 'known_hosts'), policy: 'accept-new' },
    connectTimeoutMs: 10_000,
    retry: { attempts: 1, baseDelayMs: 10 },
  };
}

describe('SSH authentication round trips', () => {
  const methods: string[] = [];
  const server = loopbackServer((conn) => {
    conn.on('authentication', (ctx) => {
      methods.push(ctx.method);
      if (ctx.method !== 'publickey') return ctx.reject(['publickey']);
      return ctx.accept(); // query and signed request alike: this test counts requests, not signatures
    });
    conn.on('error', () => undefined);
  });

  it('opens with the key, never with a `none` request', async () => {
    const ssh = await connectWithRetry(spec(server.port()));
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

describe('a connection keeper that has not started yet', () => {
  const commands: string[] = [];
  // Runs every command at once (prints "hi"), but the keeper's channel never says it is ready.
  const server = loopbackServer((conn) => {
    conn
      .on('authentication', (ctx) => ctx.accept())
      .on('ready', () =>
        conn.on('session', (accept) =>
          accept().on('exec', (acceptExec, _reject, info) => {
            const stream = acceptExec();
            commands.push(info.command);
            if (info.command.includes(KEEPER_READY)) return; // the keeper: silent, never exits
            stream.write('hi\n');
            stream.exit(0);
            stream.end();
          }),
        ),
      )
      .on('error', () => undefined);
  });

  it('does not hold back the first command: it runs, registered with the keeper-to-be', async () => {
    const t = new SshTransport({ host: 'h1', connect: spec(server.port()), sudo: 'auto', maxChannels: 10, defaultTimeoutMs: 10_000 });
    try {
      const r = await t.exec(['echo', 'hi']);
      expect(r.stdout).toBe('hi\n');
      const keeper = commands.find((c) => c.includes(KEEPER_READY));
      const registry = /mkdir -m 700 '?(\/tmp\/\.kubesmith-keeper-[0-9a-f]+)/.exec(keeper ?? '')?.[1];
      expect(registry).toBeDefined();
      expect(commands.at(-1)).toContain(`mkdir -m 700 ${registry}`); // the command makes the registry if it comes first
    } finally {
      await t.close();
    }
  });
});
