/**
 * One bundle file from a host that holds a verified copy to a host that needs it, over the cluster network, so the
 * admin machine's uplink is not used. Stock nodes have no nc/socat; every supported cloud image has python3 (cloud-init
 * is a python3 program; dnf on Rocky too), so both ends are small python3 programs read from stdin (`python3 -`):
 *   - the holder listens on its internal address, on a port the admin machine picked, for one connection from the
 *     receiver's internal address only (others are closed unanswered), stops listening as soon as that connection is
 *     accepted, sends the file from the offset the receiver asks for, and exits; it gives up after WAIT_S without the
 *     peer, and the admin machine kills it (the transport kills the remote process tree on abort) when the receiver is
 *     done, so nothing listens after the transfer;
 *   - the receiver connects from its internal address (retrying while the holder starts), appends to FILE.part from
 *     the bytes it already has (resumable like the admin's upload, resumable-upload.ts), and fails when the stream
 *     ends short. The file then appears only once the whole .part matches the manifest's sha256 (finishPart).
 * Nothing secret travels: the bundle's files are public artifacts, and integrity comes from the sha256 check.
 */
import { randomInt } from 'node:crypto';
import { posix } from 'node:path';
import { sh } from '../../transport/command.js';
import type { ExecResult, Transport } from '../../transport/types.js';
import { finishPart } from './resumable-upload.js';

/** Seconds the holder waits for its one peer before giving up. */
export const WAIT_S = 30;
/** Seconds the receiver keeps trying to connect while the holder's listener starts (then: the admin machine). */
export const CONNECT_S = 10;
/** Ports tried for the one-shot listener: below Linux's ephemeral range (32768+) and Kubernetes' NodePorts (30000+). */
export const PEER_PORTS = { from: 20_000, to: 29_999 };
const BIND_FAILED = 98;

/** Both ends: imports, and reading one decimal number line (the offset asked for, the file's size). */
const COMMON_PY = `import os, socket, sys, time
def number_line(c, default):
    line = b''
    while not line.endswith(b'\\n') and len(line) < 32:
        b = c.recv(1)
        if not b:
            break
        line += b
    return int(line.strip() or default)
`;

const SERVER_PY = `${COMMON_PY}path, bind, peer, port, wait = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
fam = socket.AF_INET6 if ':' in bind else socket.AF_INET
want = socket.inet_pton(fam, peer)
s = socket.socket(fam, socket.SOCK_STREAM)
try:
    s.bind((bind, port))
except OSError as e:
    sys.stderr.write('bind %s:%d: %s\\n' % (bind, port, e)); sys.exit(${BIND_FAILED})
s.listen(4)
deadline = time.time() + wait
while True:
    left = deadline - time.time()
    if left <= 0:
        sys.stderr.write('no connection from %s within %ds\\n' % (peer, wait)); sys.exit(124)
    s.settimeout(left)
    try:
        c, addr = s.accept()
    except socket.timeout:
        continue
    if socket.inet_pton(fam, addr[0]) == want:
        break
    c.close()
s.close()
c.settimeout(60)
off = number_line(c, b'0')
with open(path, 'rb') as f:
    size = os.fstat(f.fileno()).st_size
    c.sendall(b'%d\\n' % size)
    if off < size:
        c.sendfile(f, off)
c.shutdown(socket.SHUT_WR)
c.close()
`;

const CLIENT_PY = `${COMMON_PY}part, host, port, bind, wait = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], float(sys.argv[5])
fam = socket.AF_INET6 if ':' in host else socket.AF_INET
have = os.path.getsize(part) if os.path.exists(part) else 0
deadline = time.time() + wait
while True:
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(10)
    try:
        s.bind((bind, 0)); s.connect((host, port)); break
    except OSError as e:
        s.close()
        if time.time() > deadline:
            sys.stderr.write('connect %s:%d: %s\\n' % (host, port, e)); sys.exit(111)
        time.sleep(0.2)
s.settimeout(60)
s.sendall(b'%d\\n' % have)
size = number_line(s, b'-1')
if size < 0:
    sys.stderr.write('%s:%d closed before the file\\n' % (host, port)); sys.exit(1)
got = have
with open(part, 'ab') as out:
    while True:
        b = s.recv(1 << 20)
        if not b:
            break
        out.write(b); got += len(b)
if got != size:
    sys.stderr.write('%s:%d sent %d of %d bytes\\n' % (host, port, got, size)); sys.exit(1)
`;

