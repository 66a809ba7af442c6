/**
 * The node-side check of a cri-dockerd release package against GitHub's digest of the asset (release-digest.ts):
 * the real script runs in bash with curl and apt-get stubbed by files in a temp dir (no network), on GitHub's release
 * records (test/fixtures/real/cri-dockerd: v0.3.15 has digest null, v0.3.24 has the archives' sha256).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installReleasePackage } from '../../../src/tasks/runtime/docker.js';
import { noDigestMessage } from '../../../src/tasks/runtime/release-digest.js';
import type { ReleasePackage } from '../../../src/data/runtime-repos.js';
import { commandText } from '../../../src/transport/command.js';

const REAL = join(import.meta.dirname, '../../fixtures/real/cri-dockerd');
const real = (file: string) => readFileSync(join(REAL, file), 'utf8');
const gh = (v: string, file: string) => `https://github.com/Mirantis/cri-dockerd/releases/download/v${v}/${file}`;
const api = (v: string) => `https://api.github.com/repos/Mirantis/cri-dockerd/releases/tags/v${v}`;
const pkgOf = (v: string, file: string): ReleasePackage => ({ url: gh(v, file), file, digests: api(v) });

let dir: string;
/** Stub curl: answers each URL with the file served/<last path segment>, or fails as curl -f does on a 404. */
function serve(files: Record<string, string | Buffer>): void {
  for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, 'served', name), body);
}
function runOnNode(pkg: ReleasePackage) {
  return spawnSync('bash', ['-c', commandText(installReleasePackage('debian', pkg))], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { HOME: dir, PATH: `${join(dir, 'bin')}:/usr/bin:/bin`, SERVED: join(dir, 'served'), INSTALLED: join(dir, 'installed') },
  });
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'release-digest-'));
  for (const d of ['bin', 'served']) spawnSync('mkdir', ['-p', join(dir, d)]);
  const curl =
    '#!/bin/bash\nout= url=\nwhile (($#)); do case $1 in -o) out=$2; shift ;; -H|--retry) shift ;; http*) url=$1 ;; esac; shift; done\n' +
    'f=$SERVED/${url##*/}; [[ -f $f ]] || { echo "curl: (22) The requested URL returned error: 404" >&2; exit 22; }; cp "$f" "$out"\n';
  writeFileSync(join(dir, 'bin/curl'), curl);
  writeFileSync(join(dir, 'bin/apt-get'), '#!/bin/bash\necho "$@" > "$INSTALLED"\n');
  for (const b of ['curl', 'apt-get']) chmodSync(join(dir, 'bin', b), 0o755);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("a cri-dockerd release package is installed only when it matches GitHub's digest", () => {
  it('v0.3.15 (uploaded 2024): GitHub lists no digest, so nothing is downloaded or installed and the error says what to do', () => {
    const pkg = pkgOf('0.3.15', 'cri-dockerd-0.3.15.amd64.tgz');
    serve({ 'v0.3.15': real('release-v0.3.15-record.json'), [pkg.file]: 'anything' });
    const r = runOnNode(pkg);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(noDigestMessage(pkg));
    expect(r.stderr).toContain('cannot verify cri-dockerd-0.3.15.amd64.tgz');
    expect(existsSync(join(dir, 'installed'))).toBe(false);
  });

  it('v0.3.24: the digest in the real record is read; bytes that are not the published file are refused', () => {
    const pkg = pkgOf('0.3.24', 'cri-dockerd-0.3.24.amd64.tgz');
    serve({ 'v0.3.24': real('release-v0.3.24-record.json'), [pkg.file]: 'not the published archive' });
    const r = runOnNode(pkg);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^cri-dockerd-0\.3\.24\.amd64\.tgz from https:\/\/github\.com\/\S+ does not match GitHub's sha256 digest/);
    expect(existsSync(join(dir, 'installed'))).toBe(false);
  });

  it('the file GitHub vouches for is installed; an asset the release does not list is refused', () => {
    const bytes = Buffer.from('a published package\n');
    const file = 'cri-dockerd_0.3.24.3-0.debian-bookworm_amd64.deb';
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    serve({ 'v0.3.24': JSON.stringify({ assets: [{ name: file, digest }] }), [file]: bytes });
    const ok = runOnNode(pkgOf('0.3.24', file));
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(readFileSync(join(dir, 'installed'), 'utf8')).toMatch(
      new RegExp(`^install -y --allow-downgrades /\\S+/${file.replace(/\./g, '\\.')}\\n$`),
    );

    const other = 'cri-dockerd_0.3.24.3-0.ubuntu-noble_amd64.deb';
    const missing = runOnNode(pkgOf('0.3.24', other));
    expect(missing.status).toBe(1);
    expect(missing.stderr.trim()).toBe(`cannot verify ${other}: ${api('0.3.24')} lists no asset of that name; nothing was installed`);
  });

  it('no release record (GitHub unreachable, rate limited): the error names the file and nothing is installed', () => {
    const r = runOnNode(pkgOf('0.3.24', 'cri-dockerd-0.3.24.amd64.tgz'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /^cannot verify cri-dockerd-0\.3\.24\.amd64\.tgz: GitHub's release record \S+ could not be read .*retry later/m,
    );
    expect(existsSync(join(dir, 'installed'))).toBe(false);
  });
});
