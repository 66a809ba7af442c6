/** The offline tasks over recording transports: what they decide from host state, and the exact commands they run. */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { RecordingTransport } from '../../../src/transport/recording.js';
import { kubesmith } from '../../e2e/helpers.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { offlineUpload } from '../../../src/tasks/offline/upload.js';
import { offlineInstall } from '../../../src/tasks/offline/install.js';
import { offlineImages } from '../../../src/tasks/offline/images.js';
import { offlineVerify } from '../../../src/tasks/offline/verify.js';
import { REMOTE_BUNDLE_DIR } from '../../../src/tasks/offline/bundle.js';
import { converge, harness } from '../tasks/helpers/context.js';
import { makeInventory } from '../tasks/helpers/inventory.js';
import { writeFakeBundle } from './fake-bundle.js';

function setup(spec: Record<string, unknown> = {}, o: Parameters<typeof writeFakeBundle>[2] = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'ks-fake-bundle-'));
  const made = makeInventory({ kubernetes: { version: '1.34.1' }, ...spec, offline: { bundle: dir } }, [
    { name: 'cp1', address: '10.0.0.1', roles: ['control-plane'] },
  ]);
  const m = writeFakeBundle(dir, makeInventory({ kubernetes: { version: '1.34.1' } }), o);
  return { dir, inv: made, m };
}

describe('offline.verify', () => {
  it('passes a complete bundle without running anything on the host', async () => {
    const { inv } = setup();
    const h = harness(inv);
    expect(await offlineVerify.check(h.ctx('cp1'))).toEqual({ status: 'ok' });
    expect(h.t('cp1').calls).toEqual([]);
  });

  it('refuses cilium (helm and its chart are not in the bundle) and a bundle for another version', async () => {
    const { inv } = setup({ network: { plugin: 'cilium' } });
    await expect(offlineVerify.check(harness(inv).ctx('cp1'))).rejects.toThrow(
      /support network\.plugin flannel or none; cilium needs helm/,
    );
    const other = setup({ kubernetes: { version: '1.35.0' } });
    await expect(offlineVerify.check(harness(other.inv).ctx('cp1'))).rejects.toThrow(
      /the bundle serves Kubernetes 1\.34\.1, the inventory asks for 1\.35\.0/,
    );
  });
});

describe('images load (CLI)', () => {
  it('refuses a file that is not an image archive before connecting anywhere', async () => {
    const { dir } = setup();
    const bogus = join(dir, 'files/linux-amd64/kubeadm');
    const inv = join(dir, 'inv.yaml');
    writeFileSync(
      inv,
      'apiVersion: kubesmith.io/v1alpha1\nkind: Cluster\nmetadata: {name: demo}\nspec:\n  hosts: [{name: cp1, address: 10.0.0.1, roles: [control-plane]}]\n',
    );
    const run = await kubesmith(['images', 'load', '-i', inv, bogus]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/not an image archive/);
  });
});

