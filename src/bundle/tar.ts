/**
 * Minimal ustar writing and reading for OCI image archives (short names only: oci-layout, index.json,
 * blobs/sha256/<64 hex>). Writing streams file contents from disk, so layers of any size never sit in memory.
 */
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { rename, stat } from 'node:fs/promises';
import { once } from 'node:events';

export interface TarEntry {
  name: string;
  /** Either the bytes, or a file on disk to stream. */
  data?: Buffer;
  file?: string;
}

function header(name: string, size: number): Buffer {
  if (Buffer.byteLength(name) > 100) throw new Error(`tar entry name too long: ${name}`);
  const h = Buffer.alloc(512, 0);
  h.write(name, 0, 100, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(size.toString(8).padStart(11, '0') + '\0', 124);
  h.write('00000000000\0', 136); // mtime 0: archives are byte-for-byte reproducible
  h.write('        ', 148);
  h.write('0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return h;
}

/** Write a tar to `out` (via out.part, renamed at the end). */
export async function writeTar(out: string, entries: TarEntry[]): Promise<void> {
  const part = `${out}.part`;
  const ws = createWriteStream(part);
  const write = async (b: Buffer) => {
    if (!ws.write(b)) await once(ws, 'drain');
  };
  for (const e of entries) {
    const size = e.data ? e.data.length : (await stat(e.file!)).size;
    await write(header(e.name, size));
    if (e.data) await write(e.data);
    else for await (const chunk of createReadStream(e.file!)) await write(chunk as Buffer);
    if (size % 512) await write(Buffer.alloc(512 - (size % 512)));
  }
  await write(Buffer.alloc(1024));
  ws.end();
  await once(ws, 'finish');
  await rename(part, out);
}

/** Every regular file of a tar, by name. */
export function readTar(path: string): Map<string, Buffer> {
  const buf = readFileSync(path);
  const files = new Map<string, Buffer>();
  let off = 0;
  while (off + 512 <= buf.length) {
    const h = buf.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const field = (start: number, len: number) => h.subarray(start, start + len).toString('utf8').replace(/\0.*$/s, '');
    const prefix = field(345, 155);
    const name = (prefix ? `${prefix}/` : '') + field(0, 100);
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const type = field(156, 1) || '0';
    off += 512;
    if (off + size > buf.length) throw new Error(`${path}: truncated tar (entry ${name})`);
    if (type === '0') files.set(name.replace(/^\.\//, ''), buf.subarray(off, off + size));
    off += Math.ceil(size / 512) * 512;
  }
  return files;
}
