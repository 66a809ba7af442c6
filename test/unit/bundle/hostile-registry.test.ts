/**
 * A hostile registry (a tiny HTTP server on loopback answering crafted manifests) and credential routing. What a
 * registry says is checked before it is used: digests, sizes, bytes; credentials go only to the host they are
 * named for, never over plain HTTP unless that host is marked insecure, and never to a token realm elsewhere.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pullImage } from '../../../src/bundle/pull.js';
import { RegistryClient } from '../../../src/bundle/registry.js';
import { MAX_MANIFEST_BYTES } from '../../../src/bundle/digest.js';
import type { RegistryAuth } from '../../../src/bundle/auth.js';

const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

interface Seen {
  method: string;
  path: string;
  auth?: string;
}

interface Listener {
  url: string;
  host: string;
  seen: Seen[];
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
});

/** An HTTP server on `ip` that records every request (method, path, Authorization) and answers with `handle`. */
async function listen(ip: string, handle: (req: IncomingMessage, res: ServerResponse, self: Listener) => void): Promise<Listener> {
  const self: Listener = { url: '', host: '', seen: [] };
  const server = createServer((req, res) => {
    self.seen.push({ method: req.method!, path: req.url!, ...(req.headers.authorization ? { auth: req.headers.authorization } : {}) });
    req.resume();
    handle(req, res, self);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, ip, () => r()));
  const port = (server.address() as { port: number }).port;
  self.host = `${ip}:${port}`;
  self.url = `http://${self.host}`;
  return self;
}

/** A one-layer image whose manifest says whatever `tweak` makes it say. */
function image(tweak: (m: { config: { digest: string; size: number }; layers: { digest: string; size: number }[] }) => void = () => {}) {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
  const layer = Buffer.from('layer bytes of a small test image');
  const m = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha(layer), size: layer.length }],
  };
  tweak(m);
  const manifest = Buffer.from(JSON.stringify(m));
  return {
    config,
    layer,
    manifest,
    blobs: new Map([
      [sha(config), config],
      [sha(layer), layer],
    ]),
  };
}

/** A registry serving one tag `app:v1` with `manifest` and the blobs; `blob` may replace what a blob GET returns. */
function registry(img: ReturnType<typeof image>, o: { blob?: (digest: string) => Buffer | undefined; contentType?: string } = {}) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url!, 'http://x');
    if (url.pathname === '/v2/team/app/manifests/v1') {
      res.writeHead(200, { 'content-type': o.contentType ?? OCI_MANIFEST }).end(img.manifest);
      return;
    }
    const b = /^\/v2\/team\/app\/blobs\/(.+)$/.exec(url.pathname);
    const body = b ? (o.blob?.(decodeURIComponent(b[1]!)) ?? img.blobs.get(decodeURIComponent(b[1]!))) : undefined;
    if (body) res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
    else res.writeHead(404).end();
  };
}

const pull = (endpoint: string, auth?: RegistryAuth) => {
  const root = mkdtempSync(join(tmpdir(), 'ks-hostile-'));
  const client = new RegistryClient({ mirrors: { '*': [endpoint] }, mirrorsOnly: true, ...(auth ? { auth } : {}) });
  return {
    root,
    run: () => pullImage('example.org/team/app:v1', { client, root, cache: join(root, '.cache'), platforms: ['linux/amd64'] }),
  };
};

