/**
 * One command on one SSH channel (ssh2 `exec`), binary-safe and untrimmed.
 * The remote wrapper prints `@@KS:<pid>` as the first stderr line (the login shell's PID, which then `exec`s
 * the real command), so a timeout or an abort can kill the whole remote process tree — closing a channel alone
 * leaves processes such as `sleep` running on the host.
 */
import type { Readable } from 'node:stream';

export const PID_MARKER = '@@KS:';

/** Minimal view of ssh2's Client/ClientChannel that we use (ssh2 ships no types here). */
export interface ExecChannel {
  stderr: NodeJS.EventEmitter;
  on(event: string, listener: (...args: never[]) => void): this;
  write(data: Buffer | string): boolean;
  end(data?: Buffer | string): void;
  close(): void;
  signal(name: string): void;
}
export interface ExecClient {
  exec(cmd: string, opts: object, cb: (err: Error | undefined, chan: ExecChannel) => void): void;
}

export interface ChannelRun {
  /** Text for the remote login shell (already wrapped, see wrapper.ts). */
  text: string;
  /** Written to stdin before `stdin` (e.g. the sudo password line). Never logged. */
  preamble?: string;
  stdin?: string | Buffer | Readable;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Kill the remote process tree rooted at pid (runs on another channel). */
  kill: (pid: number) => Promise<void>;
}

export interface ChannelResult {
  code: number;
  stdout: Buffer;
  stderr: Buffer;
  timedOut: boolean;
  aborted: boolean;
  /** The channel closed without an exit status (connection lost, sshd killed). */
  lost: boolean;
}

/**
 * sshd frees a session slot a moment after the channel closes, so a new channel opened right away can hit
 * MaxSessions even when we stay below it: retry quickly a few times (about 2.5 s in all).
 */
const OPEN_RETRIES = 9;

/** The exit status, captured from the moment the channel exists. */
interface ExitStatus {
  code: number | null;
}

/**
 * Opens the channel and attaches the exit listener synchronously, inside ssh2's callback: for a fast command the
 * exec reply, its output, `exit-status` and the close arrive in one packet batch that ssh2 parses in one go, so a
 * listener attached after an `await` would miss the `exit` event (output survives, being buffered by the stream).
 */
async function openChannel(client: ExecClient, text: string): Promise<{ chan: ExecChannel; exit: ExitStatus }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await new Promise<{ chan: ExecChannel; exit: ExitStatus }>((resolve, reject) => {
        try {
          client.exec(text, {}, (err, chan) => {
            if (err) return reject(err);
            const exit: ExitStatus = { code: null };
            chan.on('exit', (c: number | null, signalName?: string) => {
              exit.code = c ?? (signalName ? 128 + (SIGNALS[signalName] ?? 0) : null);
            });
            resolve({ chan, exit });
          });
        } catch (err) {
          reject(err as Error);
        }
      });
    } catch (err) {
      const transient = /Channel open failure/.test((err as Error).message);
      if (!transient || attempt >= OPEN_RETRIES) throw err;
      await new Promise((r) => setTimeout(r, 5 * 2 ** attempt + Math.random() * 10));
    }
  }
}

/** Splits the `@@KS:<pid>` line off the front of stderr. */
class StderrSplitter {
  pid: number | undefined;
  #head: Buffer[] = [];
  #headLen = 0;
  #done = false;
  readonly chunks: Buffer[] = [];

  push(chunk: Buffer): void {
    if (this.#done) return void this.chunks.push(chunk);
    this.#head.push(chunk);
    this.#headLen += chunk.length;
    const head = Buffer.concat(this.#head);
    const text = head.toString('latin1');
    const at = text.indexOf(PID_MARKER);
    const nl = at >= 0 ? text.indexOf('\n', at) : -1;
    if (at >= 0 && nl >= 0) {
      this.pid = Number(text.slice(at + PID_MARKER.length, nl));
      this.chunks.push(head.subarray(0, at), head.subarray(nl + 1));
      this.#done = true;
    } else if (this.#headLen > 4096) {
      this.flush();
    }
  }

  flush(): void {
    if (this.#done) return;
    this.chunks.push(...this.#head);
    this.#done = true;
  }
}

export async function runOnChannel(client: ExecClient, run: ChannelRun): Promise<ChannelResult> {
  const { chan, exit } = await openChannel(client, run.text);
  const stdout: Buffer[] = [];
  const stderr = new StderrSplitter();
  let timedOut = false;
  let aborted = false;
  const input = run.stdin;

  return new Promise<ChannelResult>((resolve, reject) => {
    let settled = false;
    let stopTimer: NodeJS.Timeout | undefined;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(stopTimer);
      run.signal?.removeEventListener('abort', onAbort);
      stderr.flush();
      if (input !== undefined && typeof input !== 'string' && !Buffer.isBuffer(input)) {
        input.unpipe();
        input.destroy(); // the command may exit before reading all its input
      }
      if (err) return reject(err);
      const code = exit.code;
      const lost = code === null && !timedOut && !aborted;
      resolve({
        code: code ?? (timedOut ? 124 : aborted ? 130 : 255),
        stdout: Buffer.concat(stdout),
        stderr: Buffer.concat(stderr.chunks),
        timedOut,
        aborted,
        lost,
      });
    };
    const stop = () => {
      const pid = stderr.pid;
      const killed = pid ? run.kill(pid).catch(() => undefined) : Promise.resolve();
      void killed.then(() => {
        try {
          chan.signal('KILL');
          chan.close();
        } catch {
          /* channel already gone */
        }
      });
      stopTimer = setTimeout(() => finish(), 5_000); // never hang on a dead connection or a failed kill
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, run.timeoutMs);
    const onAbort = () => {
      aborted = true;
      clearTimeout(timer);
      stop();
    };
    if (run.signal?.aborted) onAbort();
    else run.signal?.addEventListener('abort', onAbort, { once: true });

    chan.on('data', (d: Buffer) => stdout.push(d));
    chan.stderr.on('data', (d: Buffer) => stderr.push(d));
    chan.on('error', () => undefined); // writes after the remote side closed; the exit status tells the story
    chan.on('close', () => finish());

    if (run.preamble) chan.write(run.preamble);
    if (input === undefined || typeof input === 'string' || Buffer.isBuffer(input)) {
      chan.end(input === undefined ? undefined : input);
    } else {
      input.on('error', (err) => {
        try {
          chan.close();
        } catch {
          /* ignore */
        }
        finish(err);
      });
      input.pipe(chan as unknown as NodeJS.WritableStream);
    }
  });
}

const SIGNALS: Record<string, number> = { HUP: 1, INT: 2, QUIT: 3, ABRT: 6, KILL: 9, SEGV: 11, PIPE: 13, TERM: 15 };
