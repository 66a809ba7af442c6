/**
 * The converge batch: every read-only question a run's checks asked a host last time, sent again in one script so
 * the checks of this run read the answers instead of asking one by one (src/engine/converge.ts).
 *
 * Unlike a look-up batch (src/transport/lookups.ts) each entry keeps its stderr and a file read keeps its bytes, so an
 * answer served from the batch is the one the command itself would have given: exit code, stdout, stderr.
 */
import { randomBytes } from 'node:crypto';
import { commandText, quote, sh, type Command, type ShellScript } from '../transport/command.js';
import type { Transport } from '../transport/types.js';

/** A question a check asked: a command (its exact text) or a file read. */
export type CheckEntry = { kind: 'exec'; text: string; display: string } | { kind: 'read'; path: string };

/** One answer: what the command printed, or the file's bytes (null: the file does not exist). */
export type CheckAnswer = { kind: 'exec'; code: number; stdout: string; stderr: string } | { kind: 'read'; bytes: Buffer | null };

/** The key a check is found by: the command's exact text, or the file's path. */
export function entryKey(e: CheckEntry): string {
  return e.kind === 'exec' ? `exec\0${e.text}` : `read\0${e.path}`;
}

const readCommand = (path: string) => sh`LC_ALL=C cat -- ${path}`;

/** What the batch runs for an entry (a read is the command the transport's readFile runs). */
function entryText(e: CheckEntry): string {
  return e.kind === 'exec' ? e.text : commandText(readCommand(e.path));
}

/**
 * The script: per entry a start line, its stdout, a line, its stderr, and an end line with its exit code. Each entry
 * runs in its own subshell with stdin from /dev/null, as a command of its own would.
 */
export function checkBatch(entries: readonly CheckEntry[]): CheckBatch {
  const m = `@@ks-check-${randomBytes(6).toString('hex')}`;
  const items = entries.map(
    (e, i) =>
      `printf '%s\\n' '${m}:${i}'; (\n${entryText(e)}\n) </dev/null 2>"$e"; c=$?; printf '\\n%s\\n' '${m}:${i}:err'; ` +
      `[ -s "$e" ] && cat -- "$e"; printf '\\n%s\\n' "${m}:${i}:$c"`,
  );
  const text = ['e=$(mktemp) || exit 1', `trap 'rm -f -- "$e"' EXIT`, ...items].join('\n');
  const display = [
    `# ${entries.length} checks in one round trip:`,
    ...entries.map((e) => (e.kind === 'exec' ? e.display : `cat -- ${quote(e.path)}`)),
  ].join('\n');
  return { kind: 'script', text, display, secrets: [], marker: m, entries };
}

/** A batch as sent: the script, and the entries it asks, so a fake transport can answer it. */
export interface CheckBatch extends ShellScript {
  readonly marker: string;
  readonly entries: readonly CheckEntry[];
}

export function isCheckBatch(cmd: Command): cmd is CheckBatch {
  return !Array.isArray(cmd) && Array.isArray((cmd as Partial<CheckBatch>).entries);
}

/** What the batch script prints for these results (a file's bytes as its stdout, exit 1 and the cat error when absent). */
export function encodeCheckBatch(marker: string, results: readonly { code: number; stdout: string; stderr: string }[]): string {
  return results.map((r, i) => `${marker}:${i}\n${r.stdout}\n${marker}:${i}:err\n${r.stderr}\n${marker}:${i}:${r.code}\n`).join('');
}

/** Split the batch's output (bytes as latin1 text, or utf8 text) into one answer per entry; undefined for a cut-short entry. */
export function decodeCheckBatch(
  entries: readonly CheckEntry[],
  marker: string,
  out: string,
  encoding: 'latin1' | 'utf8',
): (CheckAnswer | undefined)[] {
  let pos = 0;
  return entries.map((e, i) => {
    const start = out.indexOf(`${marker}:${i}\n`, pos);
    const mid = start < 0 ? -1 : out.indexOf(`\n${marker}:${i}:err\n`, start);
    const endRe = new RegExp(`\\n${marker}:${i}:(\\d+)\\n`, 'g');
    endRe.lastIndex = mid;
    const end = mid < 0 ? null : endRe.exec(out);
    if (!end) return undefined;
    pos = end.index + end[0].length;
    const stdout = Buffer.from(out.slice(start + `${marker}:${i}\n`.length, mid), encoding);
    const stderr = Buffer.from(out.slice(mid + `\n${marker}:${i}:err\n`.length, end.index), encoding).toString('utf8');
    return answer(e, Number(end[1]), stdout, stderr);
  });
}

/** An answer as the transport would give it; a read that failed for another reason than absence is not served. */
function answer(e: CheckEntry, code: number, stdout: Buffer, stderr: string): CheckAnswer | undefined {
  if (e.kind === 'exec') return { kind: 'exec', code, stdout: stdout.toString('utf8'), stderr };
  if (code === 0) return { kind: 'read', bytes: stdout };
  return /No such file or directory|Not a directory/.test(stderr) ? { kind: 'read', bytes: null } : undefined;
}

/** A transport that can hand back raw bytes without logging them (SshTransport.run). */
interface RawRunner {
  run(cmd: Command, opts: { allowFailure: boolean; quietStdout: boolean; timeoutMs?: number }): Promise<{ stdout: Buffer }>;
}

const hasRun = (t: Transport): t is Transport & RawRunner => typeof (t as Partial<RawRunner>).run === 'function';

/** Send the batch to a host and decode its answers. Its stdout (file contents) stays out of the command log. */
export async function runCheckBatch(t: Transport, entries: readonly CheckEntry[], timeoutMs: number): Promise<(CheckAnswer | undefined)[]> {
  const batch = checkBatch(entries);
  if (hasRun(t)) {
    const r = await t.run(batch, { allowFailure: true, quietStdout: true, timeoutMs });
    return decodeCheckBatch(entries, batch.marker, r.stdout.toString('latin1'), 'latin1');
  }
  const r = await t.exec(batch, { allowFailure: true, timeoutMs });
  // Text only: a file whose bytes were not UTF-8 cannot be told apart after decoding, so it is read again on its own.
  return decodeCheckBatch(entries, batch.marker, r.stdout, 'utf8').map((a) =>
    a?.kind === 'read' && a.bytes?.toString('utf8').includes('\uFFFD') ? undefined : a,
  );
}