/** Every file under dir (relative paths). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}

describe('a hostile registry cannot put admin-machine files into a bundle', () => {
  it('a layer digest with a path in it is refused before any path or URL is built from it', async () => {
    // the admin machine's "secret", exactly where sha256:../../secret would land from the blob cache
    const root = mkdtempSync(join(tmpdir(), 'ks-hostile-'));
    mkdirSync(join(root, '.cache'), { recursive: true });
    writeFileSync(join(root, '.cache', 'secret'), 'ADMIN-SECRET');
    const img = image((m) => (m.layers[0]!.digest = 'sha256:../../secret'));
    const reg = await listen('127.0.0.1', registry(img));
    const client = new RegistryClient({ mirrors: { '*': [reg.url] }, mirrorsOnly: true });
    const pulling = pullImage('example.org/team/app:v1', { client, root, cache: join(root, '.cache'), platforms: ['linux/amd64'] });
    await expect(pulling).rejects.toThrow(/layers\[0\]: digest "sha256:\.\.\/\.\.\/secret" is not sha256:<64 lowercase hex>/);
    expect(reg.seen.map((s) => s.path)).toEqual(['/v2/team/app/manifests/v1']); // not even the config was fetched
    expect(filesUnder(join(root, 'images'))).toEqual([]);
  });

  it('uppercase hex, another algorithm or a short digest is refused; so is one in an index', async () => {
    for (const bad of [`sha256:${'A'.repeat(64)}`, `sha512:${'a'.repeat(128)}`, `sha256:${'a'.repeat(63)}`]) {
      const reg = await listen('127.0.0.1', registry(image((m) => (m.config.digest = bad))));
      await expect(pull(reg.url).run()).rejects.toThrow(/config: digest .* is not sha256:<64 lowercase hex>/);
    }
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [
          { mediaType: OCI_MANIFEST, digest: 'sha256:../../../etc/passwd', size: 100, platform: { os: 'linux', architecture: 'amd64' } },
        ],
      }),
    );
    const reg = await listen('127.0.0.1', (req, res) => res.writeHead(200, { 'content-type': OCI_INDEX }).end(index));
    await expect(pull(reg.url).run()).rejects.toThrow(/index manifests\[0\]: digest "sha256:\.\.\/\.\.\/\.\.\/etc\/passwd"/);
    expect(reg.seen).toHaveLength(1);
  });

  it('a blob whose bytes do not match its digest, or that runs past its size, is refused and nothing is kept', async () => {
    const img = image();
    const swapped = await listen(
      '127.0.0.1',
      registry(img, { blob: (d) => (d === sha(img.layer) ? Buffer.from('other bytes of the same length!!!') : undefined) }),
    );
    const a = pull(swapped.url);
    await expect(a.run()).rejects.toThrow(/blob sha256:[a-f0-9]{64} of team\/app arrived with digest sha256:/);
    expect(filesUnder(a.root).filter((f) => f.includes(sha(img.layer).slice(7)))).toEqual([]);

    const longer = await listen(
      '127.0.0.1',
      registry(img, { blob: (d) => (d === sha(img.layer) ? Buffer.concat([img.layer, Buffer.alloc(1 << 20)]) : undefined) }),
    );
    await expect(pull(longer.url).run()).rejects.toThrow(/announced with \d+ bytes, its descriptor says 33|sent more than the 33 bytes/);

    // no Content-Length (chunked): the stream itself is cut at the descriptor's size
    const chunked = await listen('127.0.0.1', (req, res) => {
      if (req.url!.includes('/blobs/') && req.url!.endsWith(sha(img.layer))) {
        res.writeHead(200, { 'transfer-encoding': 'chunked' });
        res.write(img.layer);
        res.end(Buffer.alloc(4096));
        return;
      }
      registry(img)(req, res);
    });
    await expect(pull(chunked.url).run()).rejects.toThrow(/sent more than the 33 bytes its descriptor says/);
  });

  it('a manifest over the 4 MiB cap is refused', async () => {
    const huge = Buffer.alloc(MAX_MANIFEST_BYTES + 1, 0x20);
    const streamed = await listen('127.0.0.1', (req, res) => res.writeHead(200, { 'content-type': OCI_MANIFEST }).end(huge));
    await expect(pull(streamed.url).run()).rejects.toThrow(/manifest team\/app:v1: more than the 4194304-byte cap/);
    const announced = await listen('127.0.0.1', (req, res) =>
      res.writeHead(200, { 'content-type': OCI_MANIFEST, 'content-length': String(huge.length) }).end(huge),
    );
    await expect(pull(announced.url).run()).rejects.toThrow(
      /manifest team\/app:v1: 4194305 bytes announced, more than the 4194304-byte cap/,
    );
  });
});

describe('registry credentials go only where they are named', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const SECRET = 'hunter2-s3cret';

  /** A registry on `ip` wanting Basic auth `want` (or a Bearer token from `realm`). */
  const guarded =
    (img: ReturnType<typeof image>, o: { realm?: () => string; want: string }) => (req: IncomingMessage, res: ServerResponse) => {
      if (req.headers.authorization !== o.want) {
        res.writeHead(401, { 'www-authenticate': o.realm ? `Bearer realm="${o.realm()}",service="reg.test"` : 'Basic realm="reg"' }).end();
        return;
      }
      registry(img)(req, res);
    };

  it('plain HTTP: a named registry gets no credential unless it is marked insecure', async () => {
    const img = image();
    const reg = await listen('127.0.0.1', guarded(img, { want: `Basic ${b64(`me:${SECRET}`)}` }));
    const auths = { [reg.host]: b64(`me:${SECRET}`) };
    const refused = pull(reg.url, { auths }).run();
    await expect(refused).rejects.toThrow(
      `${reg.host} asks for credentials over plain HTTP; kubesmith sends them over HTTP only to a registry named with --insecure-registry ${reg.host}`,
    );
    await refused.catch((err: Error) => expect(err.message).not.toContain(SECRET));
    expect(reg.seen.filter((s) => s.auth)).toEqual([]);

    await pull(reg.url, { auths, insecure: [reg.host] }).run();
    expect(reg.seen.filter((s) => s.auth).length).toBeGreaterThan(0);
  });

  it('a mirror the credentials do not name gets none', async () => {
    const img = image();
    const named = await listen('127.0.0.1', registry(img));
    const mirror = await listen('127.0.0.1', guarded(img, { want: `Basic ${b64(`me:${SECRET}`)}` }));
    const auth = { auths: { [named.host]: b64(`me:${SECRET}`) }, insecure: [named.host, mirror.host] };
    await expect(pull(mirror.url, auth).run()).rejects.toThrow(/HTTP 401/);
    expect(mirror.seen.filter((s) => s.auth)).toEqual([]);
  });

  it('a token realm on another host gets no credential unless that host is named too', async () => {
    const img = image();
    const realm = await listen('127.0.0.2', (req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: 'anon' })),
    );
    const reg = await listen('127.0.0.1', guarded(img, { want: 'Bearer anon', realm: () => `${realm.url}/token` }));
    const auth: RegistryAuth = { auths: { [reg.host]: b64(`me:${SECRET}`) }, insecure: [reg.host, realm.host] };
    await pull(reg.url, auth).run();
    expect(realm.seen.map((s) => s.path)).toEqual(['/token?service=reg.test&scope=repository%3Ateam%2Fapp%3Apull']);
    expect(realm.seen.filter((s) => s.auth)).toEqual([]);
    expect(reg.seen.filter((s) => s.auth && s.auth !== 'Bearer anon')).toEqual([]);

    // named too: the realm gets its own entry's credential
    realm.seen.length = 0;
    await pull(reg.url, { ...auth, auths: { ...auth.auths, [realm.host]: b64('realm-user:realm-pass') } }).run();
    expect(realm.seen.map((s) => s.auth)).toEqual([`Basic ${b64('realm-user:realm-pass')}`]);
  });

  it('a blob redirected to another host is fetched without the Authorization header', async () => {
    const img = image();
    const storage = await listen('127.0.0.2', (req, res) => res.writeHead(200).end(img.layer));
    const reg = await listen('127.0.0.1', (req, res) => {
      if (req.headers.authorization !== `Basic ${b64(`me:${SECRET}`)}`) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="reg"' }).end();
        return;
      }
      if (req.url!.endsWith(sha(img.layer))) {
        res.writeHead(307, { location: `${storage.url}/layer?sig=1` }).end();
        return;
      }
      registry(img)(req, res);
    });
    await pull(reg.url, { auths: { [reg.host]: b64(`me:${SECRET}`) }, insecure: [reg.host] }).run();
    expect(storage.seen).toEqual([{ method: 'GET', path: '/layer?sig=1' }]);
  });

  it('bundle push: KUBESMITH_REGISTRY_USERNAME/PASSWORD go to the --registry host only, over HTTP only with --insecure-registry', async () => {
    const { kubesmith } = await import('../../e2e/helpers.js');
    const { writeFakeBundle } = await import('./fake-bundle.js');
    const { makeInventory } = await import('../tasks/helpers/inventory.js');
    const { stringify } = await import('yaml');
    const want = `Basic ${b64(`me:${SECRET}`)}`;
    const reg = await listen('127.0.0.1', (req, res) => {
      if (req.headers.authorization !== want) return void res.writeHead(401, { 'www-authenticate': 'Basic realm="reg"' }).end();
      if (req.method === 'HEAD') return void res.writeHead(404).end();
      if (req.method === 'POST') return void res.writeHead(202, { location: `${req.url}u1` }).end();
      req.on('end', () => res.writeHead(201).end());
    });
    const dir = mkdtempSync(join(tmpdir(), 'ks-push-cred-'));
    mkdirSync(join(dir, 'bundle'));
    writeFakeBundle(join(dir, 'bundle'), makeInventory({ kubernetes: { version: '1.34.1' } }));
    const inv = join(dir, 'inv.yaml');
    writeFileSync(
      inv,
      stringify({
        apiVersion: 'kubesmith.io/v1alpha1',
        kind: 'Cluster',
        metadata: { name: 'demo' },
        spec: {
          hosts: [{ name: 'cp1', address: '10.0.0.1', roles: ['control-plane'] }],
          kubernetes: { version: '1.34.1' },
          offline: { bundle: './bundle' },
        },
      }),
    );
    Object.assign(process.env, { KUBESMITH_REGISTRY_USERNAME: 'me', KUBESMITH_REGISTRY_PASSWORD: SECRET });
    try {
      const plain = await kubesmith(['bundle', 'push', '-i', inv, '--registry', reg.url]);
      expect(plain.code).toBe(1);
      expect(plain.stderr).toContain(`${reg.host} asks for credentials over plain HTTP`);
      expect(plain.stderr + plain.stdout).not.toContain(SECRET);
      expect(reg.seen.filter((s) => s.auth)).toEqual([]);
      const insecure = await kubesmith(['bundle', 'push', '-i', inv, '--registry', reg.url, '--insecure-registry', reg.host]);
      expect(insecure.code, insecure.stderr).toBe(0);
      expect(reg.seen.filter((s) => s.auth === want).length).toBeGreaterThan(0);
    } finally {
      delete process.env.KUBESMITH_REGISTRY_USERNAME;
      delete process.env.KUBESMITH_REGISTRY_PASSWORD;
    }
  });

  it('bundle create refuses credentials that name no registry, and a plain-HTTP file mirror without opt-in', async () => {
    const { kubesmith } = await import('../../e2e/helpers.js');
    const dir = mkdtempSync(join(tmpdir(), 'ks-cred-'));
    const inv = join(dir, 'inv.yaml');
    writeFileSync(
      inv,
      'apiVersion: kubesmith.io/v1alpha1\nkind: Cluster\nmetadata: {name: demo}\nspec:\n  hosts: [{name: cp1, address: 10.0.0.1, roles: [control-plane]}]\n',
    );
    Object.assign(process.env, { KUBESMITH_REGISTRY_USERNAME: 'me', KUBESMITH_REGISTRY_PASSWORD: SECRET });
    const env = await kubesmith(['bundle', 'create', '-i', inv, '-o', join(dir, 'b')]).finally(() => {
      delete process.env.KUBESMITH_REGISTRY_USERNAME;
      delete process.env.KUBESMITH_REGISTRY_PASSWORD;
    });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('name no registry');
    expect(env.stderr).not.toContain(SECRET);
    const http = await kubesmith(['bundle', 'create', '-i', inv, '-o', join(dir, 'b'), '--files-url', 'http://127.0.0.1:9/']);
    expect(http.code).toBe(2);
    expect(http.stderr).toContain(
      '--files-url http://127.0.0.1:9/: plain HTTP lets anyone on the path change the files; use https:// or add --allow-http-files',
    );
    const userinfo = await kubesmith([
      'bundle',
      'create',
      '-i',
      inv,
      '-o',
      join(dir, 'b'),
      '--registry-mirror',
      `https://me:${SECRET}@mirror.example:5000`,
    ]);
    expect(userinfo.code).toBe(2);
    expect(userinfo.stderr).toContain('a URL with credentials in it is refused');
    expect(userinfo.stderr).not.toContain(SECRET);
    expect(existsSync(join(dir, 'b'))).toBe(false);
  });

  it('createBundle refuses a plain-HTTP packageRepository (with --packages) before any index or file is fetched', async () => {
    const { makeInventory } = await import('../tasks/helpers/inventory.js');
    const { createBundle } = await import('../../../src/bundle/create.js');
    const calls: string[] = [];
    const f: typeof fetch = async (input) => {
      calls.push(String(input));
      throw new Error('no request expected');
    };
    const inventory = makeInventory({ kubernetes: { version: '1.34.1', packageRepository: 'http://pkgs.example/core:/stable:' } });
    const out = join(mkdtempSync(join(tmpdir(), 'ks-http-')), 'b');
    await expect(createBundle({ inventory, out, platforms: ['linux/amd64'], packages: ['debian-12'], fetch: f })).rejects.toThrow(
      'http://pkgs.example/core:/stable:: files are fetched over HTTPS only (a plain-HTTP mirror can change them in transit); pass --allow-http-files to accept http://pkgs.example',
    );
    expect(calls).toEqual([]);
    expect(existsSync(out)).toBe(false);
  });
});
