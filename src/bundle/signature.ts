/**
 * Bundle authenticity: the manifest (which lists every file's sha256) is signed with an ed25519 key by
 * `bundle create --sign KEY`, and apply / verify / push check it against the public key the inventory names
 * (spec.offline.publicKey) before anything leaves the admin machine. Integrity alone (sizes and sha256 against the
 * manifest) proves only that the files match *a* manifest; the signature proves whose.
 *
 * The signature is manifest.json.sig: base64 of the raw 64-byte ed25519 signature over manifest.json's exact bytes
 * (RFC 8032, as Node's crypto.sign(null, …) and `openssl pkeyutl -sign -rawin` make it). Keys are PEM: PKCS#8
 * private, SPKI public, what `kubesmith bundle keygen` writes and what
 * `openssl genpkey -algorithm ed25519 -out bundle.key && openssl pkey -in bundle.key -pubout -out bundle.key.pub` makes.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export const SIGNATURE_FILE = 'manifest.json.sig';

export class SignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SignatureError';
  }
}

/** A PEM ed25519 key from a file; errors name the file, never its content. */
function loadKey(path: string, kind: 'private' | 'public'): KeyObject {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (err) {
    throw new SignatureError(
      `cannot read ${kind === 'private' ? 'signing' : 'public'} key ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  let key: KeyObject;
  try {
    key = kind === 'private' ? createPrivateKey(pem) : createPublicKey(pem);
  } catch {
    throw new SignatureError(`${path}: not a PEM ${kind} key (kubesmith bundle keygen writes KEY and KEY.pub)`);
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new SignatureError(
      `${path}: an ${key.asymmetricKeyType ?? 'unknown'} key; bundles are signed with ed25519 (kubesmith bundle keygen)`,
    );
  return key;
}

export const loadSigningKey = (path: string) => loadKey(path, 'private');
export const loadPublicKey = (path: string) => loadKey(path, 'public');

/** Write a new key pair: KEY (private, mode 0600) and KEY.pub; an existing file is never overwritten. */
export function generateSigningKey(path: string): { privateKey: string; publicKey: string } {
  const pub = `${path}.pub`;
  for (const p of [path, pub]) if (existsSync(p)) throw new SignatureError(`${p} exists; kubesmith never overwrites a key`);
  const pair = generateKeyPairSync('ed25519');
  writeFileSync(path, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  writeFileSync(pub, pair.publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644, flag: 'wx' });
  return { privateKey: path, publicKey: pub };
}

/** The signature file's content for these manifest bytes. */
export function signManifest(bytes: Buffer, key: KeyObject): string {
  return `${sign(null, bytes, key).toString('base64')}\n`;
}

/** Throws unless `signature` (the .sig file's text, or undefined when absent) is the key's signature of `bytes`. */
export function checkSignature(bytes: Buffer, signature: string | undefined, key: KeyObject, keyPath: string): void {
  if (signature === undefined)
    throw new SignatureError(
      `${SIGNATURE_FILE} is missing: the inventory's publicKey ${keyPath} asks for a signed bundle (bundle create --sign KEY)`,
    );
  const raw = Buffer.from(signature.trim(), 'base64');
  if (raw.length !== 64 || !verify(null, bytes, key, raw)) {
    throw new SignatureError(`manifest.json is not signed by ${keyPath} (changed after signing, or signed with another key)`);
  }
}
