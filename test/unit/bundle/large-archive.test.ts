/**
 * Image archives past 2 GiB: fs.readFile cannot return more than 2 GiB (ERR_FS_FILE_TOO_LARGE), which is what
 * reading a whole archive into memory hit. The archive here is a real tar whose 2 GiB + 1 MiB layer is a hole
 * (a sparse file: the disk holds a few KiB), so the test writes no 2 GiB; reading it streams every byte.
 */
import { createHash } from 'node:crypto';
import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, statSync, writeSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { archiveImages } from '../../../src/bundle/archive-info.js';
import { BUNDLE_FORMAT, type BundleManifest } from '../../../src/bundle/manifest.js';
import { pushBundle } from '../../../src/bundle/push.js';
import { tarHeader } from '../../../src/bundle/tar.js';

const LAYER_BYTES = 2 * 1024 ** 3 + 1024 ** 2;
/** sha256 of LAYER_BYTES zero bytes: `head -c 2148532224 /dev/zero | sha256sum` (coreutils 9.x). */
const LAYER_DIGEST = 'sha256:f9c8466cdac8f598a9dbbe999b62b47c2745c7b7368cd6bfcee1b636368a9071';
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** An OCI archive of one image whose only layer is LAYER_BYTES zeros, left as a hole in the file. */
function sparseArchive(path: string, ref: string) {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [LAYER_DIGEST] } }));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: LAYER_DIGEST, size: LAYER_BYTES }],
    }),
  );
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: sha(manifest),
          size: manifest.length,
          annotations: { 'io.containerd.image.name': ref },
        },
      ],
    }),
  );
  const fd = openSync(path, 'w');
  let pos = 0;
  const put = (b: Buffer) => (pos += writeSync(fd, b, 0, b.length, pos));
  const pad = (n: number) => (n % 512 ? 512 - (n % 512) : 0);
  for (const [name, data] of [
    ['oci-layout', Buffer.from('{"imageLayoutVersion":"1.0.0"}')],
    ['index.json', index],
    [`blobs/${sha(manifest).replace(':', '/')}`, manifest],
    [`blobs/${sha(config).replace(':', '/')}`, config],
  ] as const) {
    put(tarHeader(name, data.length));
    put(data);
    put(Buffer.alloc(pad(data.length)));
  }
  put(tarHeader(`blobs/${LAYER_DIGEST.replace(':', '/')}`, LAYER_BYTES));
  // the layer's zeros, its padding and the two zero end blocks: a hole, not written bytes
  ftruncateSync(fd, pos + LAYER_BYTES + pad(LAYER_BYTES) + 1024);
  closeSync(fd);
  return { manifestDigest: sha(manifest) };
}

describe('image archives past 2 GiB', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ks-large-'));
  const ref = 'registry.example.com/team/big:v1';
  const file = 'images/linux-amd64/big.tar';
  mkdirSync(join(dir, 'images/linux-amd64'), { recursive: true });
  const archive = sparseArchive(join(dir, file), ref);
  let server: Server | undefined;
  afterAll(() => server?.close());

  it('is a sparse file past 2 GiB that takes little disk', () => {
    const st = statSync(join(dir, file));
    expect(st.size).toBeGreaterThan(2 ** 31);
    expect(st.blocks * 512).toBeLessThan(1024 * 1024);
  });

  it('images load reads its names and digest without reading it whole', async () => {
    expect(await archiveImages(join(dir, file))).toEqual([{ ref, digest: archive.manifestDigest }]);
  });

  it('bundle push streams the layer: the registry receives every one of its bytes', async () => {
    const received = new Map<string, number>();
    const manifests: string[] = [];
    server = createServer((req, res) => {
      const url = new URL(req.url!, 'http://x');
      if (req.method === 'HEAD') return void res.writeHead(404).end();
      if (req.method === 'POST') return void res.writeHead(202, { location: '/v2/team/big/blobs/uploads/u1' }).end();
      let n = 0;
      req.on('data', (c: Buffer) => (n += c.length));
      req.on('end', () => {
        if (url.pathname.includes('/manifests/')) manifests.push(url.pathname);
        else received.set(url.searchParams.get('digest')!, n);
        res.writeHead(201).end();
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const manifest: BundleManifest = {
      format: BUNDLE_FORMAT,
      createdAt: new Date(0).toISOString(),
      kubernetes: { version: '1.34.1', imageRepository: 'registry.k8s.io' },
      network: { plugin: 'none' },
      containerRuntime: 'containerd',
      platforms: ['linux/amd64'],
      images: [{ component: 'extra', ref, platforms: { 'linux/amd64': { digest: archive.manifestDigest, file } } }],
      files: [],
    };
    const pushed = await pushBundle(dir, manifest, { registry: `http://127.0.0.1:${(server.address() as { port: number }).port}` });
    expect(pushed.map((p) => p.blobsSent)).toEqual([2]);
    expect(received.get(LAYER_DIGEST)).toBe(LAYER_BYTES);
    expect(manifests).toEqual(['/v2/team/big/manifests/v1']);
  }, 300_000);
});
