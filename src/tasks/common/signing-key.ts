/**
 * A repository signing key on a host (apt's signed-by keyrings). What counts is the file's content, never its
 * existence: an empty file left by a failed download, or an error page saved by curl, is not a key. The key is
 * downloaded next to its final path, checked on the admin machine (a well-formed OpenPGP public keyring), and
 * only then written in place (atomically); a bad download leaves the old file alone and fails with a clear error.
 */
import { dirname } from 'node:path';
import { sh } from '../../transport/command.js';
import type { TaskContext } from '../../engine/types.js';
import { action, type Action } from './define.js';
import { dearmor, keyringFingerprints } from './openpgp.js';
import { markPackageIndexStale } from './package-index.js';

export interface SigningKey {
  url: string;
  path: string;
  /** How apt gets it: `binary` (a dearmored .gpg keyring) or `armored` (an .asc file, as published). */
  format: 'binary' | 'armored';
}

/** The action that fetches the key, or none when the host already holds a valid keyring there. */
export async function signingKeyAction(ctx: TaskContext, key: SigningKey, summary: string): Promise<Action | undefined> {
  const current = await ctx.transport.readFile(key.path);
  if (current && keyringFingerprints(current).length > 0) return undefined;
  const why = current === null ? '' : ` (the file there is not an OpenPGP public key: ${current.length} bytes)`;
  return action(`${summary}${why}`, async () => {
    await fetchSigningKey(ctx, key);
    markPackageIndexStale(ctx);
  });
}

async function fetchSigningKey(ctx: TaskContext, key: SigningKey): Promise<void> {
  const t = ctx.transport;
  const download = `${key.path}.download`;
  try {
    await t.exec(sh`mkdir -p -m 755 ${dirname(key.path)} && curl -fsSL ${key.url} -o ${download}`, { timeoutMs: 120_000 });
    const got = (await t.readFile(download)) ?? Buffer.alloc(0);
    const fingerprints = keyringFingerprints(got);
    if (fingerprints.length === 0) {
      throw new Error(`${key.url} did not return an OpenPGP public key (${got.length} bytes); ${key.path} was left as it was`);
    }
    const content = key.format === 'binary' ? (dearmor(got.toString('latin1')) ?? got) : got;
    await t.writeFile(key.path, content, { mode: '0644' });
    ctx.log(`signing key ${fingerprints.join(', ')} written to ${key.path}`);
  } finally {
    await t.exec(['rm', '-f', download], { allowFailure: true });
  }
}