describe('offline.upload', () => {
  /** A host filesystem behind the recording transport: the probe, `: >`, `cat >>`, the final check+rename, sha256sum. */
  function remoteFs(t: RecordingTransport) {
    const fs = new Map<string, Buffer>();
    const sum = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    const sent: number[] = [];
    t.allow(/^sha256sum -- /, (c) => ({
      stdout: c.command
        .split(' ')
        .slice(2)
        .filter((p) => fs.has(p))
        .map((p) => `${sum(fs.get(p)!)}  ${p}`)
        .join('\n'),
    }))
      .allow(/^set -e; mkdir -p -- /, (c) => {
        const part = /if \[ -f (\S+) \]/.exec(c.command)![1]!;
        const b = fs.get(part);
        return { stdout: b ? `${b.length} ${sum(b)}\n` : '0 -\n' };
      })
      .allow(/^: > /, (c) => (fs.set(c.command.slice(4), Buffer.alloc(0)), {}))
      .allow(/^cat >> /, (c) => {
        const path = c.command.slice(7);
        const data = c.opts && 'stdin' in c.opts ? (c.opts.stdin as Buffer) : Buffer.alloc(0);
        sent.push(data.length);
        fs.set(path, Buffer.concat([fs.get(path) ?? Buffer.alloc(0), data]));
        return {};
      })
      .allow(/^set -e; got=/, (c) => {
        const [, part, want, remote] = /sha256sum < (\S+) .* != (\w+) .* mv -f -- \S+ (\S+)$/.exec(c.command)!;
        const b = fs.get(part!)!;
        if (sum(b) !== want) return { code: 1, stderr: 'checksum mismatch after upload' };
        fs.delete(part!);
        fs.set(remote!, b);
        return {};
      });
    return { fs, sent };
  }

  it('sends only files whose sha256 differs on the host; nothing when all match', async () => {
    const { inv, m, dir } = setup();
    const h = harness(inv);
    const t = h.t('cp1');
    const { fs, sent } = remoteFs(t);
    const files = m.files.filter((f) => f.kind !== 'package');
    const first = files.find((f) => f.kind === 'image')!;
    fs.set(`${REMOTE_BUNDLE_DIR}/${first.path}`, readFileSync(join(dir, first.path))); // already on the host
    const check = await offlineUpload.check(h.ctx('cp1'));
    expect(check).toEqual({
      status: 'change',
      changes: [{ summary: expect.stringMatching(new RegExp(`^upload ${files.length - 1} of ${files.length} bundle files`)) }],
    });
    await offlineUpload.apply(h.ctx('cp1'), check.status === 'change' ? check.changes : []);
    expect(sent.reduce((a, b) => a + b, 0)).toBe(files.filter((f) => f !== first).reduce((n, f) => n + f.size, 0));
    for (const f of files) expect(fs.get(`${REMOTE_BUNDLE_DIR}/${f.path}`)?.equals(readFileSync(join(dir, f.path))), f.path).toBe(true);
    sent.length = 0;
    expect(await offlineUpload.check(h.ctx('cp1'))).toEqual({ status: 'ok' });
    expect(sent).toEqual([]);
  });

  it('resumes a cut-off upload from the bytes on the host; restarts when they are not a prefix of the file', async () => {
    const { inv, m, dir } = setup();
    const h = harness(inv);
    const t = h.t('cp1');
    const { fs, sent } = remoteFs(t);
    const files = m.files.filter((f) => f.kind !== 'package');
    for (const f of files) fs.set(`${REMOTE_BUNDLE_DIR}/${f.path}`, readFileSync(join(dir, f.path)));
    const kubelet = files.find((f) => f.path.endsWith('/kubelet'))!;
    const local = readFileSync(join(dir, kubelet.path));
    const remote = `${REMOTE_BUNDLE_DIR}/${kubelet.path}`;
    fs.delete(remote);
    fs.set(`${remote}.part`, local.subarray(0, 20));
    await converge(offlineUpload, h.ctx('cp1'), [t]);
    expect(sent).toEqual([local.length - 20]);
    expect(fs.get(remote)!.equals(local)).toBe(true);

    fs.delete(remote);
    fs.set(`${remote}.part`, Buffer.from('garbage not from this file'));
    sent.length = 0;
    await converge(offlineUpload, h.ctx('cp1'), [t]);
    expect(sent).toEqual([local.length]);
    expect(fs.get(remote)!.equals(local)).toBe(true);
  });

  /** cp1 holds every file; w1 has none; the peer copy's two ends are faked on the recording transports. */
  function twoHosts(o: { peerFails?: boolean } = {}) {
    const dir = mkdtempSync(join(tmpdir(), 'ks-fake-bundle-'));
    const inv = makeInventory({ kubernetes: { version: '1.34.1' }, offline: { bundle: dir } }, [
      { name: 'cp1', address: '10.0.0.1', internalAddress: '192.168.0.1', roles: ['control-plane'] },
      { name: 'w1', address: '10.0.0.2', internalAddress: '192.168.0.2', roles: ['worker'] },
    ]);
    const m = writeFakeBundle(dir, makeInventory({ kubernetes: { version: '1.34.1' } }));
    const h = harness(inv);
    const cp1 = remoteFs(h.t('cp1'));
    const w1 = remoteFs(h.t('w1'));
    const files = m.files.filter((f) => f.kind !== 'package');
    for (const f of files) cp1.fs.set(`${REMOTE_BUNDLE_DIR}/${f.path}`, readFileSync(join(dir, f.path)));
    const served: string[] = [];
    h.t('cp1').allow(/^python3 - /, (c) => (served.push(c.command), o.peerFails ? { code: 124 } : {}));
    h.t('w1')
      .allow(/^mkdir -p -- /)
      .allow(/^python3 - /, (c) => {
        const part = c.command.split(' ')[2]!;
        if (o.peerFails) return { code: 111, stderr: 'connect 192.168.0.1:20000: [Errno 111] Connection refused' };
        w1.fs.set(part, cp1.fs.get(part.replace(/\.part$/, ''))!);
        return {};
      });
    return { h, files, w1, served };
  }

  it('a host takes the files a peer holds from that peer over the cluster network: nothing from the admin machine', async () => {
    const { h, files, w1, served } = twoHosts();
    expect(await offlineUpload.check(h.ctx('cp1'))).toEqual({ status: 'ok' }); // finds its files: now a holder
    await converge(offlineUpload, h.ctx('w1'), [h.t('w1')]);
    expect(w1.sent).toEqual([]);
    for (const f of files) expect(w1.fs.has(`${REMOTE_BUNDLE_DIR}/${f.path}`), f.path).toBe(true);
    expect(served).toHaveLength(files.length);
    // one listener per file: on cp1's internal address, for w1's internal address only, with a timeout
    expect(served[0]).toMatch(new RegExp(`^python3 - ${REMOTE_BUNDLE_DIR}/\\S+ 192\\.168\\.0\\.1 192\\.168\\.0\\.2 2\\d{4} 30$`));
    const fetches = h.t('w1').calls.filter((c) => c.command.startsWith('python3 - '));
    expect(fetches[0]!.command).toMatch(/^python3 - \S+\.part 192\.168\.0\.1 2\d{4} 192\.168\.0\.2 10$/);
  });

  it('a peer that fails: the host takes the file from the admin machine instead', async () => {
    const { h, files, w1, served } = twoHosts({ peerFails: true });
    expect(await offlineUpload.check(h.ctx('cp1'))).toEqual({ status: 'ok' });
    await converge(offlineUpload, h.ctx('w1'), [h.t('w1')]);
    expect(served.length).toBeGreaterThan(0);
    expect(w1.sent.reduce((a, b) => a + b, 0)).toBe(files.reduce((n, f) => n + f.size, 0));
    for (const f of files) expect(w1.fs.has(`${REMOTE_BUNDLE_DIR}/${f.path}`), f.path).toBe(true);
  });

  it('refuses a host whose architecture the bundle does not hold', async () => {
    const { inv } = setup();
    const h = harness(inv, { facts: () => ({ arch: 'arm64' }) });
    await expect(offlineUpload.check(h.ctx('cp1'))).rejects.toThrow(
      /cp1 is linux\/arm64; the bundle holds linux\/amd64 \(bundle create --platform …\)/,
    );
  });
});

