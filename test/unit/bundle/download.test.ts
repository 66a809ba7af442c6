import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { download } from '../../../src/bundle/download.js';
import { startFileServer, type FileServer } from './file-server.js';

describe('download', () => {
  let server: FileServer;
  beforeAll(async () => {
    server = await startFileServer();
  });
  afterAll(async () => server?.close());

  it('checks the expected sha256 and keeps nothing when it does not match', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-dl-'));
    server.files.set('/dl.k8s.io/release/v1.34.1/bin/linux/amd64/kubectl', Buffer.from('the real kubectl'));
    const dest = join(dir, 'kubectl');
    await expect(
      download(`${server.url}/dl.k8s.io/release/v1.34.1/bin/linux/amd64/kubectl`, dest, { sha256: '0'.repeat(64) }),
    ).rejects.toThrow(/does not match the expected 0{64}; the partial file was removed/);
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.part`)).toBe(false);
  });

  it('a 404 is an error naming the URL; a known sha256 skips the request entirely', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-dl-'));
    await expect(download(`${server.url}/nope/file`, join(dir, 'x'), { sha256: '0'.repeat(64) })).rejects.toThrow(
      new RegExp(`${server.url}/nope/file: HTTP 404`),
    );
    server.files.set('/a/b', Buffer.from('abc'));
    const r = await download(`${server.url}/a/b`, join(dir, 'b'), { sha256: createHash('sha256').update('abc').digest('hex') });
    expect(r.transferred).toBe(3);
    server.requests.length = 0;
    expect(await download(`${server.url}/a/b`, join(dir, 'b'), { sha256: r.sha256 })).toEqual({ sha256: r.sha256, transferred: 0 });
    expect(server.requests).toEqual([]);
    expect(readFileSync(join(dir, 'b'), 'utf8')).toBe('abc');
  });
});
