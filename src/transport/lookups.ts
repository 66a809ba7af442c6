/**
 * Several read-only look-ups in one round trip. A task's check usually asks a host a handful of small questions
 * (is the unit enabled? what does this file hold? which version is installed?); sent one by one each costs a
 * round trip and a remote shell, sent together they cost one.
 *
 *   const [active, fstab] = await lookups(t, [run(['swapon', '--show']), read('/etc/fstab')]);
 *
 * Each `run` look-up runs in its own subshell with stdin from /dev/null and stderr discarded: callers get its exit
 * code and stdout (stderr is always ''), never an exception for a non-zero exit. A `read` gives the file's text,
 * or null when it does not exist. Only the batch as a whole can fail (connection lost, timeout, unreadable file).
 * Never put a command that changes the host in a look-up.
 */
import { randomBytes } from 'node:crypto';
import { commandDisplay, commandText, quote, type Command, type ShellScript } from './command.js';
import { CommandAbortedError, CommandError, CommandTimeoutError, type ExecResult, type Transport } from './types.js';

export interface RunLookup {
  readonly kind: 'run';
  readonly cmd: Command;
}
export interface ReadLookup {
  readonly kind: 'read';
  readonly path: string;
}
export type Lookup = RunLookup | ReadLookup;

export const run = (cmd: Command): RunLookup => ({ kind: 'run', cmd });
export const read = (path: string): ReadLookup => ({ kind: 'read', path });

export type LookupResult<L extends Lookup> = L extends ReadLookup ? string | null : ExecResult;
type Results<L extends readonly Lookup[]> = { -readonly [K in keyof L]: LookupResult<L[K]> };

/** A batch as sent: a shell script that also carries its look-ups, so a recording transport can replay them. */
export interface LookupBatch extends ShellScript {
  readonly lookups: readonly Lookup[];
  readonly marker: string;
}

export function isLookupBatch(cmd: Command): cmd is LookupBatch {
  return !Array.isArray(cmd) && Array.isArray((cmd as LookupBatch).lookups);
}

/** Exit code of a `read` whose file does not exist (any other non-zero code is an error). */
export const READ_ABSENT_CODE = 44;

function itemText(l: Lookup): string {
  if (l.kind === 'read') return `[ -e ${quote(l.path)} ] || exit ${READ_ABSENT_CODE}; LC_ALL=C exec cat -- ${quote(l.path)}`;
  return commandText(l.cmd);
}

/** How a look-up is shown in logs and errors (secrets masked). */
export function lookupDisplay(l: Lookup): string {
  return l.kind === 'read' ? `cat -- ${quote(l.path)}` : commandDisplay(l.cmd);
}

/**
 * The script: per look-up a start line, its output, and an end line with its exit code. Logs show the look-ups
 * one per line under a heading instead of the marker plumbing.
 */
export function lookupBatch(items: readonly Lookup[]): LookupBatch {
  const marker = `@@ks-${randomBytes(6).toString('hex')}`;
  const text = items
    .map((l, i) => `printf '%s\\n' '${marker}:${i}'; (\n${itemText(l)}\n) </dev/null 2>/dev/null; printf '\\n%s\\n' "${marker}:${i}:$?"`)
    .join('\n');
  const display = [`# ${items.length} look-ups in one round trip:`, ...items.map(lookupDisplay)].join('\n');
  const secrets = items.flatMap((l) => (l.kind === 'run' && !Array.isArray(l.cmd) ? (l.cmd as ShellScript).secrets : []));
  return { kind: 'script', text, display, secrets, lookups: items, marker };
}

/** The look-up a cut-short batch was running: the last one whose start line came out. */
function runningLookup(batch: LookupBatch, stdout: string): Lookup {
  let at = 0;
  for (let i = 0; i < batch.lookups.length; i++) if (stdout.includes(`${batch.marker}:${i}\n`)) at = i;
  return batch.lookups[at]!;
}

/** A batch that timed out, was aborted or lost its connection: the error names the look-up that was running. */
function blame(host: string, batch: LookupBatch, err: CommandError): CommandError {
  const shown = lookupDisplay(runningLookup(batch, err.stdout));
  if (err instanceof CommandTimeoutError) return new CommandTimeoutError(host, shown, err.timeoutMs, '', '');
  if (err instanceof CommandAbortedError) return new CommandAbortedError(host, shown, '', '');
  return new CommandError(host, shown, err.code, '', err.stderr, err.hint);
}

/** What the batch script prints for these results (used by recording transports to answer a batch). */
export function encodeLookupOutput(marker: string, results: readonly { code: number; stdout: string }[]): string {
  return results.map((r, i) => `${marker}:${i}\n${r.stdout}\n${marker}:${i}:${r.code}\n`).join('');
}

/** Split the batch's stdout back into one { code, stdout } per look-up. */
export function decodeLookupOutput(host: string, marker: string, count: number, stdout: string): { code: number; stdout: string }[] {
  const out: { code: number; stdout: string }[] = [];
  let pos = 0;
  for (let i = 0; i < count; i++) {
    const start = `${marker}:${i}\n`;
    const at = stdout.indexOf(start, pos);
    const endRe = new RegExp(`\\n${marker}:${i}:(\\d+)\\n`, 'g');
    endRe.lastIndex = at + start.length - 1;
    const end = at < 0 ? null : endRe.exec(stdout);
    if (at < 0 || !end)
      throw new CommandError(
        host,
        `look-up ${i + 1} of ${count}`,
        -1,
        stdout.slice(-500),
        '',
        'the batch of look-ups ended early (the connection dropped or the shell exited)',
      );
    out.push({ code: Number(end[1]), stdout: stdout.slice(at + start.length, end.index) });
    pos = end.index + end[0].length;
  }
  return out;
}

function toResult(host: string, l: Lookup, r: { code: number; stdout: string }, durationMs: number): ExecResult | string | null {
  if (l.kind === 'run') return { code: r.code, stdout: r.stdout, stderr: '', durationMs };
  if (r.code === 0) return r.stdout;
  if (r.code === READ_ABSENT_CODE) return null;
  throw new CommandError(host, `cat -- ${l.path}`, r.code, '', '', 'the file exists but could not be read');
}

/** Run the look-ups in one round trip (a single one goes as it is). Results come in the order asked. */
export async function lookups<const L extends readonly Lookup[]>(
  t: Transport,
  items: L,
  opts: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<Results<L>> {
  if (items.length === 1) {
    const l = items[0]!;
    const one =
      l.kind === 'read'
        ? await readOne(t, l.path)
        : await t.exec(l.cmd, { ...opts, allowFailure: true }).then((r) => ({ ...r, stderr: '' }));
    return [one] as Results<L>;
  }
  const batch = lookupBatch(items);
  const r = await t.exec(batch, { ...opts, allowFailure: true }).catch((err: unknown) => {
    throw err instanceof CommandError ? blame(t.host, batch, err) : err;
  });
  const parts = decodeLookupOutput(t.host, batch.marker, items.length, r.stdout);
  return items.map((l, i) => toResult(t.host, l, parts[i]!, r.durationMs)) as Results<L>;
}

async function readOne(t: Transport, path: string): Promise<string | null> {
  const buf = await t.readFile(path);
  return buf === null ? null : buf.toString('utf8');
}
