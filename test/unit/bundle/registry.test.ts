/** The registry client and pull/push against a real docker-registry on 127.0.0.1 (and a token-auth stand-in). */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestImage } from '../../lab/emulators/src/runtime/oci-archive-writer.js';
import { readImageArchive } from '../../lab/emulators/src/runtime/oci-archive.js';
import { pullImage } from '../../../src/bundle/pull.js';
import { parseImageRef } from '../../../src/bundle/reference.js';
import { RegistryClient } from '../../../src/bundle/registry.js';
import { freePort, haveRegistry, startRegistry, type LocalRegistry } from './local-registry.js';
import { seedImages } from './seed.js';

describe.skipIf(!haveRegistry())('registry client against docker-registry', () => {
  let reg: LocalRegistry;
  beforeAll(async () => {
    reg = await startRegistry();
  }, 30_000);
  afterAll(async () => reg?.stop());

  it('push sends every blob once; a second push sends none', async () => {
    const first = await seedImages(reg.url, ['registry.k8s.io/pause:3.10.1'], ['linux/amd64', 'linux/arm64']);
    expect(first[0]!.blobsSent).toBe(3); // one config per platform + the layer both platforms share (same bytes)
    expect(first[0]!.target).toBe(`${reg.host}/pause:3.10.1`);
    const again = await seedImages(reg.url, ['registry.k8s.io/pause:3.10.1'], ['linux/amd64', 'linux/arm64']);
    expect(again[0]!.blobsSent).toBe(0);
    expect(again[0]!.digest).toBe(first[0]!.digest);
  });

  it('pulls one archive per platform from a multi-platform tag, with the digests containerd records', async () => {
    await seedImages(reg.url, ['registry.k8s.io/pause:3.10.1'], ['linux/amd64', 'linux/arm64']);
    const root = mkdtempSync(join(tmpdir(), 'ks-pull-'));
    const client = new RegistryClient({ mirrors: { 'registry.k8s.io': [reg.url] }, mirrorsOnly: true });
    const pulled = await pullImage('registry.k8s.io/pause:3.10.1', {
      client,
      root,
      cache: join(root, '.cache'),
      platforms: ['linux/amd64', 'linux/arm64'],
    });
    expect(Object.keys(pulled.platforms).sort()).toEqual(['linux/amd64', 'linux/arm64']);
    for (const platform of ['linux/amd64', 'linux/arm64']) {
      const p = pulled.platforms[platform]!;
      expect(p.digest).toBe(makeTestImage({ ref: 'registry.k8s.io/pause:3.10.1', platform }).manifestDigest);
      const archive = readImageArchive(readFileSync(join(root, p.file)));
      expect(archive.images.map((i) => [i.name, i.digest])).toEqual([['registry.k8s.io/pause:3.10.1', p.digest]]);
    }
    // the repo digest is the index the registry serves for the tag
    const index = await client.getManifest(parseImageRef('registry.k8s.io/pause:3.10.1'), '3.10.1');
    expect(pulled.repoDigest).toBe(index.digest);
  });

  it('refuses a platform a single-platform image does not have', async () => {
    await seedImages(reg.url, ['ghcr.io/flannel-io/flannel:v0.28.9']);
    const root = mkdtempSync(join(tmpdir(), 'ks-pull-'));
    const client = new RegistryClient({ mirrors: { '*': [reg.url] }, mirrorsOnly: true });
    await expect(
      pullImage('ghcr.io/flannel-io/flannel:v0.28.9', { client, root, cache: join(root, '.c'), platforms: ['linux/arm64'] }),
    ).rejects.toThrow(/single-platform image \(linux\/amd64\); no linux\/arm64/);
  });

  it('a missing tag is a clear error naming the image', async () => {
    const client = new RegistryClient({ mirrors: { '*': [reg.url] }, mirrorsOnly: true });
    await expect(client.getManifest(parseImageRef('registry.k8s.io/nope:v1'), 'v1')).rejects.toThrow(
      /cannot get registry\.k8s\.io\/nope:v1:[\s\S]*HTTP 404/,
    );
  });
});

describe('registry client without a registry', () => {
  it('an unreachable registry is a clear error', async () => {
    const port = await freePort();
    const client = new RegistryClient({ mirrors: { '*': [`http://127.0.0.1:${port}`] }, mirrorsOnly: true });
    await expect(client.getManifest(parseImageRef('registry.k8s.io/pause:3.10'), '3.10')).rejects.toThrow(
      /cannot reach registry http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/,
    );
  });

  it('follows the Bearer token handshake (realm, service, scope) and reuses the token', async () => {
    const image = makeTestImage({ ref: 'example.org/team/app:v1' });
    const seen: string[] = [];
    const server: Server = createServer((req, res) => {
      const url = new URL(req.url!, 'http://x');
      seen.push(`${req.method} ${url.pathname}${url.search} ${req.headers.authorization ?? '-'}`);
      if (url.pathname === '/token') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: 'tok123' }));
        return;
      }
      if (req.headers.authorization !== 'Bearer tok123') {
        res
          .writeHead(401, {
            'www-authenticate': `Bearer realm="http://127.0.0.1:${(server.address() as { port: number }).port}/token",service="reg.test"`,
          })
          .end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }).end(image.manifest);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (server.address() as { port: number }).port;
      const client = new RegistryClient({ mirrors: { '*': [`http://127.0.0.1:${port}`] }, mirrorsOnly: true });
      const ref = parseImageRef('example.org/team/app:v1');
      const m = await client.getManifest(ref, 'v1');
      expect(m.digest).toBe(image.manifestDigest);
      await client.getManifest(ref, 'v1');
      expect(seen).toEqual([
        'GET /v2/team/app/manifests/v1 -',
        'GET /token?service=reg.test&scope=repository%3Ateam%2Fapp%3Apull -',
        'GET /v2/team/app/manifests/v1 Bearer tok123',
        'GET /v2/team/app/manifests/v1 Bearer tok123',
      ]);
    } finally {
      server.close();
    }
  });
});

describe('bundle create with no registry reachable', () => {
  it('exits 1 naming the image and the registry it could not reach, and writes no manifest', async () => {
    const { mkdtempSync, writeFileSync, existsSync } = await import('node:fs');
    const { kubesmith } = await import('../../e2e/helpers.js');
    const dir = mkdtempSync(join(tmpdir(), 'ks-unreach-'));
    const inv = join(dir, 'inv.yaml');
    writeFileSync(
      inv,
      'apiVersion: kubesmith.io/v1alpha1\nkind: Cluster\nmetadata: {name: demo}\nspec:\n  hosts: [{name: cp1, address: 10.0.0.1, roles: [control-plane]}]\n',
    );
    const port = await freePort();
    const run = await kubesmith([
      'bundle',
      'create',
      '-i',
      inv,
      '-o',
      join(dir, 'b'),
      '--registry-mirror',
      `http://127.0.0.1:${port}`,
      '--mirrors-only',
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(
        `cannot get registry\\.k8s\\.io/kube-apiserver:v1\\.34\\.1:[\\s\\S]*cannot reach registry http://127\\.0\\.0\\.1:${port}: ECONNREFUSED`,
      ),
    );
    expect(existsSync(join(dir, 'b', 'manifest.json'))).toBe(false);
  });
});
