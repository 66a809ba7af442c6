/**
 * Minimal ustar writing and reading for OCI image archives (short names only: oci-layout, index.json,
 * blobs/sha256/<64 hex>). Neither side holds an archive in memory: writing streams file contents from disk, reading
 * lists headers with positioned reads and streams a member's bytes, so archives past 2 GiB (the most
 * fs.readFile can return: ERR_FS_FILE_TOO_LARGE) work like small ones.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { Readable } from 'node:stream';

export interface TarEntry {
  name: string;
  /** Either the bytes, or a file on disk to stream. */
  data?: Buffer;
  file?: string;
}

/** A ustar header (mode 0644, owner 0, mtime 0): what writeTar puts before each member. */
export function tarHeader(name: string, size: number): Buffer {
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
    await write(tarHeader(e.name, size));
    if (e.data) await write(e.data);
    else for await (const chunk of createReadStream(e.file!)) await write(chunk as Buffer);
    if (size % 512) await write(Buffer.alloc(512 - (size % 512)));
  }
  await write(Buffer.alloc(1024));
  ws.end();
  await once(ws, 'finish');
  await rename(part, out);
}

/** One member of a tar: its type ('0' file, '5' directory, '2' symlink, '1' hard link, …), where its bytes are. */
export interface TarMember {
  /** The name with a leading "./" dropped. */
  name: string;
  /** The name exactly as stored (what `tar -x` must be given to select this member). */
  raw: string;
  type: string;
  /** Byte offset of the content in the tar file. */
  offset: number;
  size: number;
}

const field = (h: Buffer, start: number, len: number) =>
  h
    .subarray(start, start + len)
    .toString('utf8')
    .replace(/\0.*$/s, '');

/** A numeric header field: octal text, or base-256 (first byte 0x80) for sizes of 8 GiB and more. */
function numeric(h: Buffer, start: number, len: number): number {
  if (h[start]! & 0x80) {
    let n = h[start]! & 0x7f;
    for (let i = start + 1; i < start + len; i++) n = n * 256 + h[i]!;
    return n;
  }
  return parseInt(field(h, start, len).trim() || '0', 8);
}

/** pax extended header records ("LEN key=value\n"…) → key → value. */
function paxRecords(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of data.toString('utf8').matchAll(/^\d+ ([^=]+)=(.*)$/gm)) out[m[1]!] = m[2]!;
  return out;
}

/**
 * Walk a tar's members, reading headers only (`read(offset, length)` returns those bytes): content is skipped,
 * so an archive of any size is listed without holding it. pax and GNU long names apply to the next member.
 */
async function walk(read: (offset: number, length: number) => Promise<Buffer>, where: string): Promise<TarMember[]> {
  const members: TarMember[] = [];
  let off = 0;
  let longName: string | undefined;
  for (;;) {
    const h = await read(off, 512);
    if (h.length < 512) throw new Error(`${where}: truncated tar (no end marker)`);
    if (h.every((b) => b === 0)) break;
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
    if (sum !== numeric(h, 148, 8)) throw new Error(`${where}: not a tar (bad header checksum at byte ${off})`);
    const prefix = field(h, 345, 155);
    const size = numeric(h, 124, 12);
    const type = field(h, 156, 1) || '0';
    const name = longName ?? (prefix ? `${prefix}/` : '') + field(h, 0, 100);
    longName = undefined;
    off += 512;
    if (type === 'x' || type === 'L') {
      if (size > 1024 * 1024) throw new Error(`${where}: oversized ${type === 'x' ? 'pax' : 'long name'} header`);
      const data = await read(off, size);
      longName = type === 'x' ? paxRecords(data).path : data.toString('utf8').replace(/\0.*$/s, '');
    } else if (type !== 'g') {
      members.push({ name: name.replace(/^\.\//, ''), raw: name, type: type === '\0' ? '0' : type, offset: off, size });
    }
    off += Math.ceil(size / 512) * 512;
  }
  return members;
}

/** The members of a tar file on disk (positioned reads of headers only). */
export async function tarMembers(path: string): Promise<TarMember[]> {
  const fh = await open(path, 'r');
  try {
    const total = (await fh.stat()).size;
    return await walk(async (offset, length) => {
      if (offset + length > total) return Buffer.alloc(0);
      const buf = Buffer.alloc(length);
      await fh.read(buf, 0, length, offset);
      return buf;
    }, path);
  } finally {
    await fh.close();
  }
}

/** The members of a tar arriving as a stream (a gunzipped release archive): content is read past, never kept. */
export async function tarMembersOfStream(stream: AsyncIterable<Buffer>, where: string): Promise<TarMember[]> {
  const it = stream[Symbol.asyncIterator]();
  let buf: Buffer = Buffer.alloc(0);
  let base = 0; // stream offset of buf[0]
  return walk(async (offset, length) => {
    if (offset > base + buf.length) {
      // skip content: drop what is buffered and read past the rest
      let skip = offset - (base + buf.length);
      base += buf.length;
      buf = Buffer.alloc(0);
      while (skip > 0) {
        const r = await it.next();
        if (r.done) return Buffer.alloc(0);
        if (r.value.length <= skip) {
          skip -= r.value.length;
          base += r.value.length;
        } else {
          buf = r.value.subarray(skip);
          base += skip;
          skip = 0;
        }
      }
    } else {
      buf = buf.subarray(offset - base);
      base = offset;
    }
    while (buf.length < length) {
      const r = await it.next();
      if (r.done) break;
      buf = Buffer.concat([buf, r.value]);
    }
    return buf.subarray(0, length);
  }, where);
}

/** The content of one (small) member; refused above `cap` bytes. */
export async function readMember(path: string, m: TarMember, cap: number): Promise<Buffer> {
  if (m.size > cap) throw new Error(`${path}: ${m.name} has ${m.size} bytes, more than the ${cap}-byte cap`);
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(m.size);
    await fh.read(buf, 0, m.size, m.offset);
    return buf;
  } finally {
    await fh.close();
  }
}

/** A member's content as a stream (for layers of any size). */
export function memberStream(path: string, m: TarMember): Readable {
  return m.size === 0 ? Readable.from([]) : createReadStream(path, { start: m.offset, end: m.offset + m.size - 1 });
}