export interface PeerEnd {
  t: Transport;
  /** The host's cluster-network address (inventory internalAddress). */
  address: string;
}

export interface PeerCopyOptions {
  size: number;
  sha256: string;
  mode?: string;
  /** Listener ports to try when one is taken (default 3). */
  attempts?: number;
}

/** Copies `path` (the same path on both hosts) from `from` to `to`; throws when the peer fails (the caller falls back). */
export async function peerCopy(from: PeerEnd, to: PeerEnd, path: string, o: PeerCopyOptions): Promise<void> {
  const part = `${path}.part`;
  await to.t.exec(sh`mkdir -p -- ${posix.dirname(path)}`);
  const timeoutMs = Math.max(600_000, (o.size / 10e6) * 1000); // no slower than 10 MB/s on a cluster network
  let lastError = '';
  for (let i = 0; i < (o.attempts ?? 3); i++) {
    const port = randomInt(PEER_PORTS.from, PEER_PORTS.to + 1);
    const r = await oneAttempt(from, to, path, part, port, timeoutMs);
    if (r.ok) return finishPart(to.t, part, path, o.sha256, o.mode ?? '0644');
    lastError = r.error;
    if (!r.retry) break;
  }
  throw new Error(`peer copy of ${path} from ${from.t.host} to ${to.t.host} failed: ${lastError}`);
}

type Attempt = { ok: true } | { ok: false; retry: boolean; error: string };

async function oneAttempt(from: PeerEnd, to: PeerEnd, path: string, part: string, port: number, timeoutMs: number): Promise<Attempt> {
  const stopServer = new AbortController();
  const stopClient = new AbortController();
  const serve = from.t
    .exec(sh`python3 - ${path} ${from.address} ${to.address} ${port} ${WAIT_S}`, {
      stdin: SERVER_PY,
      allowFailure: true,
      timeoutMs,
      signal: stopServer.signal,
    })
    .then((r) => {
      // ended without serving (port taken, no python3, file gone, timeout): the receiver stops waiting for it
      if (r.code !== 0) stopClient.abort();
      return r;
    }, errorResult);
  const fetch = await to.t
    .exec(sh`python3 - ${part} ${from.address} ${port} ${to.address} ${CONNECT_S}`, {
      stdin: CLIENT_PY,
      allowFailure: true,
      timeoutMs,
      signal: stopClient.signal,
    })
    .catch(errorResult);
  stopServer.abort(); // the listener never outlives the transfer
  const served = await serve;
  if (served.code === BIND_FAILED) return { ok: false, retry: true, error: served.stderr.trim() };
  if (fetch.code === 0) return { ok: true };
  const why: string[] = [];
  // (a listener killed by our own abort, after the receiver ended, is no reason)
  if (served.code > 0) why.push(`the holder's listener exited ${served.code}${tail(served.stderr)}`);
  if (!stopClient.signal.aborted || !why.length) why.push(`the receiver exited ${fetch.code}${tail(fetch.stderr)}`);
  return { ok: false, retry: false, error: why.join('; ') };
}

/** The last line of a program's stderr, for a one-line reason. */
const tail = (stderr: string) => {
  const last = stderr.trim().split('\n').pop();
  return last ? `: ${last}` : '';
};

function errorResult(e: unknown): ExecResult {
  return { code: -1, stdout: '', stderr: e instanceof Error ? e.message : String(e), durationMs: 0 };
}
