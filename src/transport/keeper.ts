/**
 * The admin side of a connection's keeper (see keeperCommand in wrapper.ts): open its channel, wait until it runs,
 * and feed it heartbeats until the transport closes or the connection dies.
 */
import { randomBytes } from 'node:crypto';
import type { ExecChannel, ExecClient } from './channel.js';
import { KEEPER_HEARTBEAT_MS, KEEPER_READY, keeperCommand, type Elevation } from './wrapper.js';

/** A fresh registry directory name for a connection's keeper (random: nobody can make it in advance). */
export function keeperRegistryName(): string {
  return `/tmp/.kubesmith-keeper-${randomBytes(12).toString('hex')}`;
}

/**
 * Start the keeper on its own channel (see keeperCommand) and send its heartbeats. Resolves with the registry
 * directory once the keeper reports it is ready, or undefined when it cannot run (commands then run unguarded).
 */
export function startKeeper(
  client: ExecClient,
  elevation: Elevation,
  onStop: (stop: () => void) => void,
  onClose: () => void,
  registry = keeperRegistryName(),
): Promise<string | undefined> {
  const keeper = keeperCommand(registry, elevation);
  return new Promise((resolve) => {
    let beat: NodeJS.Timeout | undefined;
    const give = setTimeout(() => resolve(undefined), 30_000);
    const stop = () => {
      clearInterval(beat);
      clearTimeout(give);
      resolve(undefined);
    };
    onStop(stop);
    try {
      client.exec(keeper.text, {}, (err: Error | undefined, chan: ExecChannel) => {
        if (err) return stop();
        let out = '';
        chan.on('error', () => undefined);
        chan.stderr.on('data', () => undefined);
        chan.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes(KEEPER_READY)) {
            clearTimeout(give);
            resolve(registry);
          }
        });
        chan.on('close', () => {
          stop();
          onClose();
        });
        const write = (text: string) => {
          try {
            chan.write(text);
          } catch {
            /* the channel is gone: 'close' follows */
          }
        };
        if (keeper.preamble) write(keeper.preamble);
        beat = setInterval(() => write('\n'), KEEPER_HEARTBEAT_MS);
        beat.unref();
        onStop(() => {
          stop();
          try {
            chan.end();
          } catch {
            /* gone */
          }
        });
      });
    } catch {
      stop();
    }
  });
}