describe('offline.install', () => {
  it('rhel: installs the bundle rpms with dnf from their paths, enables containerd and kubelet', async () => {
    const { inv } = setup({}, { packages: ['rhel-9'] });
    const h = harness(inv, {
      family: 'rhel',
      facts: () => ({
        os: {
          id: 'rocky',
          idLike: ['rhel', 'centos', 'fedora'],
          versionId: '9.4',
          prettyName: 'Rocky Linux 9.4 (Blue Onyx)',
          family: 'rhel',
        },
      }),
    });
    const t = h.t('cp1');
    t.allow('rpm -q', { code: 1 })
      .allow('containerd --version', { code: 127 })
      .allow('systemctl is-enabled kubelet', { code: 1 })
      .expect(
        /^dnf install -y --disableexcludes=all .*kubeadm-1\.34\.1-150500\.1\.1\.x86_64\.rpm .*containerd\.io-2\.1\.4-1\.el9\.x86_64\.rpm$/,
      )
      .expect('systemctl enable --now containerd')
      .expect('systemctl enable kubelet');
    const check = await offlineInstall.check(h.ctx('cp1'));
    expect(check.status === 'change' && check.changes.map((c) => c.summary)).toEqual([
      'install kubeadm 1.34.1-150500.1.1, kubelet 1.34.1-150500.1.1, kubectl 1.34.1-150500.1.1, cri-tools 1.34.0-150500.1.1, kubernetes-cni 1.7.1-150500.1.1, containerd.io 2.1.4-1.el9 from the bundle',
      'enable and start containerd',
      'enable kubelet',
    ]);
    await offlineInstall.apply(h.ctx('cp1'), check.status === 'change' ? check.changes : []);
  });

  it('debian without packages in the bundle: binaries to /usr/local/bin, archives unpacked, systemd units', async () => {
    const { inv } = setup();
    const h = harness(inv);
    const t = h.t('cp1');
    t.allow('sha256sum --', { stdout: '' })
      .allow(/^cat \/var\/lib\/kubesmith\/installed\//, { code: 1 })
      .allow('containerd --version', { code: 127 })
      .allow('systemctl is-enabled kubelet', { code: 1 })
      .allow(/^install -m 0755 /)
      .allow(/tar -xzf/)
      .allow('systemctl daemon-reload')
      .allow('systemctl enable --now containerd')
      .allow('systemctl enable kubelet');
    const check = await offlineInstall.check(h.ctx('cp1'));
    await offlineInstall.apply(h.ctx('cp1'), check.status === 'change' ? check.changes : []);
    const cmds = t.calls.filter((c) => c.kind === 'exec').map((c) => c.command);
    expect(cmds).toContain(`install -m 0755 ${REMOTE_BUNDLE_DIR}/files/linux-amd64/kubelet /usr/local/bin/kubelet`);
    expect(cmds).toContain(`install -m 0755 ${REMOTE_BUNDLE_DIR}/files/linux-amd64/runc /usr/local/sbin/runc`);
    // explicit member lists, as stored in each archive: LICENSE is not unpacked
    expect(
      cmds.some((c) =>
        /tar -xzf \/var\/lib\/kubesmith\/bundle\/files\/linux-amd64\/cni-plugins-linux-amd64-v1\.7\.1\.tgz -C \/opt\/cni\/bin --no-same-owner \.\/bridge \.\/host-local \.\/loopback \.\/portmap;/.test(
          c,
        ),
      ),
    ).toBe(true);
    expect(cmds.some((c) => /tar -xzf .*crictl-v1\.34\.0-linux-amd64\.tar\.gz -C \/usr\/local\/bin --no-same-owner crictl;/.test(c))).toBe(
      true,
    );
    expect(
      cmds.some((c) =>
        /tar -xzf .*containerd-[\d.]+-linux-amd64\.tar\.gz -C \/usr\/local --no-same-owner bin\/containerd bin\/ctr bin\/containerd-shim-runc-v2;/.test(
          c,
        ),
      ),
    ).toBe(true);
    expect(t.fileText('/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf')).toContain('EnvironmentFile=-/etc/default/kubelet');
    expect(t.fileText('/usr/lib/systemd/system/containerd.service')).toContain('ExecStart=/usr/local/bin/containerd');
  }, 20_000);
});

describe('offline.images', () => {
  it('imports only what the runtime lacks at the bundle digest, and retags for another imageRepository', async () => {
    const { inv, m } = setup({ kubernetes: { version: '1.34.1', imageRepository: 'registry.internal/k8s' } });
    const h = harness(inv);
    const t = h.t('cp1');
    const pause = m.images.find((i) => i.component === 'pause')!;
    const apiserver = m.images.find((i) => i.component === 'kube-apiserver')!;
    // pause is there at the right digest (also under the inventory's name); the apiserver at a stale digest
    const listing = [
      'REF TYPE DIGEST SIZE PLATFORMS LABELS',
      `${pause.ref} application/vnd.oci.image.manifest.v1+json ${pause.platforms['linux/amd64']!.digest} 1.0 KiB linux/amd64 -`,
      `registry.internal/k8s/pause:3.10.1 application/vnd.oci.image.manifest.v1+json ${pause.platforms['linux/amd64']!.digest} 1.0 KiB linux/amd64 -`,
      `${apiserver.ref} application/vnd.oci.image.manifest.v1+json sha256:${'0'.repeat(64)} 1.0 KiB linux/amd64 -`,
    ].join('\n');
    t.allow('ctr -n k8s.io images ls -q', {}).allow('ctr -n k8s.io images ls', { stdout: listing });
    const check = await offlineImages.check(h.ctx('cp1'));
    const summaries = check.status === 'change' ? check.changes.map((c) => c.summary) : [];
    expect(summaries.filter((s) => s.startsWith('import'))).toHaveLength(m.images.length - 1);
    expect(summaries.some((s) => s.startsWith('import registry.k8s.io/pause'))).toBe(false);
    expect(summaries).toContain(
      'import registry.k8s.io/kube-apiserver:v1.34.1 (' + apiserver.platforms['linux/amd64']!.digest.slice(7, 19) + ')',
    );
    expect(summaries).toContain('tag registry.k8s.io/kube-apiserver:v1.34.1 as registry.internal/k8s/kube-apiserver:v1.34.1');
    expect(summaries).toContain('tag registry.k8s.io/coredns/coredns:v1.12.1 as registry.internal/k8s/coredns:v1.12.1');
    expect(summaries.some((s) => s.includes('as registry.internal/k8s/pause'))).toBe(false);
    expect(summaries.some((s) => s.includes('flannel') && s.startsWith('tag'))).toBe(false);
  });
});
