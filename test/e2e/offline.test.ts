/**
 * Air-gapped install on the lab: `bundle create` against a real docker-registry and the lab's real-layout files
 * mirror on 127.0.0.1 (the admin machine's "internet": repository indexes, publisher checksum files; test/lab/mirror.ts),
 * then `apply` from the bundle on 1 control plane + 1 worker whose hosts have no route out. The bundle is signed and
 * the inventory names the public key: a corrupted bundle, a manifest changed after signing or a version mismatch is
 * refused before any host is touched;
 * a second apply moves 0 bytes; `images load` skips nodes that hold the images.
 */
import { createHash } from 'node:crypto';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { labDown, labUp, type Lab } from '../lab/lab.js';
import { writeOciArchive } from '../lab/emulators/src/runtime/oci-archive-writer.js';
import { inventorySchema } from '../../src/inventory/schema.js';
import { imageSet } from '../../src/bundle/image-set.js';
import { readManifest } from '../../src/bundle/manifest.js';
import { generateSigningKey } from '../../src/bundle/signature.js';
import { haveRegistry, startRegistry, type LocalRegistry } from '../unit/bundle/local-registry.js';
import { seedImages } from '../unit/bundle/seed.js';
import { startMirror, type Mirror } from '../lab/mirror.js';
import { changedCount, hostOutcomes, kubesmith, labReady, writesIn } from './helpers.js';
import { readyNodes } from './offline-helpers.js';

const NAME = 'e2e-offline';
const ready = labReady() && haveRegistry();
if (!ready) console.warn('skipping test/e2e/offline.test.ts: needs root, the lab emulators and /usr/bin/docker-registry');

