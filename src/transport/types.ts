import type { Command } from './command.js';

export interface ExecOptions {
  /** Bytes or text written to the command's stdin, then stdin is closed. */
  stdin?: string | Buffer;
  /** Kill the command after this many ms (default: the transport's defaultTimeoutMs). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Do not throw on a non-zero exit code; the caller inspects `code`. Default false. */
  allowFailure?: boolean;
  /** Run as the SSH user without sudo even when the transport elevates by default. */
  noSudo?: boolean;
  /** Extra secrets to mask in the logged command and output, and in errors (secret() values in sh`` are masked already). */
  secrets?: readonly string[];
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface WriteFileOptions {
  /** Octal mode as a string, e.g. '0644' (default) or '0600'. */
  mode?: string;
  /** owner[:group]; default root:root when elevated. */
  owner?: string;
}

export interface UploadResult {
  /** false when a file with the same sha256 already existed, so nothing was sent. */
  transferred: boolean;
  bytes: number;
  sha256: string;
}

/** Every side effect on a host goes through this interface. */
export interface Transport {
  /** The inventory host name this transport reaches. */
  readonly host: string;
  exec(cmd: Command, opts?: ExecOptions): Promise<ExecResult>;
  /** Atomically write a file (temp file + rename, mode and owner set) by streaming through stdin. */
  writeFile(path: string, content: string | Buffer, opts?: WriteFileOptions): Promise<void>;
  /** Read a file's bytes; null when it does not exist. */
  readFile(path: string): Promise<Buffer | null>;
  /** Upload a large local file, skipping when the remote sha256 already matches; atomic. */
  upload(
    localPath: string,
    remotePath: string,
    opts?: WriteFileOptions & { onProgress?: (sent: number, total: number) => void },
  ): Promise<UploadResult>;
  close(): Promise<void>;
}

/** Thrown when a command exits non-zero (and allowFailure is not set) or times out. */
export class CommandError extends Error {
  constructor(
    readonly host: string,
    /** Display text of the command (secrets masked). */
    readonly command: string,
    readonly code: number,
    readonly stdout: string,
    readonly stderr: string,
    readonly hint?: string,
  ) {
    const tail = stderr.trim().split('\n').slice(-5).join('\n');
    super(`${host}: \`${command}\` exited ${code}${tail ? `: ${tail}` : ''}${hint ? `\nhint: ${hint}` : ''}`);
    this.name = 'CommandError';
  }
}

/** Thrown when a host cannot be reached; retryable unless `permanent` (auth / host key). */
export class ConnectError extends Error {
  constructor(
    readonly host: string,
    message: string,
    readonly permanent: boolean,
    readonly hint?: string,
  ) {
    super(`${host}: ${message}${hint ? `\nhint: ${hint}` : ''}`);
    this.name = 'ConnectError';
  }
}

/** A command killed because it ran longer than its timeout (the remote process tree is killed too). */
export class CommandTimeoutError extends CommandError {
  constructor(
    host: string,
    command: string,
    readonly timeoutMs: number,
    stdout: string,
    stderr: string,
  ) {
    super(host, command, 124, stdout, stderr, `timed out after ${Math.round(timeoutMs / 100) / 10}s; the remote process was killed`);
    this.name = 'CommandTimeoutError';
  }
}

/** A command stopped because its AbortSignal fired (the remote process tree is killed too). */
export class CommandAbortedError extends CommandError {
  constructor(host: string, command: string, stdout: string, stderr: string) {
    super(host, command, 130, stdout, stderr, 'aborted; the remote process was killed');
    this.name = 'CommandAbortedError';
  }
}
