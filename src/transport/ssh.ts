/**
 * The SSH transport: ONE connection per host (node-ssh over ssh2) reused for every command, at most
 * `maxChannels` channels at once on it, sudo for non-root users, a timeout on every command that kills the
 * remote process tree, a keeper on the host that kills every command of a connection that dies (wrapper.ts),
 * and secrets masked in everything logged or thrown.
 */
import type { Readable } from 'node:stream';
import type { NodeSSH } from 'node-ssh';
import { commandDisplay, commandSecrets, commandText, maskSecrets, type Command } from './command.js';
import { runOnChannel, type ChannelResult, type ExecClient } from './channel.js';
import { connectWithRetry, type ConnectSpec } from './connect.js';
import { readRemoteFile, uploadFile, writeRemoteFile, type RawRunner } from './files.js';
import { Semaphore } from './semaphore.js';
import { CommandAbortedError, CommandError, CommandTimeoutError, ConnectError } from './types.js';
import type { ExecOptions, ExecResult, Transport, UploadResult, WriteFileOptions } from './types.js';
import { keeperRegistryName, startKeeper } from './keeper.js';
import { killTreeScript, wrapCommand, type Elevation } from './wrapper.js';

export interface CommandRecord {
  host: string;
  /** Display text (secrets masked). */
  command: string;
  code: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface ConnectRecord {
  host: string;
  address: string;
  port: number;
  viaBastion: boolean;
  durationMs: number;
}

export interface SshTransportOptions {
  /** Inventory host name. */
  host: string;
  connect: ConnectSpec;
  sudo: 'auto' | 'always' | 'never';
  /** Password for sudo (from passwordEnv); fed on stdin, never on a command line. */
  sudoPassword?: string;
  maxChannels: number;
  defaultTimeoutMs: number;
  onCommand?: (record: CommandRecord) => void;
  onConnect?: (record: ConnectRecord) => void;
}

/** Internal run options: stdin may also be a stream (uploads). */
export interface RawOptions extends Omit<ExecOptions, 'stdin'> {
  stdin?: string | Buffer | Readable;
  /** Do not put stdout in the command log (file contents). */
  quietStdout?: boolean;
  /** Short description used in errors instead of the (long) script text, e.g. `write /etc/x`. */
  label?: string;
}

export interface RawResult {
  code: number;
  stdout: Buffer;
  stderr: string;
  durationMs: number;
}

/** ssh2's errors for a channel that could not be opened because the connection went away. */
const CHANNEL_LOST = /No response from server|Not connected|socket (hang up|has been ended)|ECONNRESET|EPIPE/;

export class SshTransport implements Transport, RawRunner {
  readonly host: string;
  readonly #opts: SshTransportOptions;
  readonly #channels: Semaphore;
  #conn: Promise<NodeSSH> | undefined;
  #elevation: Promise<Elevation> | undefined;
  /** The keeper of the current connection and its registry directory (failed: it could not start). */
  #keeper: { ssh: NodeSSH; registry: string; failed: boolean; stop: () => void } | undefined;
  #closed = false;

  constructor(opts: SshTransportOptions) {
    this.host = opts.host;
    this.#opts = opts;
    this.#channels = new Semaphore(opts.maxChannels);
  }

  /** The live connection, (re)connecting when needed; concurrent callers share one attempt. */
  async connection(): Promise<NodeSSH> {
    if (this.#closed) throw new ConnectError(this.host, 'transport is closed', true);
    if (this.#conn) {
      const ssh = await this.#conn.catch(() => undefined);
      if (ssh?.isConnected()) return ssh;
      ssh?.dispose();
    }
    const started = Date.now();
    const attempt = connectWithRetry(this.#opts.connect).then((ssh) => {
      const c = this.#opts.connect;
      this.#opts.onConnect?.({
        host: this.host,
        address: c.address,
        port: c.port,
        viaBastion: !!c.tunnel,
        durationMs: Date.now() - started,
      });
      return ssh;
    });
    this.#conn = attempt;
    attempt.catch(() => {
      if (this.#conn === attempt) this.#conn = undefined;
    });
    return attempt;
  }

