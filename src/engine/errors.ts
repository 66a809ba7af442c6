import { maskSecrets } from '../transport/command.js';
import { CommandError, ConnectError } from '../transport/types.js';
import type { HostFailure } from './types.js';

const STDERR_TAIL_LINES = 8;

/** Hints for exit codes that mean the same thing whatever the command. */
const EXIT_HINTS: Record<number, string> = {
  126: 'the command exists but cannot be executed on the host (permissions, or a noexec mount)',
  127: 'the command was not found on the host: is its package installed and on the PATH of the SSH user (and of sudo)?',
};

export function stderrTail(stderr: string, lines = STDERR_TAIL_LINES): string {
  return stderr.trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * What an operator needs from a task error: the message and, for a failed command, the command, its exit code,
 * the tail of its stderr and a hint. Everything is masked with the run's known secrets once more.
 */
export function describeFailure(task: string, err: unknown, secrets: readonly string[] = []): HostFailure {
  const mask = (s: string) => maskSecrets(s, secrets);
  if (err instanceof CommandError) {
    const failure: HostFailure = {
      task,
      message: mask(`\`${err.command}\` exited ${err.code}`),
      command: mask(err.command),
      exitCode: err.code,
    };
    const tail = stderrTail(err.stderr);
    if (tail) failure.stderrTail = mask(tail);
    const hint = err.hint ?? EXIT_HINTS[err.code];
    if (hint) failure.hint = mask(hint);
    return failure;
  }
  if (err instanceof ConnectError) {
    const failure: HostFailure = { task, message: mask(`cannot connect: ${err.message}`) };
    if (err.hint) failure.hint = mask(err.hint);
    return failure;
  }
  const message = err instanceof Error ? err.message : String(err);
  const failure: HostFailure = { task, message: mask(message) };
  const hint = (err as { hint?: unknown } | null)?.hint;
  if (typeof hint === 'string') failure.hint = mask(hint);
  return failure;
}

/** One line for an event or a log: message plus exit code / stderr tail when present. */
export function failureLine(f: HostFailure): string {
  const parts = [f.message];
  if (f.stderrTail) parts.push(f.stderrTail.split('\n').slice(-1)[0]!);
  return parts.join(': ');
}
