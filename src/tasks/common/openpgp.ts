/**
 * Just enough OpenPGP (RFC 4880 / RFC 9580) to tell whether a file is a usable public keyring: the ASCII armor
 * (with its CRC-24), the packet framing, and the fingerprints of the primary keys. Nothing is decrypted or verified
 * here — apt does that with the keyring — this only keeps an empty file, an HTML error page or a truncated download
 * from being accepted as a signing key.
 */
import { createHash } from 'node:crypto';

const PUBLIC_KEY = 6;
/** Packets a transferable public key may hold: signature, public key/subkey, user id/attribute, trust, marker, padding. */
const KEY_PACKETS = new Set([2, 6, 10, 12, 13, 14, 17, 21]);

const ARMOR = /-----BEGIN PGP PUBLIC KEY BLOCK-----\r?\n([\s\S]*?)-----END PGP PUBLIC KEY BLOCK-----/;

function crc24(data: Buffer): number {
  let crc = 0xb704ce;
  for (const byte of data) {
    crc ^= byte << 16;
    for (let i = 0; i < 8; i++) {
      crc <<= 1;
      if (crc & 0x1000000) crc ^= 0x1864cfb;
    }
  }
  return crc & 0xffffff;
}

/** The binary packets of an armored public key block (checksum verified), or undefined when it is not one. */
export function dearmor(text: string): Buffer | undefined {
  const block = ARMOR.exec(text)?.[1];
  if (block === undefined) return undefined;
  const lines = block.split(/\r?\n/);
  const blank = lines.findIndex((l) => l.trim() === ''); // armor headers end at the first blank line
  const body = lines
    .slice(blank + 1)
    .map((l) => l.trim())
    .filter(Boolean);
  const sum = body.at(-1)?.startsWith('=') ? body.pop()!.slice(1) : undefined;
  const b64 = body.join('');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) return undefined;
  const data = Buffer.from(b64, 'base64');
  if (sum !== undefined && Buffer.from(sum, 'base64').readUIntBE(0, 3) !== crc24(data)) return undefined;
  return data;
}

interface Packet {
  tag: number;
  body: Buffer;
}

function packets(data: Buffer): Packet[] | undefined {
  const out: Packet[] = [];
  let at = 0;
  while (at < data.length) {
    const head = data[at]!;
    if (!(head & 0x80)) return undefined;
    let tag: number;
    let len: number;
    let start: number;
    if (head & 0x40) {
      tag = head & 0x3f;
      const o1 = data[at + 1];
      if (o1 === undefined) return undefined;
      if (o1 < 192) [len, start] = [o1, at + 2];
      else if (o1 < 224) [len, start] = [((o1 - 192) << 8) + (data[at + 2] ?? 0) + 192, at + 3];
      else if (o1 === 255) [len, start] = [data.length >= at + 6 ? data.readUInt32BE(at + 2) : -1, at + 6];
      else return undefined; // partial lengths never occur in keys
    } else {
      tag = (head >> 2) & 0x0f;
      const size = [1, 2, 4][head & 3];
      if (size === undefined || data.length < at + 1 + size) return undefined; // indeterminate length
      [len, start] = [data.readUIntBE(at + 1, size), at + 1 + size];
    }
    if (len < 0 || start + len > data.length) return undefined;
    out.push({ tag, body: data.subarray(start, start + len) });
    at = start + len;
  }
  return out;
}

function fingerprint(body: Buffer): string | undefined {
  const version = body[0];
  if (version === 4) {
    const head = Buffer.from([0x99, body.length >> 8, body.length & 0xff]);
    return createHash('sha1').update(head).update(body).digest('hex').toUpperCase();
  }
  if (version === 5 || version === 6) {
    const head = Buffer.alloc(5);
    head[0] = version === 5 ? 0x9a : 0x9b;
    head.writeUInt32BE(body.length, 1);
    return createHash('sha256').update(head).update(body).digest('hex').toUpperCase();
  }
  return undefined;
}

/**
 * The fingerprints of the primary keys in a public keyring (binary, or one armored block): empty when the bytes are
 * not a well-formed keyring that starts with a public key.
 */
export function keyringFingerprints(bytes: Buffer): string[] {
  const text = bytes.subarray(0, 64).toString('latin1');
  const data = text.includes('-----BEGIN PGP') ? dearmor(bytes.toString('latin1')) : bytes;
  const list = data && data.length ? packets(data) : undefined;
  if (!list || list[0]?.tag !== PUBLIC_KEY || list.some((p) => !KEY_PACKETS.has(p.tag))) return [];
  const fps = list.filter((p) => p.tag === PUBLIC_KEY).map((p) => fingerprint(p.body));
  return fps.every((f) => f !== undefined) ? (fps as string[]) : [];
}
