/**
 * A Transport for unit tests: commands must be announced with expect() (consumed once, in any order) or
 * allow() (any number of times); anything else THROWS, so a test fails loudly on an unexpected command.
 * Files live in an in-memory filesystem (writeFile / readFile / upload), and every call is recorded.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { commandDisplay, commandText, maskSecrets, type Command } from './command.js';
import { CommandError } from './types.js';
import { encodeLookupOutput, isLookupBatch, READ_ABSENT_CODE, type LookupBatch } from './lookups.js';
import { encodeStepsOutput, isStepsScript, type StepsScript } from './steps.js';
import { isWriteStep } from './files.js';
import type { ExecOptions, ExecResult, Transport, UploadResult, WriteFileOptions } from './types.js';

export interface Reply {
  code?: number;
  stdout?: string;
  stderr?: string;
}
export type ReplyFn = (call: RecordedCall) => Reply | Promise<Reply>;
export type Matcher = string | RegExp;

export interface RecordedCall {
  kind: 'exec' | 'writeFile' | 'readFile' | 'upload';
  /** Display text for exec (secrets masked); the path for file calls. */
  command: string;
  /** The exact shell text (exec only). */
  text?: string;
  stdin?: string;
  opts?: ExecOptions | WriteFileOptions;
}

export interface MemoryFile {
  content: Buffer;
  mode: string;
  owner: string;
}

interface Expectation {
  matcher: Matcher;
  reply: Reply | ReplyFn;
  repeat: boolean;
  used: number;
}

/** string: the display text contains it; RegExp: it matches the display text. */
function matches(m: Matcher, display: string): boolean {
  return typeof m === 'string' ? display.includes(m) : m.test(display);
}

export class RecordingTransport implements Transport {
  readonly calls: RecordedCall[] = [];
  readonly files = new Map<string, MemoryFile>();
  readonly #expectations: Expectation[] = [];

  constructor(readonly host = 'test-host') {}

  /** The next command matching `matcher` gets `reply` (once). */
  expect(matcher: Matcher, reply: Reply | ReplyFn = {}): this {
    this.#expectations.push({ matcher, reply, repeat: false, used: 0 });
    return this;
  }

  /** Any number of commands matching `matcher` get `reply`. */
  allow(matcher: Matcher, reply: Reply | ReplyFn = {}): this {
    this.#expectations.push({ matcher, reply, repeat: true, used: 0 });
    return this;
  }

  /** Expectations added with expect() that no command consumed. */
  pending(): Matcher[] {
    return this.#expectations.filter((e) => !e.repeat && e.used === 0).map((e) => e.matcher);
  }

  /** Throws when an expected command never ran. */
  assertDone(): void {
    const left = this.pending();
    if (left.length) throw new Error(`${this.host}: expected commands that never ran: ${left.map(String).join(', ')}`);
  }

  /** Display texts of the exec calls, in order. */
  get commands(): string[] {
    return this.calls.filter((c) => c.kind === 'exec').map((c) => c.command);
  }

  async exec(cmd: Command, opts: ExecOptions = {}): Promise<ExecResult> {
    if (isLookupBatch(cmd)) return this.#replayBatch(cmd, opts);
    if (isStepsScript(cmd)) return this.#replaySteps(cmd, opts);
    if (isWriteStep(cmd)) {
      // a write sent as a command (files.ts writeFileStep): recorded as the writeFile it stands for
      const { path, content, mode, owner } = cmd.write;
      await this.writeFile(path, content, { mode, ...(owner ? { owner } : {}) });
      return { code: 0, stdout: '', stderr: '', durationMs: 0 };
    }
    const display = maskSecrets(commandDisplay(cmd), opts.secrets ?? []); // as SshTransport shows it
    const call: RecordedCall = { kind: 'exec', command: display, text: commandText(cmd), opts };
    if (opts.stdin !== undefined) call.stdin = opts.stdin.toString();
    this.calls.push(call);
    const e = this.#expectations.find((x) => (x.repeat || x.used === 0) && matches(x.matcher, display));
    if (!e) throw new Error(`${this.host}: unexpected command: ${display}`);
    e.used++;
    const reply = typeof e.reply === 'function' ? await e.reply(call) : e.reply;
    const result: ExecResult = { code: reply.code ?? 0, stdout: reply.stdout ?? '', stderr: reply.stderr ?? '', durationMs: 0 };
    if (result.code !== 0 && !opts.allowFailure) throw new CommandError(this.host, display, result.code, result.stdout, result.stderr);
    return result;
  }

