/**
 * Several changing commands in one round trip, run in order: the steps of an apply that would otherwise each cost a
 * round trip (install, hold, enable; pull, pull). Each step runs in its own subshell with stdin from /dev/null, as a
 * command of its own would; the first step that fails stops the script, and the error names that step, its exit code
 * and output, as if it had been sent alone. Steps that did not run are not run.
 *
 *   await runSteps(t, [distro.installPackages(pkgs), ['apt-mark', 'hold', ...pkgs], ['systemctl', 'enable', 'kubelet']]);
 *
 * Logs show the steps one per line under a heading. A command that carries a secret or needs stdin is never a step:
 * it goes to the host on its own (runSteps refuses it).
 */
import { randomBytes } from 'node:crypto';
import { commandDisplay, commandSecrets, commandText, type Command, type ShellScript } from './command.js';
import { CommandAbortedError, CommandError, CommandTimeoutError, type ExecResult, type Transport } from './types.js';

/** A steps script as sent: the script, and its steps, so a recording transport can replay them one by one. */
export interface StepsScript extends ShellScript {
  readonly steps: readonly Command[];
  readonly marker: string;
}

export function isStepsScript(cmd: Command): cmd is StepsScript {
  return !Array.isArray(cmd) && Array.isArray((cmd as Partial<StepsScript>).steps);
}

/** The script: per step a start line, its stdout, and an end line with its exit code; a failed step ends it. */
export function stepsScript(steps: readonly Command[]): StepsScript {
  const withSecret = steps.find((s) => commandSecrets(s).length > 0);
  if (withSecret) throw new Error(`a command carrying a secret goes to the host on its own, not as a step: ${commandDisplay(withSecret)}`);
  const marker = `@@ks-step-${randomBytes(6).toString('hex')}`;
  const text = steps
    .map(
      (s, i) =>
        `printf '%s\\n' '${marker}:${i}'; (\n${commandText(s)}\n) </dev/null; c=$?; printf '\\n%s\\n' "${marker}:${i}:$c"; ` +
        `[ "$c" -eq 0 ] || exit "$c"`,
    )
    .join('\n');
  const display = [
    `# ${steps.length} steps in one round trip, in order, stopping at the first that fails:`,
    ...steps.map(commandDisplay),
  ].join('\n');
  return { kind: 'script', text, display, secrets: [], steps, marker };
}

/** What the script prints for these results (used by recording transports to answer it). */
export function encodeStepsOutput(marker: string, results: readonly { code: number; stdout: string }[]): string {
  return results.map((r, i) => `${marker}:${i}\n${r.stdout}\n${marker}:${i}:${r.code}\n`).join('');
}

/** Each step that ran, with its exit code and stdout, in order (a step cut short has no entry). */
export function decodeStepsOutput(marker: string, count: number, stdout: string): { code: number; stdout: string }[] {
  const out: { code: number; stdout: string }[] = [];
  let pos = 0;
  for (let i = 0; i < count; i++) {
    const start = `${marker}:${i}\n`;
    const at = stdout.indexOf(start, pos);
    if (at < 0) break;
    const endRe = new RegExp(`\\n${marker}:${i}:(\\d+)\\n`, 'g');
    endRe.lastIndex = at + start.length - 1;
    const end = endRe.exec(stdout);
    if (!end) break;
    out.push({ code: Number(end[1]), stdout: stdout.slice(at + start.length, end.index) });
    pos = end.index + end[0].length;
  }
  return out;
}

/** A script that timed out, was aborted or lost its connection: the error names the step that was running. */
function blame(host: string, script: StepsScript, err: CommandError): CommandError {
  const running = Math.min(decodeStepsOutput(script.marker, script.steps.length, err.stdout).length, script.steps.length - 1);
  const shown = commandDisplay(script.steps[running]!);
  if (err instanceof CommandTimeoutError) return new CommandTimeoutError(host, shown, err.timeoutMs, '', err.stderr);
  if (err instanceof CommandAbortedError) return new CommandAbortedError(host, shown, '', err.stderr);
  return new CommandError(host, shown, err.code, '', err.stderr, err.hint);
}

/**
 * Run the steps in one round trip (a single step goes as it is). Resolves with each step's result when all
 * succeeded; otherwise throws a CommandError naming the step that failed (or the one that was running when the
 * script was cut short).
 */
export async function runSteps(
  t: Transport,
  steps: readonly Command[],
  opts: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<ExecResult[]> {
  if (steps.length === 0) return [];
  if (steps.length === 1) return [await t.exec(steps[0]!, opts)];
  const script = stepsScript(steps);
  const r = await t.exec(script, { ...opts, allowFailure: true }).catch((err: unknown) => {
    throw err instanceof CommandError ? blame(t.host, script, err) : err;
  });
  const done = decodeStepsOutput(script.marker, steps.length, r.stdout);
  const failedAt = done.findIndex((d) => d.code !== 0);
  if (failedAt >= 0) {
    const d = done[failedAt]!;
    throw new CommandError(t.host, commandDisplay(steps[failedAt]!), d.code, d.stdout, r.stderr);
  }
  if (done.length < steps.length) {
    const cut = Math.min(done.length, steps.length - 1);
    throw new CommandError(
      t.host,
      commandDisplay(steps[cut]!),
      r.code === 0 ? -1 : r.code,
      '',
      r.stderr,
      `step ${cut + 1} of ${steps.length}: the script ended before it finished (the connection dropped or the shell exited)`,
    );
  }
  return done.map((d) => ({ code: d.code, stdout: d.stdout, stderr: '', durationMs: r.durationMs }));
}
