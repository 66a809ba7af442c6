/**
 * The WAN lab's link emulation in user space (this kernel has no netem): a TCP proxy that a lab host runs on
 * LAB_IP:22 in front of its sshd (which then listens on 127.0.0.1:22 only), so a product connects exactly as before
 * but every byte crosses a slow, distant link:
 *   - each direction is delayed by rtt/2 (so a request/response round trip costs at least one RTT);
 *   - the TCP handshake is charged as on a real link: client data reaches sshd no earlier than 1.5 RTT after the
 *     connect, the server's first bytes reach the client no earlier than 2 RTT after it;
 *   - each direction is serialized at `rate` bits per second (a token bucket holding one chunk: no burst), per
 *     connection's host, so a transfer of B bytes takes at least B × 8 / rate seconds.
 * Order is kept (one FIFO per direction), memory is bounded (the source is paused while more than twice the
 * bandwidth-delay product, at least 1 MiB, waits), and half-closes travel with the same delay as data.
 *
 *   node wan-proxy.js LISTEN_HOST:PORT TARGET_HOST:PORT RTT_MS RATE_BPS   (RATE_BPS 0 = unlimited)
 */
import { type Server, type Socket, connect, createServer } from 'node:net';

export interface LinkSpec {
  /** Round-trip time added by the link, in milliseconds (each direction gets half). */
  rttMs: number;
  /** Bits per second each direction carries; 0 = unlimited. */
  rateBps: number;
}

/** "100ms", "0.1s", "100" (ms) → milliseconds. */
export function parseRtt(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(text.trim());
  if (!m) throw new Error(`--rtt: expected a duration like 100ms or 0.15s, got ${JSON.stringify(text)}`);
  return Number(m[1]) * (m[2] === 's' ? 1000 : 1);
}

const RATE_UNITS: Record<string, number> = { '': 1, bit: 1, kbit: 1e3, mbit: 1e6, gbit: 1e9, bps: 8, kbps: 8e3, mbps: 8e6 };

/** tc's spellings: "100mbit", "10kbit", "1gbit", "500000" (bit/s), "12mbps" (bytes/s) → bits per second. */
export function parseRate(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([a-z]*)$/i.exec(text.trim());
  const unit = m ? RATE_UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new Error(`--rate: expected a rate like 100mbit, 10kbit or 1gbit, got ${JSON.stringify(text)}`);
  const bps = Number(m[1]) * unit;
  if (bps < 8000) throw new Error(`--rate: ${text} is below 8kbit (1 kB/s), too slow to be useful`);
  return bps;
}

type Item = { at: number; chunk: Buffer | null };

/**
 * Carries src's bytes to dst as a link would: each chunk leaves when the link is free (serialization at `rateBps`),
 * then arrives `delayMs` later. `startAt`: the link is busy until then (the handshake).
 */
export function pump(src: Socket, dst: Socket, link: LinkSpec, delayMs: number, startAt: number): void {
  const bytesPerMs = link.rateBps / 8 / 1000;
  const high = Math.max(1 << 20, 2 * bytesPerMs * link.rttMs);
  const queue: Item[] = [];
  let free = startAt;
  let queued = 0;
  let timer: NodeJS.Timeout | undefined;
  let blocked = false;
  const enqueue = (chunk: Buffer | null) => {
    const now = performance.now();
    free = Math.max(free, now) + (chunk && bytesPerMs ? chunk.length / bytesPerMs : 0);
    queue.push({ at: free + delayMs, chunk });
    if (chunk) queued += chunk.length;
    if (queued > high) src.pause();
    deliver();
  };
  const deliver = () => {
    if (timer || blocked) return;
    while (queue.length) {
      const wait = queue[0]!.at - performance.now();
      if (wait > 0) {
        timer = setTimeout(() => {
          timer = undefined;
          deliver();
        }, Math.ceil(wait));
        return;
      }
      const { chunk } = queue.shift()!;
      if (!chunk) {
        dst.end();
        continue;
      }
      queued -= chunk.length;
      if (queued <= high / 2 && src.isPaused()) src.resume();
      if (!dst.write(chunk)) {
        blocked = true;
        dst.once('drain', () => {
          blocked = false;
          deliver();
        });
        return;
      }
    }
  };
  src.on('data', (c: Buffer) => enqueue(c));
  src.on('end', () => enqueue(null));
  src.on('close', () => {
    // an abrupt end (reset) is passed on at once; an orderly one waits for its queued bytes (the 'end' above)
    if (!src.readableEnded) dst.destroy();
  });
}

/** Accepts on `listen`, and for each connection opens one to `target` and joins them through two delayed links. */
export function startProxy(
  listen: { host: string; port: number },
  target: { host: string; port: number },
  link: LinkSpec,
): Promise<Server> {
  const server = createServer({ noDelay: true, allowHalfOpen: true }, (client) => {
    const t0 = performance.now();
    const upstream = connect({ host: target.host, port: target.port, noDelay: true, allowHalfOpen: true });
    const fail = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', fail);
    upstream.on('error', fail);
    pump(client, upstream, link, link.rttMs / 2, t0 + link.rttMs);
    pump(upstream, client, link, link.rttMs / 2, t0 + 1.5 * link.rttMs);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve(server));
  });
}

function hostPort(text: string | undefined): { host: string; port: number } {
  const m = /^(.+):(\d+)$/.exec(text ?? '');
  if (!m) throw new Error(`wan-proxy: expected HOST:PORT, got ${JSON.stringify(text)}`);
  return { host: m[1]!, port: Number(m[2]) };
}

if (process.argv[1]?.endsWith('wan-proxy.js')) {
  const [listen, target, rtt, rate] = process.argv.slice(2);
  startProxy(hostPort(listen), hostPort(target), { rttMs: Number(rtt), rateBps: Number(rate ?? 0) }).then(
    () => process.stdout.write(`wan-proxy: ${listen} -> ${target}, rtt ${rtt} ms, rate ${rate ?? 0} bit/s\n`),
    (e: Error) => {
      process.stderr.write(`wan-proxy: ${e.message}\n`);
      process.exit(1);
    },
  );
}
