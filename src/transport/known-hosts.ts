/**
 * known_hosts reading and host key verification, as OpenSSH does it:
 * plain and hashed (`|1|salt|hmac`) host patterns, `[host]:port` for non-22 ports, wildcards and `!` negation,
 * `@revoked` markers. `strict` refuses unknown keys; `accept-new` records the first key of a host never seen
 * before; a changed key — or a key of a new type for a host already known with another — is always refused.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

export type HostKeyPolicy = 'strict' | 'accept-new';

export interface KnownHostEntry {
  /** 1-based line number in the file. */
  line: number;
  marker?: '@revoked' | '@cert-authority';
  patterns: string;
  keyType: string;
  /** base64 key blob, as written in the file. */
  key: string;
}

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split('\n').forEach((rawLine, i) => {
    const line = rawLine.trim();
    if (!line || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority') marker = fields.shift() as KnownHostEntry['marker'];
    const [patterns, keyType, key] = fields;
    if (!patterns || !keyType || !key) return;
    entries.push({ line: i + 1, ...(marker ? { marker } : {}), patterns, keyType, key });
  });
  return entries;
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise. */
export function hostToken(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function wildcardMatch(pattern: string, text: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 'i').test(text);
}

function hashedMatch(pattern: string, token: string): boolean {
  const [, magic, salt, hash] = pattern.split('|');
  if (magic !== '1' || !salt || !hash) return false;
  return createHmac('sha1', Buffer.from(salt, 'base64')).update(token).digest('base64') === hash;
}

/** Does this entry's host pattern list name host:port? (negated patterns veto a match) */
export function entryMatches(entry: KnownHostEntry, host: string, port: number): boolean {
  const token = hostToken(host, port);
  if (entry.patterns.startsWith('|')) return hashedMatch(entry.patterns, token);
  let matched = false;
  for (const p of entry.patterns.split(',')) {
    const negated = p.startsWith('!');
    const pattern = negated ? p.slice(1) : p;
    if (wildcardMatch(pattern, token)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/** The key type named inside a public key blob (its first SSH string). */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** `SHA256:...` as `ssh-keygen -l` prints it. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

export type HostKeyStatus =
  | { status: 'known'; entry: KnownHostEntry }
  | { status: 'unknown' }
  /** The host is known, but only with keys of other types: never recorded automatically (accept-new refuses it). */
  | { status: 'other-type'; entries: KnownHostEntry[] }
  | { status: 'changed'; entry: KnownHostEntry }
  | { status: 'revoked'; entry: KnownHostEntry };

export function checkHostKey(entries: readonly KnownHostEntry[], host: string, port: number, blob: Buffer): HostKeyStatus {
  const presented = blob.toString('base64');
  const type = keyTypeOf(blob);
  const mine = entries.filter((e) => entryMatches(e, host, port) && e.marker !== '@cert-authority');
  const revoked = mine.find((e) => e.marker === '@revoked' && e.key === presented);
  if (revoked) return { status: 'revoked', entry: revoked };
  const plain = mine.filter((e) => !e.marker);
  const same = plain.find((e) => e.key === presented);
  if (same) return { status: 'known', entry: same };
  const changed = plain.find((e) => e.keyType === type);
  if (changed) return { status: 'changed', entry: changed };
  return plain.length ? { status: 'other-type', entries: plain } : { status: 'unknown' };
}

/** Key types already recorded for host:port, so the handshake can prefer them (as OpenSSH does). */
export function knownKeyTypes(entries: readonly KnownHostEntry[], host: string, port: number): string[] {
  const types = entries.filter((e) => !e.marker && entryMatches(e, host, port)).map((e) => e.keyType);
  const algos = types.flatMap((t) => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t]));
  return [...new Set(algos)];
}

export function readKnownHosts(path: string): KnownHostEntry[] {
  return existsSync(path) ? parseKnownHosts(readFileSync(path, 'utf8')) : [];
}

/** `|1|salt|hmac` as written by OpenSSH with HashKnownHosts yes. */
export function hashHostToken(token: string, salt: Buffer = randomBytes(20)): string {
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(token).digest('base64')}`;
}

/** Append a key; hashed when the file already holds hashed entries (so we follow the operator's choice). */
export function appendKnownHost(path: string, host: string, port: number, blob: Buffer): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const hashed = readKnownHosts(path).some((e) => e.patterns.startsWith('|1|'));
  const token = hashed ? hashHostToken(hostToken(host, port)) : hostToken(host, port);
  appendFileSync(path, `${token} ${keyTypeOf(blob)} ${blob.toString('base64')}\n`, { mode: 0o600 });
}

function shortType(type: string): string {
  return type
    .replace(/^ssh-/, '')
    .replace(/^ecdsa-sha2-.*/, 'ecdsa')
    .replace(/^rsa-sha2-.*/, 'rsa');
}

export interface HostKeyCheck {
  host: string;
  port: number;
  knownHostsPath: string;
  /** How the path is shown in messages (e.g. with ~). */
  knownHostsLabel?: string;
  policy: HostKeyPolicy;
}

/**
 * Decide about a presented key. Returns null when accepted (recording it under accept-new),
 * or a message explaining the refusal and what the operator should check.
 */
export function verifyHostKey(check: HostKeyCheck, blob: Buffer): string | null {
  const { host, port, knownHostsPath, policy } = check;
  const file = check.knownHostsLabel ?? knownHostsPath;
  const token = hostToken(host, port);
  const type = keyTypeOf(blob);
  const fp = fingerprint(blob);
  const result = checkHostKey(readKnownHosts(knownHostsPath), host, port, blob);
  switch (result.status) {
    case 'known':
      return null;
    case 'revoked':
      return `host key for ${token} (${type} ${fp}) is marked @revoked in ${file}:${result.entry.line}; refusing to connect`;
    case 'changed': {
      const old = fingerprint(Buffer.from(result.entry.key, 'base64'));
      return (
        `host key for ${token} has CHANGED: the host presented ${type} ${fp} but ${file}:${result.entry.line} records ${old}. ` +
        `This can be a man-in-the-middle attack or a reinstalled host. Check the fingerprint on the host's console ` +
        `(ssh-keygen -lf /etc/ssh/ssh_host_${shortType(type)}_key.pub); if the new key is expected, remove the old entry with ` +
        `ssh-keygen -R '${token}' -f ${file} and connect again.`
      );
    }
    case 'other-type': {
      const known = result.entries.map((e) => `${e.keyType} (${file}:${e.line})`).join(', ');
      return (
        `host key for ${token} is not the one recorded: the host presented ${type} ${fp}, but ${file} knows this host only ` +
        `by ${known}. A host that stops offering its known key can be a man-in-the-middle; accept-new records keys of new hosts ` +
        `only. Check the fingerprint on the host's console (ssh-keygen -lf /etc/ssh/ssh_host_${shortType(type)}_key.pub); if it is ` +
        `expected, add it with: ssh-keyscan -p ${port} -t ${shortType(type)} ${host} >> ${file}`
      );
    }
    case 'unknown':
      if (policy === 'accept-new') {
        appendKnownHost(knownHostsPath, host, port, blob);
        return null;
      }
      return (
        `host key for ${token} is not in ${file} (presented ${type} ${fp}). Verify the fingerprint on the host ` +
        `(ssh-keygen -lf /etc/ssh/ssh_host_${shortType(type)}_key.pub), then add it with: ` +
        `ssh-keyscan -p ${port} -t ${shortType(type)} ${host} >> ${file} — or set spec.ssh.hostKeyPolicy: accept-new to record first-seen keys.`
      );
  }
}