  /** How commands are elevated on this host (probed once per transport). */
  elevation(): Promise<Elevation> {
    if (!this.#elevation) {
      const probe = this.#probeElevation();
      this.#elevation = probe;
      probe.catch(() => {
        if (this.#elevation === probe) this.#elevation = undefined; // probe again next time
      });
    }
    return this.#elevation;
  }

  async elevated(): Promise<boolean> {
    return this.#opts.connect.user === 'root' || (await this.elevation()).kind !== 'none';
  }

  async #probeElevation(): Promise<Elevation> {
    const { sudo, sudoPassword } = this.#opts;
    const user = this.#opts.connect.user;
    if (sudo === 'never' || (sudo === 'auto' && user === 'root')) return { kind: 'none' };
    const nopasswd = await this.#channel('sudo -k -n true', { kind: 'none' }, {});
    if (nopasswd.code === 0) return { kind: 'sudo' };
    if (/not found/.test(nopasswd.stderr.toString())) {
      throw new ConnectError(
        this.host,
        `sudo is not installed for user ${user}`,
        true,
        'install sudo on the host, log in as root, or set spec.ssh.sudo: never',
      );
    }
    if (sudoPassword === undefined) {
      throw new ConnectError(
        this.host,
        `sudo needs a password for user ${user}`,
        true,
        'set spec.ssh.passwordEnv to the name of an environment variable holding it, or allow NOPASSWD sudo for this user',
      );
    }
    const elevation: Elevation = { kind: 'sudo-password', password: sudoPassword };
    const check = await this.#channel('true', elevation, {});
    if (check.code !== 0)
      throw new ConnectError(
        this.host,
        `sudo refused the password for user ${user}`,
        true,
        'check the password in the variable named by spec.ssh.passwordEnv and the sudoers rules',
      );
    return elevation;
  }

  /**
   * The registry of this connection's keeper, starting the keeper on first use. Commands do not wait for the keeper to
   * run (a round trip on every connection): the first one makes the registry if the keeper has not yet (wrapCommand),
   * and the keeper takes it over. Once the keeper is known not to run, commands are no longer registered.
   */
  async #keeperRegistry(ssh: NodeSSH): Promise<string | undefined> {
    if (this.#keeper?.ssh !== ssh) {
      this.#keeper?.stop();
      let stop = () => undefined as void;
      const keeper = { ssh, registry: keeperRegistryName(), failed: false, stop: () => stop() };
      this.#keeper = keeper;
      const onClose = () => {
        if (this.#keeper === keeper) this.#keeper = undefined; // a new one starts with the next command
      };
      void this.elevation()
        .then((elevation) => startKeeper(ssh.connection as unknown as ExecClient, elevation, (s) => (stop = s), onClose, keeper.registry))
        .then(
          (ready) => void (keeper.failed ||= ready === undefined),
          () => void (keeper.failed = true),
        );
    }
    await this.elevation(); // the keeper's elevation, known before any registered command runs
    return this.#keeper?.failed === false ? this.#keeper.registry : undefined;
  }

  async #channel(text: string, elevation: Elevation, opts: RawOptions, bypassLimit = false, register = false): Promise<ChannelResult> {
    const ssh = await this.connection();
    const client = ssh.connection as unknown as ExecClient;
    const wrapped = wrapCommand(text, elevation, register ? await this.#keeperRegistry(ssh) : undefined);
    const go = () =>
      runOnChannel(client, {
        text: wrapped.text,
        ...(wrapped.preamble ? { preamble: wrapped.preamble } : {}),
        ...(opts.stdin !== undefined ? { stdin: opts.stdin } : {}),
        timeoutMs: opts.timeoutMs ?? this.#opts.defaultTimeoutMs,
        ...(opts.signal ? { signal: opts.signal } : {}),
        kill: (pid) => this.#kill(pid, elevation),
      });
    return bypassLimit ? go() : this.#channels.run(go);
  }

