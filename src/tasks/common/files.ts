/** Managed files: compare a host file with the rendered desired content, and write it when it differs. */
import type { Transport, WriteFileOptions } from '../../transport/types.js';
import { fileDiff } from '../../engine/diff.js';
import { fitsWriteStep, writeFileStep } from '../../transport/files.js';
import { action, commandAction, type Action } from './define.js';

export async function readText(t: Transport, path: string): Promise<string | null> {
  const buf = await t.readFile(path);
  return buf === null ? null : buf.toString('utf8');
}

export interface FileOptions extends WriteFileOptions {
  /** The content is secret (kubeconfig, token): the change carries no diff. */
  sensitive?: boolean;
}

/**
 * The action that makes `path` hold `desired`, or undefined when it already does.
 * The current content may be passed when the caller has read it already.
 */
export async function fileAction(
  t: Transport,
  path: string,
  desired: string,
  opts: FileOptions = {},
  current?: string | null,
): Promise<Action | undefined> {
  const now = current === undefined ? await readText(t, path) : current;
  if (now === desired) return undefined;
  const { sensitive, ...write } = opts;
  const verb = now === null ? 'create' : 'update';
  const how = { mode: write.mode ?? '0644', ...(write.owner ? { owner: write.owner } : {}) };
  const diff = sensitive ? undefined : fileDiff(path, now, desired);
  // A small text file anyone on the host may read is written by a command (a step: one round trip with the commands
  // next to it). A secret, a file kept from other users (its content would show in `ps` while the command runs) or a
  // large one goes through stdin on its own.
  const worldReadable = (Number.parseInt(how.mode, 8) & 0o004) !== 0;
  if (!sensitive && worldReadable && fitsWriteStep(desired))
    return commandAction(t, `${verb} ${path}`, [writeFileStep(path, desired, how)], diff === undefined ? {} : { diff });
  return action(`${verb} ${path}`, () => t.writeFile(path, desired, how), diff);
}
