import type { Host } from '../model/host.js';
import type { Transport } from '../transport/types.js';

/** A transport that connects on first use (so ctx.transportFor(otherHost) can be synchronous). */
export function lazyTransport(host: Host, connect: (host: Host) => Promise<Transport>): Transport {
  let pending: Promise<Transport> | undefined;
  const get = () =>
    (pending ??= connect(host).catch((err: unknown) => {
      pending = undefined; // let a later call try again
      throw err;
    }));
  return {
    host: host.name,
    exec: async (cmd, opts) => (await get()).exec(cmd, opts),
    writeFile: async (path, content, opts) => (await get()).writeFile(path, content, opts),
    readFile: async (path) => (await get()).readFile(path),
    upload: async (local, remote, opts) => (await get()).upload(local, remote, opts),
    close: async () => {
      // the pool owns connections
    },
  };
}

/** Thrown when a task tries to write during a dry run: a bug in the task's check(). */
export class DryRunWriteError extends Error {
  constructor(host: string, what: string) {
    super(`${host}: refusing to ${what} during plan (check() must be read-only)`);
    this.name = 'DryRunWriteError';
  }
}

/**
 * The transport tasks get in a dry run: reads and commands pass, file writes and uploads are refused.
 * (Commands cannot be told apart; check() must only run read-only commands — the runner never calls apply().)
 */
export function readOnlyTransport(inner: Transport): Transport {
  return {
    host: inner.host,
    exec: (cmd, opts) => inner.exec(cmd, opts),
    readFile: (path) => inner.readFile(path),
    writeFile: async (path) => {
      throw new DryRunWriteError(inner.host, `write ${path}`);
    },
    upload: async (_local, remote) => {
      throw new DryRunWriteError(inner.host, `upload ${remote}`);
    },
    close: () => inner.close(),
  };
}

/**
 * The task's own transport carries the task's abort signal to every command that does not pass one, so a task
 * timeout (--timeout) kills the remote command too instead of leaving it running on the host.
 */
export function abortableTransport(inner: Transport, signal: AbortSignal): Transport {
  return {
    host: inner.host,
    exec: (cmd, opts) => inner.exec(cmd, opts?.signal ? opts : { ...opts, signal }),
    readFile: (path) => inner.readFile(path),
    writeFile: (path, content, opts) => inner.writeFile(path, content, opts),
    upload: (local, remote, opts) => inner.upload(local, remote, opts),
    close: () => inner.close(),
  };
}
