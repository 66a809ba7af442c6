/**
 * The converge batch: every read-only question a run's checks asked a host last time, sent again in one script so
 * the checks of this run read the answers instead of asking one by one (src/engine/converge.ts).
 *
 * Unlike a look-up batch (src/transport/lookups.ts) each entry keeps its stderr and a file read keeps its bytes, so an
 * answer served from the batch is the one the command itself would have given: exit code, stdout, stderr.
 */
import { randomBytes } from 'node:crypto';
import { commandDisplay, commandText, quote, sh, type Command, type ShellScript } from '../transport/command.js';
import { CommandError, type Transport } from '../transport/types.js';

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

/** How many of a batch's checks run at once on the host (each in its own subshell; they only read). */
export const CHECK_PARALLELISM = 8;

/**
 * The script: the checks run CHECK_PARALLELISM at a time, each in its own subshell with stdin from /dev/null (as a
 * command of its own would), its stdout, stderr and exit code kept in a private temporary directory; then, in order,
 * per entry a start line, its stdout, a line, its stderr, and an end line with its exit code. Checks only read, so
 * running them side by side answers the same; the batch costs its slowest group of checks instead of their sum
 * (a control plane asks the API a dozen things).
 */
export function checkBatch(entries: readonly CheckEntry[]): CheckBatch {
  const m = `@@ks-check-${randomBytes(6).toString('hex')}`;
  const run = entries.map(
    (e, i) =>
      `( (\n${entryText(e)}\n) </dev/null >"$d/${i}.o" 2>"$d/${i}.e"; echo $? >"$d/${i}.c" ) &` +
      ((i + 1) % CHECK_PARALLELISM === 0 ? '\nwait' : ''),
  );
  const print = entries.map(
    (_, i) =>
      `printf '%s\\n' '${m}:${i}'; cat -- "$d/${i}.o"; printf '\\n%s\\n' '${m}:${i}:err'; [ -s "$d/${i}.e" ] && cat -- "$d/${i}.e"; ` +
      `c=; read -r c <"$d/${i}.c"; printf '\\n%s:%s:%s\\n' '${m}' ${i} "$c"`,
  );
  const text = ['d=$(mktemp -d) || exit 1', `trap 'rm -rf -- "$d"' EXIT`, ...run, 'wait', ...print].join('\n');
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
  run(cmd: Command, opts: { allowFailure: boolean; quietStdout: boolean; timeoutMs?: number }): Promise<{ stdout: Buffer; stderr: string }>;
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

/**
 * `head` (the run lock) and the batch in one script: head runs first, in its own subshell; the batch runs only when
 * head exited 0 and the last line it printed is `proceed`. Head's stdout comes first, then a line `<marker>:head:<code>`.
 */
export function headedCheckBatch(head: Command, proceed: string, entries: readonly CheckEntry[]): CheckBatch {
  const batch = checkBatch(entries);
  const m = batch.marker;
  const text = [
    `ks_out=$( (\n${commandText(head)}\n) </dev/null ); ks_c=$?`,
    `printf '%s\\n%s\\n' "$ks_out" "${m}:head:$ks_c"`,
    "ks_nl='\n'",
    `[ "$ks_c" -eq 0 ] && [ "\${ks_out##*"$ks_nl"}" = ${quote(proceed)} ] || exit 0`,
    batch.text,
  ].join('\n');
  return { ...batch, text, display: `${commandDisplay(head)}\n${batch.display}` };
}

/**
 * Send head and the batch in one round trip (headedCheckBatch). Head's stdout, and the answers when the batch ran
 * (undefined when head did not let it). A head that failed throws as if it had been sent alone.
 */
export async function runHeadedCheckBatch(
  t: Transport,
  head: Command,
  proceed: string,
  entries: readonly CheckEntry[],
  timeoutMs: number,
): Promise<{ head: string; answers: (CheckAnswer | undefined)[] | undefined }> {
  const batch = headedCheckBatch(head, proceed, entries);
  const enc = hasRun(t) ? 'latin1' : 'utf8';
  const raw = hasRun(t)
    ? await t
        .run(batch, { allowFailure: true, quietStdout: true, timeoutMs })
        .then((r) => ({ out: r.stdout.toString('latin1'), stderr: r.stderr }))
    : await t.exec(batch, { allowFailure: true, timeoutMs }).then((r) => ({ out: r.stdout, stderr: r.stderr }));
  const end = new RegExp(`\\n${batch.marker}:head:(\\d+)\\n`).exec(raw.out);
  if (!end) throw new CommandError(t.host, commandDisplay(head), 255, '', raw.stderr, 'the script ended before the command finished');
  const headOut = Buffer.from(raw.out.slice(0, end.index), enc).toString('utf8');
  const code = Number(end[1]);
  if (code !== 0) throw new CommandError(t.host, commandDisplay(head), code, headOut, raw.stderr);
  const ran = headOut.split('\n').pop() === proceed;
  const rest = raw.out.slice(end.index + end[0].length);
  return { head: headOut, answers: ran ? decodeCheckBatch(entries, batch.marker, rest, enc) : undefined };
}
