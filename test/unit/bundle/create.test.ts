/** bundle create against a real docker-registry and the lab's real-layout files mirror; verify and match against inventories. */
import { existsSync, mkdtempSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inventorySchema, type Inventory, type InventoryInput } from '../../../src/inventory/schema.js';
import { createBundle } from '../../../src/bundle/create.js';
import { imageSet } from '../../../src/bundle/image-set.js';
import { BundleError, readManifest, verifyBundle } from '../../../src/bundle/manifest.js';
import { matchBundle } from '../../../src/bundle/match.js';
import { stringify } from 'yaml';
import { packBundle } from '../../../src/bundle/open.js';
import { pushTarget } from '../../../src/bundle/push.js';
import { RegistryClient } from '../../../src/bundle/registry.js';
import { kubesmith } from '../../e2e/helpers.js';
import { haveRegistry, startRegistry, type LocalRegistry } from './local-registry.js';
import { seedImages } from './seed.js';
import { startMirror, type Mirror } from '../../lab/mirror.js';

const inv = (spec: Partial<InventoryInput['spec']> = {}): Inventory =>
  inventorySchema.parse({
    apiVersion: 'kubesmith.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name: 'demo' },
    spec: {
      hosts: [{ name: 'cp1', address: '10.0.0.1', roles: ['control-plane'] }],
      kubernetes: { version: '1.34.1' },
      offline: { extraImages: ['nginx:1.27'] },
      ...spec,
    },
  });

