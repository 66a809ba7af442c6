/**
 * File operations over any command runner, streamed through stdin so they work under sudo:
 * atomic writes (temp file in the same directory, mode and owner set, then rename), reads that tell
 * "missing" from "not allowed", and uploads that skip when the remote sha256 already matches.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { raw, sh, type Command, type ShellScript } from './command.js';
import { CommandError, type UploadResult, type WriteFileOptions } from './types.js';

export interface RawRunner {
  readonly host: string;
  /** Whether commands run as root (root login or sudo). */
  elevated(): Promise<boolean>;
  run(
    cmd: Command,
    opts?: { stdin?: string | Buffer | Readable; allowFailure?: boolean; quietStdout?: boolean; timeoutMs?: number; label?: string },
  ): Promise<{ code: number; stdout: Buffer; stderr: string }>;
}

const MODE = /^[0-7]{3,4}$/;
const OWNER = /^[A-Za-z0-9_][A-Za-z0-9_.-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?$/;

/**
 * The mode and owner a file must have. `owner` is left out when a file we create has it already (root:root written
 * as root or through sudo, the usual case: no chown, one process less per write); `desiredOwner` is always set when
 * elevated, to fix a file that exists already.
 */
async function modeAndOwner(
  runner: RawRunner,
  opts: WriteFileOptions = {},
): Promise<{ mode: string; owner?: string; desiredOwner?: string }> {
  const mode = opts.mode ?? '0644';
  if (!MODE.test(mode)) throw new Error(`${runner.host}: invalid file mode ${JSON.stringify(mode)} (expected octal such as 0644)`);
  const elevated = await runner.elevated();
  const owner = opts.owner ?? (elevated ? 'root:root' : undefined);
  if (owner !== undefined && !OWNER.test(owner))
    throw new Error(`${runner.host}: invalid owner ${JSON.stringify(owner)} (expected user[:group])`);
  if (owner === undefined) return { mode };
  return elevated && owner === 'root:root' ? { mode, desiredOwner: owner } : { mode, owner, desiredOwner: owner };
}

/**
 * chmod/chown of "$tmp" then rename over the target; `verify` runs between (e.g. a checksum check). The content comes
 * from stdin, or from `fill` (a command writing "$tmp").
 */
function atomicWriteScript(path: string, mode: string, owner: string | undefined, verify?: ShellScript, fill?: ShellScript): ShellScript {
  if (!path || path.endsWith('/')) throw new Error(`invalid file path ${JSON.stringify(path)}`);
  const dir = posix.dirname(path);
  const template = `${dir}/.${posix.basename(path)}.ks-XXXXXX`;
  const chown = owner ? sh`chown ${owner} "$tmp"` : raw('true');
  return sh`set -e
[ -d ${dir} ] || mkdir -p -- ${dir}
umask 077
tmp=$(mktemp ${template})
trap 'rm -f -- "$tmp"' EXIT
${fill ?? raw('cat > "$tmp"')}
${verify ?? raw('true')}
chmod ${mode} "$tmp"
${chown}
mv -f -- "$tmp" ${path}
trap - EXIT`;
}

/** A file write as a command of its own (no stdin), so it can be a step (steps.ts); the transport's writeFile replayed by tests. */
export interface WriteStep extends ShellScript {
  readonly write: { readonly path: string; readonly content: string; readonly mode: string; readonly owner?: string };
}

/**
 * Text files up to this size (quoted) can be written as a step: the content travels in the command, one shell word,
 * and the whole script is one argument of `sh -c` on the host (at most 128 KiB: Linux MAX_ARG_STRLEN).
 */
export const WRITE_STEP_MAX_BYTES = 24 * 1024;

/** Whether `content` can be written as a step (writeFileStep accepts it). */
export function fitsWriteStep(content: string): boolean {
  return !content.includes('\0') && Buffer.byteLength(sh`${content}`.text) + 32 <= WRITE_STEP_MAX_BYTES;
}

export function isWriteStep(cmd: Command): cmd is WriteStep {
  return !Array.isArray(cmd) && typeof (cmd as Partial<WriteStep>).write === 'object';
}

/**
 * The atomic write of a text file as one command: the content is one quoted word (command.ts) printed into the temp
 * file, the log shows only the path, mode and size. Written as root (root login or sudo) the file is root's; another
 * owner is set with chown, as writeFile does.
 */
export function writeFileStep(path: string, content: string, opts: WriteFileOptions = {}): WriteStep {
  const mode = opts.mode ?? '0644';
  if (!MODE.test(mode)) throw new Error(`invalid file mode ${JSON.stringify(mode)} (expected octal such as 0644)`);
  if (opts.owner !== undefined && !OWNER.test(opts.owner))
    throw new Error(`invalid owner ${JSON.stringify(opts.owner)} (expected user[:group])`);
  const fill = sh`printf '%s' ${content} > "$tmp"`;
  if (content.includes('\0') || Buffer.byteLength(fill.text) > WRITE_STEP_MAX_BYTES)
    throw new Error(`${path}: only text files up to ${WRITE_STEP_MAX_BYTES} bytes (quoted) are written as a step`);
  const owner = opts.owner && opts.owner !== 'root:root' ? opts.owner : undefined;
  const script = atomicWriteScript(path, mode, owner, undefined, fill);
  const display = `write ${path} (mode ${mode}${owner ? `, owner ${owner}` : ''}, ${Buffer.byteLength(content)} bytes)`;
  return { ...script, display, write: { path, content, mode, ...(opts.owner ? { owner: opts.owner } : {}) } };
}

function withDiskHint(err: unknown): never {
  if (err instanceof CommandError && /No space left on device|Disk quota exceeded/.test(err.stderr)) {
    throw new CommandError(
      err.host,
      err.command,
      err.code,
      err.stdout,
      err.stderr,
      'the target filesystem is full; nothing was written at the final path',
    );
  }
  throw err;
}

export async function writeRemoteFile(runner: RawRunner, path: string, content: string | Buffer, opts?: WriteFileOptions): Promise<void> {
  const { mode, owner, desiredOwner } = await modeAndOwner(runner, opts);
  const label = `write ${path} (mode ${mode}${desiredOwner ? `, owner ${desiredOwner}` : ''})`;
  await runner.run(atomicWriteScript(path, mode, owner), { stdin: content, label }).catch(withDiskHint);
}

/** The file's bytes, or null when it does not exist (a permission problem throws). */
export async function readRemoteFile(runner: RawRunner, path: string): Promise<Buffer | null> {
  const r = await runner.run(sh`LC_ALL=C cat -- ${path}`, { allowFailure: true, quietStdout: true });
  if (r.code === 0) return r.stdout;
  if (/No such file or directory|Not a directory/.test(r.stderr)) return null;
  throw new CommandError(runner.host, `cat -- ${path}`, r.code, '', r.stderr);
}

export async function sha256File(localPath: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(localPath)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function uploadFile(
  runner: RawRunner,
  localPath: string,
  remotePath: string,
  opts: WriteFileOptions & { onProgress?: (sent: number, total: number) => void } = {},
): Promise<UploadResult> {
  const { mode, owner, desiredOwner } = await modeAndOwner(runner, opts);
  const bytes = (await stat(localPath)).size;
  const sha256 = await sha256File(localPath);

  // One round trip: when the remote copy matches, only fix mode/owner and report it.
  const chown = desiredOwner ? sh`chown ${desiredOwner} ${remotePath}` : raw('true');
  const probe = await runner.run(
    sh`sum=$(sha256sum -- ${remotePath} 2>/dev/null) || exit 0
[ "\${sum%% *}" = ${sha256} ] || exit 0
chmod ${mode} ${remotePath} && ${chown} && echo same`,
  );
  if (probe.stdout.toString().trim() === 'same') {
    opts.onProgress?.(bytes, bytes);
    return { transferred: false, bytes, sha256 };
  }

  const verify = sh`got=$(sha256sum < "$tmp"); got=\${got%% *}
[ "$got" = ${sha256} ] || { echo "checksum mismatch after transfer: expected ${sha256}, got $got" >&2; exit 1; }`;
  // pipe() does not read until the channel consumes it (a 'data' listener here would drop the first chunks).
  let sent = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      sent += chunk.length;
      opts.onProgress?.(sent, bytes);
      done(null, chunk);
    },
  });
  const input = createReadStream(localPath, { highWaterMark: 256 * 1024 });
  input.on('error', (err) => counter.destroy(err));
  input.pipe(counter);
  const label = `upload ${localPath} to ${remotePath}`;
  await runner.run(atomicWriteScript(remotePath, mode, owner, verify), { stdin: counter, label }).catch(withDiskHint);
  return { transferred: true, bytes, sha256 };
}
