/**
 * The WAN proxy on loopback (no root needed): what it adds is a property of the proxy, so only lower bounds are
 * asserted (a busy machine may only make things slower), plus that every byte arrives, in order, with half-closes.
 */
import { randomBytes } from 'node:crypto';
import { type AddressInfo, type Server, type Socket, connect, createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type LinkSpec, parseRate, parseRtt, startProxy } from './wan-proxy.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

async function listen(handler: (s: Socket) => void): Promise<number> {
  const server = createServer({ allowHalfOpen: true }, handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

async function proxyTo(port: number, link: LinkSpec): Promise<number> {
  const proxy = await startProxy({ host: '127.0.0.1', port: 0 }, { host: '127.0.0.1', port }, link);
  servers.push(proxy);
  return (proxy.address() as AddressInfo).port;
}

const nextData = (s: Socket) => new Promise<Buffer>((r) => s.once('data', r));

describe('wan-proxy', () => {
  it('charges the handshake: the server greeting arrives no earlier than 2 RTT after connect', async () => {
    const target = await listen((s) => s.end('SSH-2.0-test\r\n'));
    const port = await proxyTo(target, { rttMs: 150, rateBps: 0 });
    const t0 = performance.now();
    const client = connect(port, '127.0.0.1');
    const greeting = await nextData(client);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(2 * 150 - 1);
    expect(greeting.toString()).toBe('SSH-2.0-test\r\n');
    client.destroy();
  });

  it('makes each request/response round trip on an open connection cost at least the RTT', async () => {
    const target = await listen((s) => s.pipe(s)); // echo
    const port = await proxyTo(target, { rttMs: 120, rateBps: 0 });
    const client = connect(port, '127.0.0.1');
    client.write('warm-up');
    await nextData(client);
    for (const msg of ['one', 'two', 'three']) {
      const t0 = performance.now();
      client.write(msg);
      expect((await nextData(client)).toString()).toBe(msg);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(120 - 1);
    }
    client.destroy();
  });

  it('caps a transfer at the rate and delivers every byte in order, then the half-close', async () => {
    const payload = randomBytes(256 * 1024);
    const received: Buffer[] = [];
    let endedAt = 0;
    const target = await listen((s) => {
      s.on('data', (c: Buffer) => received.push(c));
      s.on('end', () => {
        endedAt = performance.now();
        s.end('thanks'); // the reply still travels back after the client's half-close
      });
    });
    const port = await proxyTo(target, { rttMs: 20, rateBps: 2_000_000 });
    const client = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    await new Promise((r) => client.once('connect', r));
    const t0 = performance.now();
    client.end(payload);
    let reply = '';
    client.on('data', (c: Buffer) => (reply += c.toString()));
    await new Promise((r) => client.on('end', r));
    const floorMs = ((payload.length * 8) / 2_000_000) * 1000; // 1049 ms at 2 Mbit/s
    expect(endedAt - t0).toBeGreaterThanOrEqual(floorMs);
    expect(Buffer.concat(received).equals(payload)).toBe(true);
    expect(reply).toBe('thanks');
  });

  it('closes the client connection when the target cannot be reached', async () => {
    const target = await listen(() => {});
    await new Promise((r) => servers.pop()!.close(r)); // nothing listens there any more
    const port = await proxyTo(target, { rttMs: 10, rateBps: 0 });
    const client = connect(port, '127.0.0.1');
    client.on('error', () => {});
    await new Promise((r) => client.on('close', r));
    expect(client.destroyed).toBe(true);
  });

  it('reads durations and rates the way tc spells them', () => {
    expect(parseRtt('100ms')).toBe(100);
    expect(parseRtt('0.15s')).toBe(150);
    expect(parseRtt('50')).toBe(50);
    expect(parseRate('100mbit')).toBe(100e6);
    expect(parseRate('10kbit')).toBe(10e3);
    expect(parseRate('1gbit')).toBe(1e9);
    expect(parseRate('12mbps')).toBe(96e6);
    expect(() => parseRtt('fast')).toThrow(/--rtt/);
    expect(() => parseRate('100 furlongs')).toThrow(/--rate/);
    expect(() => parseRate('10bit')).toThrow(/too slow/);
  });
});