describe.skipIf(!haveRegistry())('bundle create', () => {
  let reg: LocalRegistry;
  let files: Mirror;
  let out: string;
  const inventory = inv();
  const counted = () => {
    const calls: string[] = [];
    const f: typeof fetch = (input, init) => {
      calls.push(String(input instanceof Request ? input.url : input));
      return fetch(input, init);
    };
    return { calls, f };
  };
  const create = (f: typeof fetch, extra: Partial<Parameters<typeof createBundle>[0]> = {}) =>
    createBundle({
      inventory,
      out,
      platforms: ['linux/amd64'],
      mirrors: { '*': [reg.url] },
      mirrorsOnly: true,
      filesUrl: files.url,
      allowHttpFiles: true,
      packages: ['debian-12'],
      fetch: f,
      ...extra,
    });

  beforeAll(async () => {
    reg = await startRegistry();
    files = await startMirror({ minors: ['1.34'] });
    await seedImages(
      reg.url,
      imageSet(inventory).map((i) => i.ref),
      ['linux/amd64', 'linux/arm64'],
    );
    out = mkdtempSync(join(tmpdir(), 'ks-bundle-'));
  }, 30_000);
  afterAll(async () => {
    await reg?.stop();
    await files?.close();
  });

  it('resumes a download cut in the middle with a Range request', async () => {
    const kubelet = '/dl.k8s.io/release/v1.34.1/bin/linux/amd64/kubelet';
    files.cutAfter.set(kubelet, 70_000);
    const { f } = counted();
    await expect(create(f)).rejects.toThrow();
    const partial = statSync(join(out, 'files/linux-amd64/kubelet.part')).size;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThanOrEqual(70_000);
    expect(existsSync(join(out, 'manifest.json'))).toBe(false); // the manifest is written last
    files.requests.length = 0;
    await create(f);
    expect(files.requests.filter((r) => r.startsWith(`GET ${kubelet} `))).toEqual([`GET ${kubelet} bytes=${partial}-`]);
    expect(readFileSync(join(out, 'files/linux-amd64/kubelet')).equals(files.files.get(kubelet)!)).toBe(true);
  });

  it('writes a manifest with every file, its size and sha256, the versions and the image digests', async () => {
    const m = await verifyBundle(out);
    expect(m.kubernetes.version).toBe('1.34.1');
    expect(m.network).toEqual({ plugin: 'flannel', version: '0.28.9' });
    expect(m.platforms).toEqual(['linux/amd64']);
    expect(m.images.map((i) => i.ref)).toEqual(imageSet(inventory).map((i) => i.ref));
    expect(m.images.every((i) => /^sha256:/.test(i.platforms['linux/amd64']!.digest) && /^sha256:/.test(i.repoDigest ?? ''))).toBe(true);
    const kinds = new Set(m.files.map((f) => f.kind));
    expect([...kinds].sort()).toEqual(['archive', 'binary', 'image', 'package']);
    expect(m.files.filter((f) => f.kind === 'package').map((f) => f.path)).toContain(
      'packages/debian-12/amd64/kubeadm_1.34.1-1.1_amd64.deb',
    );
  });

  it('a second run downloads nothing: it reads only the index and checksum files again', async () => {
    const { calls, f } = counted();
    files.requests.length = 0;
    await create(f);
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((c) => c.startsWith(files.url))).toBe(true); // no registry request: every image was kept
    expect(files.requests.map((r) => r.split(' ')[1]).filter((p) => !files.indexPaths.has(p!))).toEqual([]);
  });

  it('--sign writes manifest.json.sig that the public key verifies; an unsigned re-run removes it', async () => {
    const { generateSigningKey, loadSigningKey, SIGNATURE_FILE } = await import('../../../src/bundle/signature.js');
    const keys = generateSigningKey(join(mkdtempSync(join(tmpdir(), 'ks-key-')), 'bundle.key'));
    await create(counted().f, { signingKey: loadSigningKey(keys.privateKey) });
    expect((await verifyBundle(out, { publicKey: keys.publicKey })).images.length).toBeGreaterThan(0);
    await create(counted().f);
    expect(existsSync(join(out, SIGNATURE_FILE))).toBe(false);
    await expect(verifyBundle(out, { publicKey: keys.publicKey })).rejects.toThrow(/manifest\.json\.sig is missing/);
  });

  it('verify finds truncated and corrupt files; match finds version mismatches and missing images', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'ks-bundle-bad-'));
    await createBundle({
      inventory,
      out: copy,
      platforms: ['linux/amd64'],
      mirrors: { '*': [reg.url] },
      mirrorsOnly: true,
      filesUrl: files.url,
      allowHttpFiles: true,
    });
    const m = readManifest(copy);
    const image = m.images[0]!.platforms['linux/amd64']!.file;
    const bin = 'files/linux-amd64/kubeadm';
    truncateSync(join(copy, image), 100);
    const b = readFileSync(join(copy, bin));
    b[1000] = b[1000]! ^ 0xff;
    writeFileSync(join(copy, bin), b);
    const err = await verifyBundle(copy).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BundleError);
    expect((err as BundleError).problems).toEqual([
      expect.stringMatching(new RegExp(`^${image.replace(/[.]/g, '\\.')}: 100 bytes, the manifest says \\d+ \\(truncated or replaced\\)$`)),
      expect.stringMatching(/^files\/linux-amd64\/kubeadm: sha256 .* does not match .* \(corrupt\)$/),
    ]);

    const other = matchBundle(m, inv({ kubernetes: { version: '1.35.0' }, offline: { extraImages: ['nginx:1.27', 'redis:7'] } }));
    expect(other.problems).toEqual(
      expect.arrayContaining([
        'the bundle serves Kubernetes 1.34.1, the inventory asks for 1.35.0 (make a new bundle: kubesmith bundle create -i …)',
        'image registry.k8s.io/coredns/coredns:v1.13.1 is not in the bundle',
        'image docker.io/library/redis:7 is not in the bundle',
      ]),
    );
  });

  it('bundle verify / push through the CLI; a .tar bundle is unpacked and checked like a directory', async () => {
    const tar = `${out}.tar`;
    await packBundle(out, tar);
    const invFile = join(out, '..', `${out.split('/').pop()}-inv.yaml`);
    writeFileSync(
      invFile,
      stringify({
        apiVersion: 'kubesmith.io/v1alpha1',
        kind: 'Cluster',
        metadata: { name: 'demo' },
        spec: {
          hosts: [{ name: 'cp1', address: '10.0.0.1', roles: ['control-plane'] }],
          kubernetes: { version: '1.34.1' },
          offline: { bundle: tar, extraImages: ['nginx:1.27'] },
        },
      }),
    );
    const verified = await kubesmith(['bundle', 'verify', '-i', invFile]);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stderr).toMatch(/every file matches its manifest/);

    const pushed = await kubesmith(['bundle', 'push', '-i', invFile, '--registry', reg.url, '--prefix', 'mirror', '--output', 'json']);
    expect(pushed.code, pushed.stderr + pushed.stdout).toBe(0);
    const m = readManifest(out);
    const client = new RegistryClient();
    for (const image of m.images) {
      const { repository, tag } = pushTarget(image.ref, 'mirror');
      const got = await client.getManifest({ registry: reg.host, repository, tag }, tag);
      expect(got.digest, image.ref).toBe(image.platforms['linux/amd64']!.digest); // digests survive the mirror
    }
    const again = await kubesmith(['bundle', 'push', '-i', invFile, '--registry', reg.url, '--prefix', 'mirror', '--output', 'json']);
    expect(
      again.stdout
        .split('\n')
        .filter((l) => l.includes('"blobsSent"'))
        .every((l) => l.includes('"blobsSent":0')),
    ).toBe(true);

    const skewFile = invFile.replace('-inv.yaml', '-skew.yaml');
    writeFileSync(skewFile, readFileSync(invFile, 'utf8').replace('version: 1.34.1', 'version: 1.35.0'));
    const skew = await kubesmith(['bundle', 'verify', '-i', skewFile, '--bundle', out]);
    expect(skew.code).toBe(1);
    expect(skew.stderr).toContain('problem: the bundle serves Kubernetes 1.34.1, the inventory asks for 1.35.0');
  }, 30_000);

  it('match retags when the inventory names the same images under another repository', () => {
    const m = readManifest(out);
    const r = matchBundle(m, inv({ kubernetes: { version: '1.34.1', imageRepository: 'registry.internal/k8s' } }));
    // coredns flattens under a custom repository: same component and tag, new name
    expect(r.problems).toEqual([]);
    const coredns = r.images.find((i) => i.component === 'coredns')!;
    expect(coredns).toMatchObject({ ref: 'registry.internal/k8s/coredns:v1.12.1', retag: true });
    expect(coredns.image.ref).toBe('registry.k8s.io/coredns/coredns:v1.12.1');
    expect(r.images.find((i) => i.component === 'flannel')!.retag).toBe(false);
  });
});
