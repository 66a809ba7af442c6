/**
 * ssh2 parses a whole packet batch synchronously: for a fast command the exec reply, the output, `exit-status`
 * and the close can all arrive together, so `exit` is emitted in the same tick as the exec callback. The exit
 * code must still be seen (it once was lost: reported as 255 "connection lost" although the command had run).
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runOnChannel, type ExecChannel, type ExecClient } from '../../../src/transport/channel.js';

/** Like ssh2's channel: a stream (output is buffered until read) that also emits `exit`. */
class FakeChannel extends PassThrough implements ExecChannel {
  stderr = new PassThrough();
  override end(): this {
    return this;
  }
  close(): void {}
  signal(): void {}
}

/** A client whose channel reports output, exit and close in the very tick the exec callback runs. */
function burstClient(code: number, out: string): ExecClient {
  return {
    exec(_cmd, _opts, cb) {
      const chan = new FakeChannel();
      cb(undefined, chan);
      chan.push(Buffer.from(out));
      chan.emit('exit', code);
      setImmediate(() => chan.emit('close'));
    },
  };
}

describe('runOnChannel', () => {
  it.each([0, 1, 7])('keeps exit code %i emitted in the same tick as the exec callback', async (code) => {
    const r = await runOnChannel(burstClient(code, 'hello\n'), { text: 'x', timeoutMs: 5_000, kill: async () => {} });
    expect(r.lost).toBe(false);
    expect(r.code).toBe(code);
    expect(r.stdout.toString()).toBe('hello\n');
  });

  it('reports a channel that closes without an exit status as lost', async () => {
    const client: ExecClient = {
      exec(_cmd, _opts, cb) {
        const chan = new FakeChannel();
        cb(undefined, chan);
        setImmediate(() => chan.emit('close'));
      },
    };
    const r = await runOnChannel(client, { text: 'x', timeoutMs: 5_000, kill: async () => {} });
    expect(r.lost).toBe(true);
    expect(r.code).toBe(255);
  });
});
