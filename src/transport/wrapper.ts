/**
 * The text our SSH channel asks the remote login shell to run.
 *   echo @@KS:$$ >&2; exec [sudo …] sh -c '<command text>'
 * - the PID line lets a timeout kill the whole process tree (see channel.ts);
 * - `sh -c` gives POSIX semantics whatever the user's login shell;
 * - sudo with a password reads it from the first stdin line (`-S -p ''`), never from a command line;
 *   `-k` makes sudo always read it, so the password line can never leak into the command's own stdin.
 */
import { quote } from './command.js';
import { PID_MARKER } from './channel.js';

export type Elevation =
  | { kind: 'none' }
  /** Passwordless sudo (NOPASSWD). */
  | { kind: 'sudo' }
  /** sudo that needs the password, fed on stdin. */
  | { kind: 'sudo-password'; password: string };

export interface WrappedCommand {
  text: string;
  /** Bytes to send on stdin before the command's own input (the sudo password line). */
  preamble?: string;
}

export function elevate(text: string, elevation: Elevation): WrappedCommand {
  const inner = `sh -c ${quote(text)}`;
  switch (elevation.kind) {
    case 'none':
      return { text: inner };
    case 'sudo':
      return { text: `sudo -n -- ${inner}` };
    case 'sudo-password':
      return { text: `sudo -k -S -p '' -- ${inner}`, preamble: `${elevation.password}\n` };
  }
}

export function wrapCommand(text: string, elevation: Elevation): WrappedCommand {
  const e = elevate(text, elevation);
  return { ...e, text: `echo ${PID_MARKER}$$ >&2; exec ${e.text}` };
}

/**
 * Kill a remote process tree: stop each process (so it cannot fork more), recurse into its children,
 * then SIGKILL it; finally the process group too. Children are found with pgrep, or /proc when pgrep is missing.
 */
export function killTreeScript(pid: number): string {
  if (!Number.isInteger(pid) || pid < 2) throw new Error(`refusing to kill pid ${pid}`);
  return [
    'ks_kill() {',
    '  kill -STOP "$1" 2>/dev/null',
    '  for c in $(pgrep -P "$1" 2>/dev/null || cat /proc/"$1"/task/*/children 2>/dev/null); do ks_kill "$c"; done',
    '  kill -KILL "$1" 2>/dev/null',
    '}',
    `ks_kill ${pid}; kill -KILL -- -${pid} 2>/dev/null; true`,
  ].join('\n');
}
