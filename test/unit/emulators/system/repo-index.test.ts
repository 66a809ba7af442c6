// The hosts' curl serves the Kubernetes repositories' index files at pkgs.k8s.io's real paths, the same bytes as the
// admin machine's mirror, readable by the product's own index readers (src/upgrade/offered.ts reads them on a node).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { releaseSums } from '../../../../src/bundle/index/deb.js';
import { repomdPrimary } from '../../../../src/bundle/index/rpm.js';
import { offeredInDeb, offeredInRpm } from '../../../../src/upgrade/offered.js';
import { startMirror } from '../../../lab/mirror.js';
import { ensureBuilt, REPO, Sandbox } from './sandbox.js';

beforeAll(ensureBuilt, 120_000);
let sb: Sandbox | undefined;
afterEach(() => sb?.dispose());

const repos = JSON.parse(readFileSync(join(REPO, 'test/lab/emulators/repos.json'), 'utf8')) as {
  kubernetes: { minors: Record<string, { patches: number }> };
};
const patches = (minor: string) => Array.from({ length: repos.kubernetes.minors[minor]!.patches + 1 }, (_, p) => `${minor}.${p}`);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const base = 'https://pkgs.k8s.io/core:/stable:/v1.34';

/** curl -fsSL URL -o FILE on the sandbox host; the bytes it wrote. */
function fetched(box: Sandbox, url: string): Buffer {
  box.ok('curl', '-fsSL', url, '-o', '/fetched');
  return readFileSync(join(box.root, 'fetched'));
}

describe('pkgs.k8s.io index files through the hosts curl', () => {
  it('serves the flat deb repository: InRelease lists Packages and Packages.gz with their sums; every patch is offered', () => {
    sb = new Sandbox('debian12');
    const packages = fetched(sb, `${base}/deb/Packages`);
    expect(offeredInDeb(packages.toString(), 'amd64').sort()).toEqual(patches('1.34').sort());
    expect(offeredInDeb(packages.toString(), 'arm64').sort()).toEqual(patches('1.34').sort());
    const gz = fetched(sb, `${base}/deb/Packages.gz`);
    expect(gunzipSync(gz).equals(packages)).toBe(true);
    const sums = releaseSums(fetched(sb, `${base}/deb/InRelease`).toString());
    expect(sums.get('Packages')).toEqual({ sha256: sha(packages), size: packages.length });
    expect(sums.get('Packages.gz')).toEqual({ sha256: sha(gz), size: gz.length });
    // the same layout through the aliyun copy; nothing at a Debian-style dists/ path (the repository is flat)
    const aliyun = fetched(sb, 'https://mirrors.aliyun.com/kubernetes-new/core/stable/v1.33/deb/Packages').toString();
    expect(offeredInDeb(aliyun, 'amd64').sort()).toEqual(patches('1.33').sort());
    expect(sb.run('curl', ['-fsSL', `${base}/deb/dists/stable/InRelease`])).toMatchObject({ code: 22 });
  });

  it('serves the rpm-md repository: repomd.xml names a primary.xml.gz whose checksum matches', () => {
    sb = new Sandbox('rocky9');
    const repomd = fetched(sb, `${base}/rpm/repodata/repomd.xml`).toString();
    const primary = repomdPrimary(repomd);
    const gz = fetched(sb, `${base}/rpm/${primary.href}`);
    expect(sha(gz)).toBe(primary.sha256);
    expect(offeredInRpm(gunzipSync(gz).toString(), 'x86_64').sort()).toEqual(patches('1.34').sort());
  });

  it('answers 404 (curl -f: exit 22) for a minor the lab has no repository of and for unknown files', () => {
    sb = new Sandbox('debian12');
    expect(sb.run('curl', ['-fsSL', 'https://pkgs.k8s.io/core:/stable:/v1.20/deb/Packages'])).toMatchObject({
      code: 22,
      stderr: 'curl: (22) The requested URL returned error: 404\n',
    });
    expect(sb.run('curl', ['-fsSL', `${base}/deb/Sources`]).code).toBe(22);
  });

  it('gives the hosts the same bytes the admin machine mirror serves', async () => {
    sb = new Sandbox('debian12');
    const mirror = await startMirror({ minors: ['1.34'] });
    try {
      for (const rel of ['deb/InRelease', 'deb/Packages', 'rpm/repodata/repomd.xml']) {
        const path = `/pkgs.k8s.io/core:/stable:/v1.34/${rel}`;
        expect(fetched(sb, `https://${path.slice(1)}`).equals(mirror.files.get(path)!), rel).toBe(true);
      }
    } finally {
      await mirror.close();
    }
  });
});