  /**
   * A batch of look-ups (see lookups.ts) is answered look-up by look-up, as if each had been sent alone: each is
   * recorded and must be expected like any command, and file reads come from the in-memory filesystem.
   */
  async #replayBatch(batch: LookupBatch, opts: ExecOptions): Promise<ExecResult> {
    const results: { code: number; stdout: string }[] = [];
    for (const l of batch.lookups) {
      if (l.kind === 'read') {
        const f = await this.readFile(l.path);
        results.push(f === null ? { code: READ_ABSENT_CODE, stdout: '' } : { code: 0, stdout: f.toString('utf8') });
      } else {
        const r = await this.exec(l.cmd, { ...opts, allowFailure: true });
        results.push({ code: r.code, stdout: r.stdout });
      }
    }
    return { code: 0, stdout: encodeLookupOutput(batch.marker, results), stderr: '', durationMs: 0 };
  }

  /** Steps in one round trip (see steps.ts) are answered step by step, each expected like any command, up to the first failure. */
  async #replaySteps(script: StepsScript, opts: ExecOptions): Promise<ExecResult> {
    const results: { code: number; stdout: string }[] = [];
    let stderr = '';
    for (const step of script.steps) {
      const r = await this.exec(step, { ...opts, allowFailure: true });
      results.push({ code: r.code, stdout: r.stdout });
      stderr += r.stderr;
      if (r.code !== 0) break;
    }
    const code = results.at(-1)?.code ?? 0;
    return { code, stdout: encodeStepsOutput(script.marker, results), stderr, durationMs: 0 };
  }

  async writeFile(path: string, content: string | Buffer, opts: WriteFileOptions = {}): Promise<void> {
    this.calls.push({ kind: 'writeFile', command: path, opts });
    this.files.set(path, { content: Buffer.from(content), mode: opts.mode ?? '0644', owner: opts.owner ?? 'root:root' });
  }

  async readFile(path: string): Promise<Buffer | null> {
    this.calls.push({ kind: 'readFile', command: path });
    const f = this.files.get(path);
    return f ? Buffer.from(f.content) : null;
  }

  /** Seed the in-memory filesystem. */
  setFile(path: string, content: string | Buffer, mode = '0644', owner = 'root:root'): this {
    this.files.set(path, { content: Buffer.from(content), mode, owner });
    return this;
  }

  fileText(path: string): string | undefined {
    return this.files.get(path)?.content.toString('utf8');
  }

  async upload(
    localPath: string,
    remotePath: string,
    opts: WriteFileOptions & { onProgress?: (sent: number, total: number) => void } = {},
  ): Promise<UploadResult> {
    this.calls.push({ kind: 'upload', command: remotePath, opts });
    const content = await readFile(localPath);
    const sha256 = createHash('sha256').update(content).digest('hex');
    const existing = this.files.get(remotePath);
    const same = existing !== undefined && createHash('sha256').update(existing.content).digest('hex') === sha256;
    this.files.set(remotePath, { content, mode: opts.mode ?? '0644', owner: opts.owner ?? 'root:root' });
    opts.onProgress?.(content.length, content.length);
    return { transferred: !same, bytes: content.length, sha256 };
  }

  async close(): Promise<void> {}
}