  /** Kill a remote tree; bypasses the channel bound so a full host can still be cleaned up. */
  async #kill(pid: number, elevation: Elevation): Promise<void> {
    await this.#channel(killTreeScript(pid), elevation, { timeoutMs: 15_000 }, true);
  }

  /** Run a command and return raw bytes; logs and throws like exec. */
  async run(cmd: Command, opts: RawOptions = {}): Promise<RawResult> {
    const started = Date.now();
    const secrets = [...commandSecrets(cmd), ...(opts.secrets ?? []), ...(this.#opts.sudoPassword ? [this.#opts.sudoPassword] : [])];
    // sh`` masks secret() values itself; opts.secrets may also stand in an argv command's words.
    const display = maskSecrets(commandDisplay(cmd), secrets);
    if (opts.signal?.aborted) throw new CommandAbortedError(this.host, opts.label ?? display, '', '');
    const elevation = opts.noSudo ? ({ kind: 'none' } as const) : await this.elevation();
    const r = await this.#channel(commandText(cmd), elevation, opts, false, true).catch((err: unknown) => {
      // The connection dropped while the channel was being opened (ssh2: "No response from server", "Not connected").
      if (err instanceof Error && !(err instanceof ConnectError) && CHANNEL_LOST.test(err.message)) {
        throw new CommandError(
          this.host,
          opts.label ?? display,
          255,
          '',
          '',
          `the SSH connection was lost before the command started (${err.message}); it may or may not have run`,
        );
      }
      throw err;
    });
    const durationMs = Date.now() - started;
    const stdoutText = () => maskSecrets(r.stdout.toString('utf8'), secrets);
    const stderr = maskSecrets(r.stderr.toString('utf8'), secrets);
    this.#opts.onCommand?.({
      host: this.host,
      command: display,
      code: r.code,
      stdout: opts.quietStdout ? `<${r.stdout.length} bytes not logged>` : stdoutText(),
      stderr,
      durationMs,
    });
    const out = opts.quietStdout ? '' : stdoutText();
    const shown = opts.label ?? display;
    if (r.timedOut) throw new CommandTimeoutError(this.host, shown, opts.timeoutMs ?? this.#opts.defaultTimeoutMs, out, stderr);
    if (r.aborted) throw new CommandAbortedError(this.host, shown, out, stderr);
    if (r.lost)
      throw new CommandError(
        this.host,
        shown,
        r.code,
        out,
        stderr,
        'the SSH connection was lost before the command finished; it may or may not have completed',
      );
    if (r.code !== 0 && !opts.allowFailure) throw new CommandError(this.host, shown, r.code, out, stderr, sudoHint(stderr));
    // Results are the caller's data (a task may read back a value it wrote); only the sudo password is hidden.
    const pw = this.#opts.sudoPassword ? [this.#opts.sudoPassword] : [];
    return { code: r.code, stdout: r.stdout, stderr: maskSecrets(r.stderr.toString('utf8'), pw), durationMs };
  }

  async exec(cmd: Command, opts: ExecOptions = {}): Promise<ExecResult> {
    const r = await this.run(cmd, opts);
    const pw = this.#opts.sudoPassword ? [this.#opts.sudoPassword] : [];
    return { code: r.code, stdout: maskSecrets(r.stdout.toString('utf8'), pw), stderr: r.stderr, durationMs: r.durationMs };
  }

  writeFile(path: string, content: string | Buffer, opts?: WriteFileOptions): Promise<void> {
    return writeRemoteFile(this, path, content, opts);
  }

  readFile(path: string): Promise<Buffer | null> {
    return readRemoteFile(this, path);
  }

  upload(
    localPath: string,
    remotePath: string,
    opts?: WriteFileOptions & { onProgress?: (sent: number, total: number) => void },
  ): Promise<UploadResult> {
    return uploadFile(this, localPath, remotePath, opts);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#keeper?.stop(); // the keeper sees its input end with the connection and kills whatever still runs
    const conn = this.#conn;
    this.#conn = undefined;
    const ssh = await conn?.catch(() => undefined);
    ssh?.dispose();
  }
}

function sudoHint(stderr: string): string | undefined {
  if (/sudo: a password is required|sudo: a terminal is required/.test(stderr))
    return 'sudo needs a password: set spec.ssh.passwordEnv or allow NOPASSWD';
  if (/is not in the sudoers file|not allowed to execute/.test(stderr)) return 'the SSH user may not use sudo on this host';
  return undefined;
}
