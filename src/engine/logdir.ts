/**
 * The per-run log folder: `.kubesmith/runs/<timestamp>/` (or --log-dir) with
 * - `<host>.log`: every command run on that host, its exit code, duration, stdout and stderr, and task lines;
 * - `run.jsonl`: every RunEvent, one JSON object per line.
 * The transport masks secrets already; everything written here is masked again with the run's known secrets.
 */
import { closeSync, existsSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { maskSecrets } from '../transport/command.js';
import type { CommandRecord } from '../transport/ssh.js';
import { stampOf } from './stamp.js';
import type { RunEvent } from './types.js';

/** "20261127T040506Z": a folder name that sorts by time (src/engine/stamp.ts). */
export const runFolderName = stampOf;

/** Where a run's logs go: --log-dir as given, else <cwd>/.kubesmith/runs/<timestamp>[-n]/. */
export function defaultLogDir(cwd: string, at: Date): string {
  const base = join(cwd, '.kubesmith', 'runs', runFolderName(at));
  let dir = base;
  for (let n = 2; existsSync(dir); n++) dir = `${base}-${n}`;
  return dir;
}

function indent(text: string): string {
  return text
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}

export class RunLog {
  readonly dir: string;
  readonly #files = new Map<string, number>();
  readonly #secrets = new Set<string>();
  readonly #pending = new Map<string, string[]>();
  #flushing = false;
  #closed = false;

  constructor(dir: string) {
    this.dir = resolve(dir);
    mkdirSync(this.dir, { recursive: true });
  }

  /** Values to mask in everything written from now on (passwords, tokens). */
  addSecrets(values: Iterable<string>): void {
    for (const v of values) if (v) this.#secrets.add(v);
  }

  /**
   * Lines written in one turn of the event loop go out in one write per file (a run of 50 hosts makes thousands of
   * lines; one synchronous write each cost a third of the engine's time). close() flushes what is left.
   */
  #write(file: string, text: string): void {
    if (this.#closed) return;
    const masked = maskSecrets(text, [...this.#secrets]);
    const chunks = this.#pending.get(file);
    if (chunks) chunks.push(masked);
    else this.#pending.set(file, [masked]);
    if (!this.#flushing) {
      this.#flushing = true;
      setImmediate(() => this.#flush());
    }
  }

  #flush(): void {
    this.#flushing = false;
    for (const [file, chunks] of this.#pending) {
      let fd = this.#files.get(file);
      if (fd === undefined) {
        fd = openSync(join(this.dir, file), 'a', 0o600);
        this.#files.set(file, fd);
      }
      writeSync(fd, chunks.join(''));
    }
    this.#pending.clear();
  }

  #hostFile(host: string): string {
    return `${host.replace(/[^A-Za-z0-9._-]/g, '_')}.log`;
  }

  /** A command record from the connection pool's onCommand. */
  command(rec: CommandRecord): void {
    const lines = [`${new Date().toISOString()} $ ${rec.command}`, `  exit ${rec.code} (${rec.durationMs} ms)`];
    if (rec.stdout.trim()) lines.push('  stdout:', indent(rec.stdout));
    if (rec.stderr.trim()) lines.push('  stderr:', indent(rec.stderr));
    this.#write(this.#hostFile(rec.host), lines.join('\n') + '\n');
  }

  /** A task line for a host (ctx.log, outcomes). */
  hostLine(host: string, message: string): void {
    this.#write(this.#hostFile(host), `${new Date().toISOString()} # ${message}\n`);
  }

  event(event: RunEvent): void {
    this.#write('run.jsonl', JSON.stringify(event) + '\n');
  }

  close(): void {
    this.#flush();
    this.#closed = true;
    for (const fd of this.#files.values()) closeSync(fd);
    this.#files.clear();
  }
}
