/**
 * The text our SSH channel asks the remote login shell to run.
 *   echo @@KS:$$ >&2; <register $$ with the connection's keeper>; exec [sudo …] sh -c '<command text>'
 * - the PID line lets a timeout kill the whole process tree (see channel.ts);
 * - the registration lets the keeper kill it when the connection dies (see keeperCommand);
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

/**
 * `registry`: the keeper directory of this connection. The login shell writes its PID's start time (field 22 of
 * /proc/PID/stat, so a reused PID is never mistaken for it) to `<registry>/<PID>` before it execs the command.
 */
export function wrapCommand(text: string, elevation: Elevation, registry?: string): WrappedCommand {
  const e = elevate(text, elevation);
  // The command does not wait for its keeper to run: when it comes first it makes the registry itself (0700).
  const register = registry
    ? ` { [ -d ${quote(registry)} ] || mkdir -m 700 ${quote(registry)}; read -r s < /proc/$$/stat && s=\${s##*) } && set -- $s && echo "\${20}" > ${quote(registry)}/$$; } 2>/dev/null;`
    : '';
  return { ...e, text: `echo ${PID_MARKER}$$ >&2;${register} exec ${e.text}` };
}

/** The shell function that kills a process tree (see killTreeScript). */
const KS_KILL = [
  'ks_kill() {',
  '  kill -STOP "$1" 2>/dev/null',
  '  for c in $(pgrep -P "$1" 2>/dev/null || cat /proc/"$1"/task/*/children 2>/dev/null); do ks_kill "$c"; done',
  '  kill -KILL "$1" 2>/dev/null',
  '}',
];

/**
 * Kill a remote process tree: stop each process (so it cannot fork more), recurse into its children,
 * then SIGKILL it; finally the process group too. Children are found with pgrep, or /proc when pgrep is missing.
 */
export function killTreeScript(pid: number): string {
  if (!Number.isInteger(pid) || pid < 2) throw new Error(`refusing to kill pid ${pid}`);
  return [...KS_KILL, `ks_kill ${pid}; kill -KILL -- -${pid} 2>/dev/null; true`].join('\n');
}

/** The admin machine writes a heartbeat line to the keeper this often … */
export const KEEPER_HEARTBEAT_MS = 2_000;
/** … and the keeper gives the connection up after this much silence. */
export const KEEPER_SILENCE_SECONDS = 15;
/** What the keeper prints once its registry exists and it runs elevated. */
export const KEEPER_READY = 'kubesmith-keeper-ready';

/**
 * The keeper of one SSH connection: a process on the host, on a channel of its own, that makes every command of the
 * connection die with it. sshd leaves a command without a terminal running when the connection drops (and a cut
 * link is not noticed for hours), so a killed or disconnected run could leave a `kubeadm join` running while the
 * next run starts. The keeper reads heartbeat lines from the admin machine on its stdin; at end of input (the
 * session is gone, or the transport closed) or after KEEPER_SILENCE_SECONDS without one (the link is down), it
 * kills the process tree of every command registered in `registry` that still runs (same PID and start time), then
 * removes the directory. The commands' own stdin is untouched, so commands fed on stdin work as before.
 * The directory is made by the SSH user (mode 0700: only that user — who may sudo anyway — can register PIDs), by the
 * keeper or by the first command of the connection, whichever runs first (commands do not wait for the keeper: that
 * would cost every connection a round trip); the keeper itself runs elevated so it can kill what sudo started.
 */
export function keeperCommand(registry: string, elevation: Elevation): WrappedCommand {
  const script = [
    ...KS_KILL,
    `echo ${KEEPER_READY}`,
    // The connection may be gone: a write to its dead pipes (even a shell error message) would kill us with SIGPIPE.
    "trap '' HUP PIPE",
    `while IFS= read -r -t ${KEEPER_SILENCE_SECONDS} _; do :; done`,
    'exec </dev/null >/dev/null 2>&1',
    'for f in "$1"/*; do',
    '  pid=${f##*/}',
    '  case $pid in *[!0-9]*|"") continue ;; esac',
    '  want=$(cat "$f" 2>/dev/null)',
    '  read -r s < /proc/"$pid"/stat 2>/dev/null || continue',
    '  s=${s##*) }; set -- "$1" $s',
    '  [ -n "$want" ] && [ "${21}" = "$want" ] && ks_kill "$pid"',
    'done',
    'rm -rf -- "$1"',
  ].join('\n');
  const e = elevate(`exec bash -c ${quote(script)} keeper ${quote(registry)}`, elevation);
  // A command of the connection may have made the registry first (wrapCommand): it is taken over when it is a directory
  // of the SSH user, never a link.
  const r = quote(registry);
  return { ...e, text: `{ mkdir -m 700 ${r} 2>/dev/null || { [ -d ${r} ] && [ ! -L ${r} ] && [ -O ${r} ]; }; } && exec ${e.text}` };
}
