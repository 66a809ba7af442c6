/**
 * The few fields of a PKCS#10 certificate request (RFC 2986) the CSR approver judges: the subject's CN and O, and the
 * subjectAltName extension's DNS names and IP addresses (RFC 5280 4.2.1.6) from the extensionRequest attribute
 * (PKCS#9 1.2.840.113549.1.9.14). Node's crypto parses certificates but not requests, so this is a minimal DER walk:
 * definite lengths only (DER has no others), anything it does not recognise makes it throw, never guess.
 */

interface Tlv {
  tag: number;
  /** The value's bytes. */
  value: Buffer;
  /** Offset just past this element in the buffer it was read from. */
  end: number;
}

function readTlv(buf: Buffer, at: number): Tlv {
  if (at + 2 > buf.length) throw new Error('truncated DER element');
  const tag = buf[at]!;
  if ((tag & 0x1f) === 0x1f) throw new Error('multi-byte DER tags are not expected in a certificate request');
  let len = buf[at + 1]!;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > buf.length) throw new Error('bad DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i]!;
    start += n;
  }
  if (start + len > buf.length) throw new Error('truncated DER element');
  return { tag, value: buf.subarray(start, start + len), end: start + len };
}

/** The elements of a constructed value, in order. */
function children(value: Buffer): Tlv[] {
  const out: Tlv[] = [];
  for (let at = 0; at < value.length; at = out[out.length - 1]!.end) out.push(readTlv(value, at));
  return out;
}

function oid(value: Buffer): string {
  const parts = [Math.floor(value[0]! / 40), value[0]! % 40];
  let n = 0;
  for (const b of value.subarray(1)) {
    n = n * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      parts.push(n);
      n = 0;
    }
  }
  return parts.join('.');
}

function ipText(bytes: Buffer): string {
  if (bytes.length === 4) return [...bytes].join('.');
  if (bytes.length !== 16) throw new Error(`an IP SAN of ${bytes.length} bytes`);
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  return canonicalIp(groups.join(':'));
}

/** An address in one spelling for comparison: IPv4 as is, IPv6 lower-case and fully expanded. */
export function canonicalIp(ip: string): string {
  if (!ip.includes(':')) return ip;
  const [head, tail = ''] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = ip.includes('::') && tail ? tail.split(':') : [];
  const fill = ip.includes('::') ? Array(8 - left.length - right.length).fill('0') : [];
  return [...left, ...fill, ...right].map((g) => g.replace(/^0+(?=.)/, '')).join(':');
}

export interface CsrFacts {
  commonName?: string;
  organizations: string[];
  dnsNames: string[];
  ipAddresses: string[];
  /** SAN entries of other kinds (email, URI, …), as "type N": a kubelet never asks for these. */
  otherNames: string[];
}

const OID_CN = '2.5.4.3';
const OID_O = '2.5.4.10';
const OID_EXTENSION_REQUEST = '1.2.840.113549.1.9.14';
const OID_SAN = '2.5.29.17';

function subjectFacts(name: Tlv, facts: CsrFacts): void {
  for (const rdn of children(name.value))
    for (const atv of children(rdn.value)) {
      const [type, value] = children(atv.value);
      const text = value!.value.toString('utf8');
      if (oid(type!.value) === OID_CN) facts.commonName = text;
      if (oid(type!.value) === OID_O) facts.organizations.push(text);
    }
}

function sanFacts(generalNames: Buffer, facts: CsrFacts): void {
  for (const gn of children(readTlv(generalNames, 0).value)) {
    if (gn.tag === 0x82) facts.dnsNames.push(gn.value.toString('ascii'));
    else if (gn.tag === 0x87) facts.ipAddresses.push(ipText(gn.value));
    else facts.otherNames.push(`type ${gn.tag & 0x1f}`);
  }
}

/** Subject and SANs of a PEM "CERTIFICATE REQUEST". Throws on anything that is not one. */
export function parseCsrPem(pem: string): CsrFacts {
  const body = /-----BEGIN (?:NEW )?CERTIFICATE REQUEST-----([\s\S]+?)-----END (?:NEW )?CERTIFICATE REQUEST-----/.exec(pem)?.[1];
  if (!body) throw new Error('not a PEM certificate request');
  const der = Buffer.from(body.replace(/\s+/g, ''), 'base64');
  const [info] = children(readTlv(der, 0).value);
  const [, subject, , attributes] = children(info!.value);
  if (subject?.tag !== 0x30) throw new Error('certificate request without a subject');
  const facts: CsrFacts = { organizations: [], dnsNames: [], ipAddresses: [], otherNames: [] };
  subjectFacts(subject!, facts);
  if (attributes?.tag !== 0xa0) return facts;
  for (const attr of children(attributes.value)) {
    const [type, values] = children(attr.value);
    if (oid(type!.value) !== OID_EXTENSION_REQUEST) continue;
    for (const extensions of children(values!.value))
      for (const ext of children(extensions.value)) {
        const parts = children(ext.value);
        if (oid(parts[0]!.value) === OID_SAN) sanFacts(parts[parts.length - 1]!.value, facts);
      }
  }
  return facts;
}
