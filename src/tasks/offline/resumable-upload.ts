/**
 * Uploads that survive an interruption: bytes are appended to REMOTE.part in chunks (one `cat >>` per chunk over
 * the open connection); a later run asks how much of REMOTE.part exists, checks that prefix's sha256 against the
 * local file, and sends only the rest. REMOTE appears (mode set, atomic rename) only once the whole file's sha256
 * matches. Transport.upload stays the tool for small files; this is for bundle archives of hundreds of MiB.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { posix } from 'node:path';
import { sh } from '../../transport/command.js';
import type { Transport } from '../../transport/types.js';

export const CHUNK_BYTES = 8 * 1024 * 1024;

export interface ResumableUploadOptions {
  size: number;
  sha256: string;
  mode?: string;
  chunkBytes?: number;
  onProgress?: (sent: number, total: number) => void;
}

async function localPrefixSum(path: string, bytes: number): Promise<string> {
  const hash = createHash('sha256');
  const fd = await open(path, 'r');
  try {
    const buf = Buffer.alloc(Math.min(bytes, CHUNK_BYTES) || 1);
    for (let pos = 0; pos < bytes; ) {
      const { bytesRead } = await fd.read(buf, 0, Math.min(buf.length, bytes - pos), pos);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
      pos += bytesRead;
    }
  } finally {
    await fd.close();
  }
  return hash.digest('hex');
}

/** Returns the bytes sent (0 when nothing was missing but the final rename). */
export async function resumableUpload(
  t: Transport,
  local: string,
  remote: string,
  o: ResumableUploadOptions,
): Promise<{ sent: number; resumedAt: number }> {
  const part = `${remote}.part`;
  const probe = await t.exec(
    sh`set -e; mkdir -p -- ${posix.dirname(remote)}; if [ -f ${part} ]; then n=$(stat -c %s -- ${part}); echo "$n $(head -c "$n" -- ${part} | sha256sum | cut -d' ' -f1)"; else echo "0 -"; fi`,
    { timeoutMs: 600_000 },
  );
  const [nText, prefixSum] = probe.stdout.trim().split(/\s+/);
  let offset = Number(nText) || 0;
  if (offset > o.size || (offset > 0 && prefixSum !== (await localPrefixSum(local, offset)))) offset = 0; // not a prefix of this file
  const resumedAt = offset;
  const chunk = o.chunkBytes ?? CHUNK_BYTES;
  const fd = await open(local, 'r');
  let sent = 0;
  try {
    const buf = Buffer.alloc(Math.max(1, Math.min(chunk, o.size)));
    if (offset === 0) await t.exec(sh`: > ${part}`);
    while (offset < o.size) {
      const { bytesRead } = await fd.read(buf, 0, Math.min(buf.length, o.size - offset), offset);
      if (bytesRead === 0) throw new Error(`${local}: shorter than ${o.size} bytes`);
      await t.exec(sh`cat >> ${part}`, { stdin: Buffer.from(buf.subarray(0, bytesRead)), timeoutMs: 600_000 });
      offset += bytesRead;
      sent += bytesRead;
      o.onProgress?.(offset, o.size);
    }
  } finally {
    await fd.close();
  }
  await finishPart(t, part, remote, o.sha256, o.mode ?? '0644');
  return { sent, resumedAt };
}

/** REMOTE appears (mode set, atomic rename) only when the whole PART matches the sha256; a mismatching PART is removed. */
export async function finishPart(t: Transport, part: string, remote: string, sha256: string, mode: string): Promise<void> {
  await t.exec(
    sh`set -e; got=$(sha256sum < ${part} | cut -d' ' -f1); if [ "$got" != ${sha256} ]; then rm -f -- ${part}; echo "checksum mismatch after upload: $got" >&2; exit 1; fi; chmod ${mode} ${part}; mv -f -- ${part} ${remote}`,
    { timeoutMs: 600_000 },
  );
}
