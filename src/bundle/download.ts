/**
 * Resumable HTTP downloads: bytes go to DEST.part; a re-run continues with a Range request (or restarts when
 * the server ignores it); DEST appears only when complete and its sha256 is the expected one (from the repository
 * index or the publisher's checksum file: see artifacts.ts). There is no download without an expected checksum.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, statSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { once } from 'node:events';

export class DownloadError extends Error {
  constructor(
    readonly url: string,
    message: string,
  ) {
    super(`${url}: ${message}`);
    this.name = 'DownloadError';
  }
}

export interface DownloadOptions {
  fetch?: typeof fetch;
  /** The expected sha256 (hex): DEST must have it; an existing DEST with this sum is kept without any request. */
  sha256: string;
  onBytes?: (n: number, total?: number) => void;
  timeoutMs?: number;
}

async function sumOf(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return h.digest('hex');
}

async function get(f: typeof fetch, url: string, headers: Record<string, string>, timeoutMs: number): Promise<Response> {
  try {
    return await f(url, { headers, redirect: 'follow', signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new DownloadError(url, `cannot connect: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
  }
}

/** Download url to dest; returns the file's sha256 and whether bytes moved. */
export async function download(url: string, dest: string, opts: DownloadOptions): Promise<{ sha256: string; transferred: number }> {
  const f = opts.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? 600_000;
  if (existsSync(dest) && (await sumOf(dest)) === opts.sha256) return { sha256: opts.sha256, transferred: 0 };
  await mkdir(dirname(dest), { recursive: true });
  const part = `${dest}.part`;
  const have = existsSync(part) ? statSync(part).size : 0;
  const res = await get(f, url, have > 0 ? { range: `bytes=${have}-` } : {}, timeoutMs);
  if (res.status === 416 && have > 0) {
    await res.body?.cancel(); // the .part is already complete
  } else if (!res.ok || !res.body) {
    await res.body?.cancel();
    throw new DownloadError(url, `HTTP ${res.status}`);
  }
  let transferred = 0;
  if (res.status !== 416) {
    const append = res.status === 206 && have > 0;
    const length = Number(res.headers.get('content-length') ?? NaN);
    const total = Number.isNaN(length) ? undefined : length + (append ? have : 0);
    const ws = createWriteStream(part, { flags: append ? 'a' : 'w' });
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      transferred += chunk.length;
      opts.onBytes?.(chunk.length, total);
      if (!ws.write(chunk)) await once(ws, 'drain');
    }
    ws.end();
    await once(ws, 'finish');
  }
  const sum = await sumOf(part);
  if (sum !== opts.sha256) {
    await rm(part, { force: true });
    throw new DownloadError(url, `sha256 ${sum} does not match the expected ${opts.sha256}; the partial file was removed, run again`);
  }
  await rename(part, dest);
  return { sha256: sum, transferred };
}