describe.skipIf(!ready)('offline: bundle create → apply with no route out → Ready', () => {
  let lab: Lab;
  let reg: LocalRegistry;
  let files: Mirror;
  let inv: string;
  let bundle: string;
  let keys: { privateKey: string; publicKey: string };
  const extra = { kubernetes: { version: '1.34.1' }, network: { plugin: 'flannel' } };

  beforeAll(async () => {
    lab = await labUp({ name: NAME, hosts: [{ name: 'cp1' }, { name: 'w1' }] });
    reg = await startRegistry();
    files = await startMirror({ minors: ['1.34'] });
    bundle = join(lab.root, 'bundle');
    inv = join(lab.root, 'inventory.yaml');
    keys = generateSigningKey(join(lab.root, 'bundle.key'));
    lab.writeInventory(inv, {
      controlPlanes: ['cp1'],
      workers: ['w1'],
      extra: { ...extra, offline: { bundle, publicKey: keys.publicKey } },
    });
    const parsed = inventorySchema.parse((await import('yaml')).parse(readFileSync(inv, 'utf8')));
    await seedImages(
      reg.url,
      imageSet(parsed).map((i) => i.ref),
    );
  }, 180_000);

  afterAll(async () => {
    await reg?.stop();
    await files?.close();
    if (lab) await labDown(NAME);
  }, 120_000);

  it('bundle create (signed) resolves every file through the indexes and checksum files, and a re-run downloads nothing', async () => {
    const args = [
      'bundle',
      'create',
      '-i',
      inv,
      '-o',
      bundle,
      '--registry-mirror',
      reg.url,
      '--mirrors-only',
      '--files-url',
      files.url,
      '--allow-http-files',
      '--packages',
      'debian-12',
      '--sign',
      keys.privateKey,
    ];
    const run = await kubesmith(args);
    expect(run.code, run.stderr).toBe(0);
    const m = readManifest(bundle);
    expect(m.images.map((i) => i.ref)).toContain('registry.k8s.io/coredns/coredns:v1.12.1');
    const containerd = m.files.find((f) => f.path === 'packages/debian-12/amd64/containerd.io_2.1.4-1_amd64.deb');
    // found where Docker's repository keeps it, with the sha256 its Packages index gives
    expect(containerd?.source).toBe(
      `${files.url}/download.docker.com/linux/debian/dists/bookworm/pool/stable/amd64/containerd.io_2.1.4-1_amd64.deb`,
    );
    for (const f of m.files.filter((x) => x.kind !== 'image')) {
      expect(files.files.has(new URL(f.source!).pathname), f.path).toBe(true);
    }
    const indexes = files.requests.map((r) => r.split(' ')[1]!).filter((p) => files.indexPaths.has(p));
    expect(indexes).toEqual(
      expect.arrayContaining([
        '/pkgs.k8s.io/core:/stable:/v1.34/deb/InRelease',
        '/pkgs.k8s.io/core:/stable:/v1.34/deb/Packages',
        '/download.docker.com/linux/debian/dists/bookworm/InRelease',
        '/download.docker.com/linux/debian/dists/bookworm/stable/binary-amd64/Packages',
        '/dl.k8s.io/release/v1.34.1/bin/linux/amd64/kubeadm.sha256',
      ]),
    );
    expect(readFileSync(join(bundle, 'manifest.json.sig'), 'utf8')).toMatch(/^[A-Za-z0-9+/]{86}==\n$/); // 64 bytes, base64
    files.requests.length = 0;
    const again = await kubesmith(args);
    expect(again.code, again.stderr).toBe(0);
    expect(files.requests.map((r) => r.split(' ')[1]).filter((p) => !files.indexPaths.has(p!))).toEqual([]);
    expect(again.stderr).toMatch(/moved 0\.0 MiB/);
  }, 120_000);

  it('the hosts have no route to the internet', async () => {
    for (const h of ['cp1', 'w1']) {
      const r = await lab.exec(h, 'ip route get 1.1.1.1');
      expect(r.code, `${h}: ${r.stdout}`).not.toBe(0);
      expect((await lab.exec(h, 'ip route show default')).stdout.trim()).toBe('');
    }
  });

  it('a corrupted bundle, a manifest changed after signing or a version mismatch is refused before any host is touched', async () => {
    const before = ['cp1', 'w1'].map((h) => lab.journal(h).length);
    const bad = join(lab.root, 'bundle-bad');
    cpSync(bundle, bad, { recursive: true });
    const kubelet = join(bad, 'packages/debian-12/amd64/kubelet_1.34.1-1.1_amd64.deb');
    const bytes = readFileSync(kubelet);
    bytes[10] = bytes[10]! ^ 0xff;
    writeFileSync(kubelet, bytes);
    const badInv = join(lab.root, 'bad.yaml');
    lab.writeInventory(badInv, { controlPlanes: ['cp1'], workers: ['w1'], extra: { ...extra, offline: { bundle: bad } } });
    const corrupt = await kubesmith(['apply', '-i', badInv]);
    expect(corrupt.code).toBe(1);
    expect(corrupt.stdout + corrupt.stderr).toMatch(/kubelet_1\.34\.1-1\.1_amd64\.deb: sha256 .* \(corrupt\)/);

    const skewInv = join(lab.root, 'skew.yaml');
    lab.writeInventory(skewInv, {
      controlPlanes: ['cp1'],
      workers: ['w1'],
      extra: { ...extra, kubernetes: { version: '1.35.0' }, offline: { bundle } },
    });
    const skew = await kubesmith(['apply', '-i', skewInv]);
    expect(skew.code).toBe(1);
    expect(skew.stdout + skew.stderr).toContain('the bundle serves Kubernetes 1.34.1, the inventory asks for 1.35.0');

    // a manifest changed after signing (here: a consistent forgery, the kubelet package swapped and its size and
    // sha256 edited to match) is refused by its signature before any upload
    const forged = join(lab.root, 'bundle-forged');
    cpSync(bundle, forged, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(forged, 'manifest.json'), 'utf8')) as {
      files: { path: string; size: number; sha256: string }[];
    };
    const entry = manifest.files.find((f) => f.path.endsWith('kubelet_1.34.1-1.1_amd64.deb'))!;
    const evil = Buffer.from('not the kubelet package\n');
    writeFileSync(join(forged, entry.path), evil);
    Object.assign(entry, { size: evil.length, sha256: createHash('sha256').update(evil).digest('hex') });
    writeFileSync(join(forged, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    const forgedInv = join(lab.root, 'forged.yaml');
    lab.writeInventory(forgedInv, {
      controlPlanes: ['cp1'],
      workers: ['w1'],
      extra: { ...extra, offline: { bundle: forged, publicKey: keys.publicKey } },
    });
    const refused = await kubesmith(['apply', '-i', forgedInv]);
    expect(refused.code).toBe(1);
    expect(refused.stdout + refused.stderr).toContain(
      `manifest.json is not signed by ${keys.publicKey} (changed after signing, or signed with another key)`,
    );

    // nothing but reads reached the hosts (the engine's run lock aside): no upload, no package, no file
    ['cp1', 'w1'].forEach((h, i) => expect(writesIn(lab.journal(h).slice(before[i])), h).toEqual([]));
    for (const h of ['cp1', 'w1']) {
      expect((await lab.exec(h, 'ls /var/lib/kubesmith/bundle 2>&1')).code, h).not.toBe(0);
      expect((await lab.exec(h, 'lab-pkg-version kubeadm')).code, h).not.toBe(0);
      expect(lab.readFile(h, '/etc/sysctl.d/k8s.conf'), h).toBeNull();
    }
  }, 300_000);

  it('plan on the fresh hosts lists the offline changes and writes nothing', async () => {
    const before = ['cp1', 'w1'].map((h) => lab.journal(h).length);
    const run = await kubesmith(['plan', '-i', inv]);
    expect(run.code, run.stderr + run.stdout.slice(-3000)).toBe(0);
    expect(run.stdout).toMatch(/upload \d+ of \d+ bundle files/);
    ['cp1', 'w1'].forEach((h, i) => expect(writesIn(lab.journal(h).slice(before[i])), h).toEqual([]));
    for (const h of ['cp1', 'w1']) expect((await lab.exec(h, 'ls /var/lib/kubesmith/bundle 2>&1')).code, h).not.toBe(0);
  }, 300_000);

  it('apply installs from the bundle and brings both nodes to Ready', async () => {
    const run = await kubesmith(['apply', '-i', inv, '--output', 'json']);
    expect(run.code, run.stderr + run.stdout.slice(-4000)).toBe(0);
    expect(await readyNodes(lab)).toEqual({ cp1: 'True', w1: 'True' });

    const kubeadm = parseAllDocuments(lab.readFile('cp1', '/etc/kubernetes/kubesmith/kubeadm-init.yaml') ?? '').map((d) => d.toJS());
    expect(kubeadm[0].nodeRegistration.imagePullPolicy).toBe('Never');
    const m = readManifest(bundle);
    for (const h of ['cp1', 'w1']) {
      const listed = (await lab.exec(h, 'ctr -n k8s.io images ls')).stdout;
      for (const image of m.images) expect(listed, `${h} ${image.ref}`).toContain(`${image.ref} `);
      expect(listed).toContain(m.images.find((i) => i.component === 'pause')!.platforms['linux/amd64']!.digest);
      const journal = lab.journal(h).join('\n');
      expect(journal, h).toMatch(
        /apt-get install -y .*\/var\/lib\/kubesmith\/bundle\/packages\/debian-12\/amd64\/kubeadm_1\.34\.1-1\.1_amd64\.deb/,
      );
      expect(journal, h).not.toMatch(/apt-get update|crictl pull|ctr .*pull/);
    }
  }, 900_000);

  it('a second apply changes nothing and uploads nothing', async () => {
    const run = await kubesmith(['apply', '-i', inv, '--output', 'json']);
    expect(run.code, run.stderr + run.stdout.slice(-3000)).toBe(0);
    expect(hostOutcomes(run).filter((o) => o.outcome !== 'ok' && o.outcome !== 'skipped')).toEqual([]);
    expect(changedCount(run)).toBe(0);
    const uploads = hostOutcomes(run).filter((o) => o.task === 'offline.upload');
    expect(uploads.map((o) => [o.host, o.outcome]).sort()).toEqual([
      ['cp1', 'ok'],
      ['w1', 'ok'],
    ]);
  }, 600_000);

  it('images load puts an archive on --limit nodes only, then skips nodes that hold it', async () => {
    const archive = join(lab.root, 'app.tar');
    writeFileSync(archive, writeOciArchive({ ref: 'registry.example.com/team/app:v1' }));
    const run = await kubesmith(['images', 'load', '-i', inv, archive, '--limit', 'w1', '--output', 'json']);
    expect(run.code, run.stderr + run.stdout.slice(-3000)).toBe(0);
    expect((await lab.exec('w1', 'ctr -n k8s.io images ls -q')).stdout).toContain('registry.example.com/team/app:v1');
    expect((await lab.exec('cp1', 'ctr -n k8s.io images ls -q')).stdout).not.toContain('registry.example.com/team/app:v1');
    const again = await kubesmith(['images', 'load', '-i', inv, archive, '--output', 'json']);
    expect(again.code, again.stderr).toBe(0);
    const outcomes = Object.fromEntries(
      hostOutcomes(again)
        .filter((o) => o.task === 'images.load')
        .map((o) => [o.host, o.outcome]),
    );
    expect(outcomes).toEqual({ cp1: 'changed', w1: 'ok' });
  }, 300_000);
});
