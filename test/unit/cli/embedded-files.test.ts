import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { filesDigest, unpackAssets, type FileList } from '../../../src/cli/embedded-files.js';

const files: Record<string, string> = {
  'playbooks/apply.yaml': 'tasks: []\n',
  'templates/a/b.toml': 'x = 1\n',
  'package.json': '{"name":"kubesmith"}',
};

function listOf(content: Record<string, string>): FileList {
  const d = filesDigest();
  const names = Object.keys(content).sort();
  for (const n of names) d.add(n, Buffer.from(content[n]!));
  return { digest: d.hex(), files: names };
}

const read = (content: Record<string, string>) => (name: string) => new TextEncoder().encode(content[name]).buffer as ArrayBuffer;

describe('the single executable unpacks its embedded files', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
  const base = () => {
    const d = mkdtempSync(join(tmpdir(), 'ks-assets-'));
    dirs.push(d);
    return d;
  };

  it('writes every file once under a directory named after the digest, and reuses it', () => {
    const b = base();
    const list = listOf(files);
    const root = unpackAssets(b, list, read(files));
    expect(root).toBe(join(b, `files-${list.digest.slice(0, 16)}`));
    expect(readFileSync(join(root, 'templates/a/b.toml'), 'utf8')).toBe('x = 1\n');
    let reads = 0;
    expect(unpackAssets(b, list, () => (reads++, new ArrayBuffer(0)))).toBe(root);
    expect(reads).toBe(0);
  });

  it('refuses content that does not match the digest and leaves nothing behind', () => {
    const b = base();
    const list = listOf(files);
    expect(() => unpackAssets(b, list, read({ ...files, 'package.json': '{}' }))).toThrow(/damaged/);
    expect(existsSync(join(b, `files-${list.digest.slice(0, 16)}`))).toBe(false);
  });
});
