import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { LabRoot, ensureBuilt, manifestRegistry } from './helpers.js';
import { writeDockerArchive, writeOciArchive, makeTestImage, sha256 } from '../../../lab/emulators/src/runtime/oci-archive.js';

let lab: LabRoot;
beforeAll(() => ensureBuilt());
beforeEach(() => {
  lab = new LabRoot();
});
afterEach(() => lab.cleanup());

function started(): void {
  expect(lab.systemctl('containerd', 'start').code).toBe(0);
}

describe('ctr (emulated)', () => {
  it('fails to dial like the real ctr while containerd is not running', () => {
    const r = lab.run('ctr', ['-n', 'k8s.io', 'images', 'ls']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ctr: failed to dial "/run/containerd/containerd.sock": context deadline exceeded');
  });

  it('import records exactly the images inside the archive, in the given namespace only', () => {
    started();
    lab.write('/tmp/images.tar', writeOciArchive([{ ref: 'registry.k8s.io/pause:3.10' }, { ref: 'registry.k8s.io/etcd:3.5.15-0' }]));
    const r = lab.run('ctr', ['-n', 'k8s.io', 'images', 'import', '/tmp/images.tar']);
    expect(r.code).toBe(0);
    const digest = sha256(makeTestImage({ ref: 'registry.k8s.io/pause:3.10' }).manifest);
    expect(r.stdout).toContain(`unpacking registry.k8s.io/pause:3.10 (${digest})...done`);
    expect(lab.run('ctr', ['-n', 'k8s.io', 'images', 'ls', '-q']).stdout).toBe(
      'registry.k8s.io/etcd:3.5.15-0\nregistry.k8s.io/pause:3.10\n',
    );
    expect(lab.run('ctr', ['images', 'ls', '-q']).stdout).toBe('');
    expect(lab.run('lab-images').stdout).toBe('registry.k8s.io/etcd:3.5.15-0\nregistry.k8s.io/pause:3.10\n');
  });

  it('lists like ctr images ls (columns, size, platform) and imports docker-save archives', () => {
    started();
    lab.write('/tmp/d.tar', writeDockerArchive({ ref: 'busybox:1.36' }));
    expect(lab.run('ctr', ['-n', 'k8s.io', 'i', 'import', '/tmp/d.tar']).code).toBe(0);
    const lines = lab.run('ctr', ['-n', 'k8s.io', 'images', 'ls']).stdout.split('\n');
    expect(lines[0]).toMatch(/^REF\s+TYPE\s+DIGEST\s+SIZE\s+PLATFORMS\s+LABELS $/);
    expect(lines[1]).toMatch(
      /^docker\.io\/library\/busybox:1\.36 application\/vnd\.docker\.distribution\.manifest\.v2\+json sha256:ec10d380\w+ 2\.6 KiB linux\/amd64 -\s+$/,
    );
  });

  it('tags and retags like ctr: existing target fails without --force', () => {
    started();
    lab.write('/tmp/p.tar', writeOciArchive({ ref: 'registry.aliyuncs.com/google_containers/pause:3.10' }));
    lab.run('ctr', ['-n', 'k8s.io', 'images', 'import', '/tmp/p.tar']);
    const tag = lab.run('ctr', [
      '-n',
      'k8s.io',
      'images',
      'tag',
      'registry.aliyuncs.com/google_containers/pause:3.10',
      'registry.k8s.io/pause:3.10',
    ]);
    expect(tag).toMatchObject({ code: 0, stdout: 'registry.k8s.io/pause:3.10\n' });
    const again = lab.run('ctr', [
      '-n',
      'k8s.io',
      'images',
      'tag',
      'registry.aliyuncs.com/google_containers/pause:3.10',
      'registry.k8s.io/pause:3.10',
    ]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe('ctr: image "registry.k8s.io/pause:3.10": already exists\n');
    expect(
      lab.run('ctr', [
        '-n',
        'k8s.io',
        'images',
        'tag',
        '--force',
        'registry.aliyuncs.com/google_containers/pause:3.10',
        'registry.k8s.io/pause:3.10',
      ]).code,
    ).toBe(0);
    const missing = lab.run('ctr', ['-n', 'k8s.io', 'images', 'tag', 'nope:1', 'x:1']);
    expect(missing.stderr).toBe('ctr: image "nope:1": not found\n');
    const ls = lab.run('ctr', ['-n', 'k8s.io', 'images', 'ls']).stdout.split('\n').filter(Boolean).slice(1);
    expect(ls.map((l) => l.split(' ')[0])).toEqual(['registry.aliyuncs.com/google_containers/pause:3.10', 'registry.k8s.io/pause:3.10']);
    expect(new Set(ls.map((l) => l.split(/\s+/)[2])).size).toBe(1); // same target digest
  });

  it('rm prints removed names and warns (exit 0) for missing ones', () => {
    started();
    lab.write('/tmp/p.tar', writeOciArchive({ ref: 'registry.k8s.io/pause:3.10' }));
    lab.run('ctr', ['-n', 'k8s.io', 'images', 'import', '/tmp/p.tar']);
    const r = lab.run('ctr', ['-n', 'k8s.io', 'images', 'rm', 'registry.k8s.io/pause:3.10', 'nothere:1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('registry.k8s.io/pause:3.10\n');
    expect(r.stderr).toMatch(/level=warning msg="nothere:1: image not found"/);
    expect(lab.run('lab-images').stdout).toBe('');
  });

  it('import of a missing or corrupt file fails without touching the store', () => {
    started();
    expect(lab.run('ctr', ['-n', 'k8s.io', 'images', 'import', '/tmp/none.tar']).stderr).toContain(
      'ctr: open /tmp/none.tar: no such file or directory',
    );
    lab.write('/tmp/bad.tar', writeOciArchive({ ref: 'registry.k8s.io/pause:3.10' }).subarray(0, 2000));
    const bad = lab.run('ctr', ['-n', 'k8s.io', 'images', 'import', '/tmp/bad.tar']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^ctr: /);
    expect(lab.run('lab-images').stdout).toBe('');
  });

  it('concurrent imports on one host lose nothing (the store is locked)', async () => {
    started();
    const refs = Array.from({ length: 8 }, (_, i) => `registry.example/app${i}:v1`);
    refs.forEach((ref, i) => lab.write(`/tmp/a${i}.tar`, writeOciArchive({ ref })));
    const results = await Promise.all(refs.map((_, i) => lab.runAsync('ctr', ['-n', 'k8s.io', 'images', 'import', `/tmp/a${i}.tar`])));
    expect(results.map((r) => r.code)).toEqual(refs.map(() => 0));
    expect(lab.run('lab-images').stdout).toBe(`${[...refs].sort().join('\n')}\n`);
  });

  it('a reboot (fresh /run) keeps the images but not the running runtime', () => {
    started();
    lab.write('/tmp/p.tar', writeOciArchive({ ref: 'registry.k8s.io/pause:3.10' }));
    lab.run('ctr', ['-n', 'k8s.io', 'images', 'import', '/tmp/p.tar']);
    rmSync(lab.path('/run'), { recursive: true, force: true });
    expect(lab.run('lab-runtime-active', ['containerd']).code).toBe(1);
    expect(lab.run('ctr', ['-n', 'k8s.io', 'images', 'ls', '-q']).code).toBe(1);
    expect(lab.run('lab-images').stdout).toBe('registry.k8s.io/pause:3.10\n');
    started();
    expect(lab.run('ctr', ['-n', 'k8s.io', 'images', 'ls', '-q']).stdout).toBe('registry.k8s.io/pause:3.10\n');
  });

  it('pull fails offline like containerd (no DNS for registry.k8s.io)', () => {
    started();
    const r = lab.run('ctr', ['-n', 'k8s.io', 'images', 'pull', 'registry.k8s.io/pause:3.10']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'ctr: failed to resolve reference "registry.k8s.io/pause:3.10": failed to do request: Head "https://registry.k8s.io/v2/pause/manifests/3.10": dial tcp: lookup registry.k8s.io: no such host\n',
    );
  });

  it('version prints client and server, --version the one-liner of the installed package', () => {
    lab.installed('containerd.io', '1.7.27-1');
    expect(lab.run('ctr', ['--version']).stdout).toBe('ctr github.com/containerd/containerd v1.7.27\n');
    started();
    expect(lab.run('ctr', ['version']).stdout).toMatch(/^Client:\n {2}Version: {2}v1\.7\.27\n[\s\S]*Server:\n {2}Version: {2}v1\.7\.27/);
  });
});

describe('pull from a registry the lab can reach (loopback)', () => {
  const image = makeTestImage({ ref: 'localhost/pause:3.10' });
  let registry: Awaited<ReturnType<typeof manifestRegistry>>;
  beforeEach(async () => {
    const manifest = { bytes: image.manifest, mediaType: 'application/vnd.oci.image.manifest.v1+json' };
    registry = await manifestRegistry({ '/v2/pause/manifests/3.10': manifest });
  });
  afterEach(() => registry.close());

  it('records the pulled image with the registry digest, directly and through a certs.d mirror', async () => {
    started();
    const direct = await lab.runAsync('ctr', ['-n', 'k8s.io', 'images', 'pull', '--plain-http', `127.0.0.1:${registry.port}/pause:3.10`]);
    expect(direct.code).toBe(0);
    lab.write(
      '/etc/containerd/certs.d/registry.k8s.io/hosts.toml',
      `server = "https://registry.k8s.io"\n[host."http://127.0.0.1:${registry.port}"]\n  capabilities = ["pull", "resolve"]\n`,
    );
    const mirrored = await lab.runAsync('ctr', [
      '-n',
      'k8s.io',
      'images',
      'pull',
      '--hosts-dir',
      '/etc/containerd/certs.d',
      'registry.k8s.io/pause:3.10',
    ]);
    expect(mirrored.stderr).toBe('');
    expect(registry.hits).toContain('/v2/pause/manifests/3.10?ns=registry.k8s.io');
    const store = JSON.parse(readFileSync(lab.path('/var/lib/lab/images/k8s.io.json'), 'utf8')) as {
      images: Array<{ name: string; digest: string; configDigest: string }>;
    };
    expect(store.images.map((i) => [i.name, i.digest])).toEqual([
      [`127.0.0.1:${registry.port}/pause:3.10`, sha256(image.manifest)],
      ['registry.k8s.io/pause:3.10', sha256(image.manifest)],
    ]);
    expect(store.images[0]!.configDigest).toBe(image.configDigest);
    const absent = await lab.runAsync('ctr', ['-n', 'k8s.io', 'images', 'pull', '--plain-http', `127.0.0.1:${registry.port}/nothere:1`]);
    expect(absent.stderr).toBe(
      `ctr: failed to resolve reference "127.0.0.1:${registry.port}/nothere:1": 127.0.0.1:${registry.port}/nothere:1: not found\n`,
    );
  });
});

describe('registry requests (node:http for plain-HTTP registries, as fetch() answered them)', () => {
  it('follows redirects, reports statuses and refused connections with the same texts', async () => {
    const { pullImage } = await import('../../../lab/emulators/src/runtime/registry-pull.js');
    const image = makeTestImage({ ref: 'localhost/pause:3.10' });
    const registry = await manifestRegistry({
      '/v2/pause/manifests/3.10': { bytes: image.manifest, mediaType: 'application/vnd.oci.image.manifest.v1+json' },
    });
    const odd = createServer((req, res) => {
      if (req.url?.startsWith('/v2/moved/'))
        res.writeHead(307, { location: `http://127.0.0.1:${registry.port}/v2/pause/manifests/3.10` }).end();
      else res.writeHead(500).end('boom');
    });
    await new Promise<void>((r) => odd.listen(0, '127.0.0.1', r));
    const port = (odd.address() as { port: number }).port;
    try {
      const moved = await pullImage(`127.0.0.1:${port}/moved:1`, { plainHttp: true });
      expect(moved.digest).toBe(sha256(image.manifest));
      const url = `http://127.0.0.1:${port}/v2/broken/manifests/1`;
      const viaFetch = await fetch(url);
      await expect(pullImage(`127.0.0.1:${port}/broken:1`, { plainHttp: true })).rejects.toThrow(
        `failed to resolve reference "127.0.0.1:${port}/broken:1": unexpected status from GET request to ${url}: 500 ${viaFetch.statusText}`,
      );
      await new Promise<void>((r) => odd.close(() => r()));
      const refused = await fetch(url).then(
        () => '',
        (e: Error) => e.message,
      );
      await expect(pullImage(`127.0.0.1:${port}/broken:1`, { plainHttp: true })).rejects.toThrow(
        `failed to resolve reference "127.0.0.1:${port}/broken:1": failed to do request: Head "${url}": ${refused}`,
      );
    } finally {
      odd.close();
      await registry.close();
    }
  });
});
