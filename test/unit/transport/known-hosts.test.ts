import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkHostKey,
  entryMatches,
  fingerprint,
  hashHostToken,
  hostToken,
  keyTypeOf,
  knownKeyTypes,
  parseKnownHosts,
  verifyHostKey,
} from '../../../src/transport/known-hosts.js';

let dir: string;
let keyA: { type: string; b64: string; blob: Buffer; fp: string };
let keyB: typeof keyA;

function makeKey(name: string): typeof keyA {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file]);
  const [type, b64] = readFileSync(`${file}.pub`, 'utf8').split(' ') as [string, string];
  const fp = execFileSync('ssh-keygen', ['-l', '-f', `${file}.pub`], { encoding: 'utf8' }).split(' ')[1]!;
  return { type, b64, blob: Buffer.from(b64, 'base64'), fp };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ks-kh-'));
  keyA = makeKey('a');
  keyB = makeKey('b');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('known_hosts parsing', () => {
  it('reads plain, bracketed-port, marked and commented lines with line numbers', () => {
    const text = `# comment\n\nhost1,10.0.0.1 ${keyA.type} ${keyA.b64}\n[10.0.0.2]:2222 ${keyA.type} ${keyA.b64} me@x\n@revoked * ${keyB.type} ${keyB.b64}\n`;
    const entries = parseKnownHosts(text);
    expect(entries.map((e) => e.line)).toEqual([3, 4, 5]);
    expect(entries[2]!.marker).toBe('@revoked');
    expect(entryMatches(entries[0]!, '10.0.0.1', 22)).toBe(true);
    expect(entryMatches(entries[0]!, '10.0.0.1', 2222)).toBe(false);
    expect(entryMatches(entries[1]!, '10.0.0.2', 2222)).toBe(true);
    expect(entryMatches(entries[1]!, '10.0.0.2', 22)).toBe(false);
  });

  it('matches hashed entries written by ssh-keygen -H (port 22 and [host]:port)', () => {
    const file = join(dir, 'kh-hashed');
    writeFileSync(file, `10.1.2.3 ${keyA.type} ${keyA.b64}\n[10.1.2.4]:2200 ${keyA.type} ${keyA.b64}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    const entries = parseKnownHosts(readFileSync(file, 'utf8'));
    expect(entries.every((e) => e.patterns.startsWith('|1|'))).toBe(true);
    expect(entryMatches(entries[0]!, '10.1.2.3', 22)).toBe(true);
    expect(entryMatches(entries[0]!, '10.1.2.9', 22)).toBe(false);
    expect(entryMatches(entries[1]!, '10.1.2.4', 2200)).toBe(true);
    expect(entryMatches(entries[1]!, '10.1.2.4', 22)).toBe(false);
  });

  it('supports wildcards and negation', () => {
    const [e] = parseKnownHosts(`10.0.*,!10.0.0.7 ${keyA.type} ${keyA.b64}`);
    expect(entryMatches(e!, '10.0.3.1', 22)).toBe(true);
    expect(entryMatches(e!, '10.0.0.7', 22)).toBe(false);
    expect(entryMatches(e!, '10.1.0.1', 22)).toBe(false);
  });

  it('computes the same fingerprint and key type as ssh-keygen', () => {
    expect(fingerprint(keyA.blob)).toBe(keyA.fp);
    expect(keyTypeOf(keyA.blob)).toBe('ssh-ed25519');
    expect(hostToken('h', 22)).toBe('h');
    expect(hostToken('h', 2222)).toBe('[h]:2222');
  });
});

describe('host key decisions', () => {
  const entriesFor = (b64: string) => parseKnownHosts(`x ${keyA.type} ${keyA.b64}\n[127.0.0.1]:2022 ssh-ed25519 ${b64}\n`);

  it('known, changed, unknown and revoked', () => {
    expect(checkHostKey(entriesFor(keyA.b64), '127.0.0.1', 2022, keyA.blob).status).toBe('known');
    const changed = checkHostKey(entriesFor(keyB.b64), '127.0.0.1', 2022, keyA.blob);
    expect(changed).toMatchObject({ status: 'changed', entry: { line: 2 } });
    expect(checkHostKey(entriesFor(keyA.b64), '127.0.0.2', 2022, keyA.blob).status).toBe('unknown');
    const revoked = parseKnownHosts(`@revoked * ${keyA.type} ${keyA.b64}\n* ${keyA.type} ${keyA.b64}`);
    expect(checkHostKey(revoked, 'h', 22, keyA.blob).status).toBe('revoked');
  });

  it('prefers key types already recorded', () => {
    expect(knownKeyTypes(parseKnownHosts(`h ssh-rsa AAAA\nh ssh-ed25519 AAAA`), 'h', 22)).toEqual([
      'rsa-sha2-512',
      'rsa-sha2-256',
      'ssh-rsa',
      'ssh-ed25519',
    ]);
  });

  it('accept-new writes hashed entries when the file already uses them', () => {
    const file = join(dir, 'kh-hashed-new');
    writeFileSync(file, `${hashHostToken('10.9.9.9')} ${keyB.type} ${keyB.b64}\n`);
    expect(verifyHostKey({ host: '127.0.0.1', port: 2022, knownHostsPath: file, policy: 'accept-new' }, keyA.blob)).toBeNull();
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines[1]).toMatch(/^\|1\|/);
    expect(lines[1]).not.toContain('127.0.0.1');
    // OpenSSH itself finds the hashed entry
    expect(execFileSync('ssh-keygen', ['-F', '[127.0.0.1]:2022', '-f', file], { encoding: 'utf8' })).toContain(keyA.b64);
    expect(verifyHostKey({ host: '127.0.0.1', port: 2022, knownHostsPath: file, policy: 'strict' }, keyA.blob)).toBeNull();
  });

  it('strict refuses an unknown key and explains how to add it', () => {
    const file = join(dir, 'kh-strict');
    const msg = verifyHostKey({ host: '127.0.0.1', port: 2022, knownHostsPath: file, policy: 'strict' }, keyA.blob);
    expect(msg).toContain('not in');
    expect(msg).toContain(keyA.fp);
    expect(msg).toContain('ssh-keyscan -p 2022');
  });

  it('accept-new records the first key, then accepts it and refuses a changed one naming file:line', () => {
    const file = join(dir, 'sub', 'kh-new');
    const check = { host: '127.0.0.1', port: 2022, knownHostsPath: file, policy: 'accept-new' as const };
    expect(verifyHostKey(check, keyA.blob)).toBeNull();
    expect(readFileSync(file, 'utf8')).toBe(`[127.0.0.1]:2022 ssh-ed25519 ${keyA.b64}\n`);
    expect(verifyHostKey({ ...check, policy: 'strict' }, keyA.blob)).toBeNull();
    const msg = verifyHostKey(check, keyB.blob);
    expect(msg).toContain('CHANGED');
    expect(msg).toContain(`${file}:1`);
    expect(msg).toContain('ssh-keygen -R');
    expect(readFileSync(file, 'utf8').split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('accept-new refuses a key of a new type for a host already known with another type, and records nothing', () => {
    const file = join(dir, 'kh-other-type');
    const rsa = join(dir, 'rsa');
    execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', rsa]);
    const [rsaType, rsaB64] = readFileSync(`${rsa}.pub`, 'utf8').split(' ') as [string, string];
    const before = `# ops\n[127.0.0.1]:2022 ${rsaType} ${rsaB64}\n`;
    writeFileSync(file, before);
    for (const policy of ['accept-new', 'strict'] as const) {
      const msg = verifyHostKey({ host: '127.0.0.1', port: 2022, knownHostsPath: file, policy }, keyA.blob);
      expect(msg).toContain(`presented ssh-ed25519 ${keyA.fp}`);
      expect(msg).toContain(`knows this host only by ssh-rsa (${file}:2)`);
    }
    expect(readFileSync(file, 'utf8')).toBe(before);
    // another host is still recorded on first sight; the known RSA key still passes
    expect(verifyHostKey({ host: '127.0.0.3', port: 2022, knownHostsPath: file, policy: 'accept-new' }, keyA.blob)).toBeNull();
    expect(
      verifyHostKey({ host: '127.0.0.1', port: 2022, knownHostsPath: file, policy: 'accept-new' }, Buffer.from(rsaB64, 'base64')),
    ).toBeNull();
  });
});
