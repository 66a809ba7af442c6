// What kubesmith's provisioning renders (templates/containerd, crictl, docker) meets the runtime emulators:
// the settings land where the lab asserts on them, a certs.d mirror on loopback serves a CRI pull, and a bundle's
// image archive imports with the digest the bundle recorded.
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { LabRoot, ensureBuilt, imageRoutes, manifestRegistry } from './helpers.js';
import { RegistryClient } from '../../../../src/bundle/registry.js';
import { pullImage as pullBundleImage } from '../../../../src/bundle/pull.js';
import { render } from '../../../../src/render/index.js';
import { makeTestImage } from '../../../lab/emulators/src/runtime/oci-archive.js';

let lab: LabRoot;
beforeAll(() => ensureBuilt());
beforeEach(() => {
  lab = new LabRoot();
});
afterEach(() => lab.cleanup());

const effective = (service: string): Record<string, unknown> =>
  JSON.parse(readFileSync(lab.path(`/run/lab/${service}/effective.json`), 'utf8'));

describe('rendered runtime files in the emulated runtimes', () => {
  it('config-v2 on containerd 1.6 and config-v3 on containerd 2.1: systemd cgroups, pause image, certs.d', () => {
    lab.write(
      '/etc/containerd/config.toml',
      render('containerd/config-v2.toml', { sandboxImage: 'registry.k8s.io/pause:3.10', registryConfigPath: '/etc/containerd/certs.d' }),
    );
    expect(lab.systemctl('containerd', 'start').code).toBe(0);
    expect(effective('containerd')).toMatchObject({
      configVersion: 2,
      systemdCgroup: true,
      sandboxImage: 'registry.k8s.io/pause:3.10',
      configPath: '/etc/containerd/certs.d',
      criDisabled: false,
    });
    lab.systemctl('containerd', 'stop');
    lab.installed('containerd.io', '2.1.4-1');
    lab.write(
      '/etc/containerd/config.toml',
      render('containerd/config-v3.toml', { sandboxImage: 'registry.k8s.io/pause:3.10.1', registryConfigPath: '/etc/containerd/certs.d' }),
    );
    expect(lab.systemctl('containerd', 'start').code).toBe(0);
    expect(effective('containerd')).toMatchObject({
      configVersion: 3,
      systemdCgroup: true,
      sandboxImage: 'registry.k8s.io/pause:3.10.1',
      configPath: '/etc/containerd/certs.d',
    });
  });

  it('crictl pull goes through the hosts.toml mirror named by config_path', async () => {
    const pause = makeTestImage({ ref: 'registry.k8s.io/pause:3.10' });
    const registry = await manifestRegistry(imageRoutes('pause', '3.10', pause));
    try {
      lab.write(
        '/etc/containerd/config.toml',
        render('containerd/config-v2.toml', { sandboxImage: 'registry.k8s.io/pause:3.10', registryConfigPath: '/etc/containerd/certs.d' }),
      );
      lab.write(
        '/etc/containerd/certs.d/registry.k8s.io/hosts.toml',
        render('containerd/hosts.toml', {
          registry: 'registry.k8s.io',
          server: 'https://registry.k8s.io',
          mirrors: [{ url: `http://127.0.0.1:${registry.port}`, skipVerify: true }],
        }),
      );
      lab.write('/etc/crictl.yaml', render('crictl/crictl.yaml', { socket: 'unix:///run/containerd/containerd.sock' }));
      lab.systemctl('containerd', 'start');
      const pull = await lab.runAsync('crictl', ['pull', 'registry.k8s.io/pause:3.10']);
      expect(pull).toMatchObject({ code: 0, stdout: `Image is up to date for ${pause.configDigest}\n` });
      expect(lab.run('lab-images').stdout).toBe('registry.k8s.io/pause:3.10\n');
      // an image the mirror does not have (404) falls back to the server, which the lab cannot reach
      const missing = await lab.runAsync('crictl', ['pull', 'registry.k8s.io/etcd:3.5.15-0']);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain(
        'failed to resolve reference "registry.k8s.io/etcd:3.5.15-0": failed to do request: Head "https://registry.k8s.io/v2/etcd/manifests/3.5.15-0": dial tcp: lookup registry.k8s.io: no such host',
      );
      expect(registry.hits).toContain('/v2/etcd/manifests/3.5.15-0?ns=registry.k8s.io');
    } finally {
      await registry.close();
    }
  });

  it('an archive made by `bundle create` (src/bundle/pull.ts) imports with the digest the bundle recorded', async () => {
    const pause = makeTestImage({ ref: 'registry.k8s.io/pause:3.10' });
    const registry = await manifestRegistry(imageRoutes('pause', '3.10', pause));
    try {
      const client = new RegistryClient({ mirrors: { 'registry.k8s.io': [`http://127.0.0.1:${registry.port}`] }, mirrorsOnly: true });
      const bundleRoot = lab.path('/root/bundle');
      const pulled = await pullBundleImage('registry.k8s.io/pause:3.10', {
        client,
        root: bundleRoot,
        cache: lab.path('/root/cache'),
        platforms: ['linux/amd64'],
      });
      const { digest, file } = pulled.platforms['linux/amd64']!;
      lab.systemctl('containerd', 'start');
      expect(lab.run('ctr', ['-n', 'k8s.io', 'images', 'import', '--platform', 'linux/amd64', `/root/bundle/${file}`]).code).toBe(0);
      const [, row] = lab.run('ctr', ['-n', 'k8s.io', 'images', 'ls']).stdout.split('\n');
      expect(row!.split(/\s+/).slice(0, 3)).toEqual(['registry.k8s.io/pause:3.10', 'application/vnd.oci.image.manifest.v1+json', digest]);
    } finally {
      await registry.close();
    }
  });

  it('daemon.json (systemd driver, mirrors) and the cri-dockerd drop-in', () => {
    lab.write(
      '/etc/docker/daemon.json',
      render('docker/daemon.json', { registryMirrors: ['http://127.0.0.1:5000'], insecureRegistries: ['127.0.0.1:5000'] }),
    );
    expect(lab.systemctl('docker', 'start').code).toBe(0);
    expect(effective('docker')).toMatchObject({ cgroupDriver: 'systemd', registryMirrors: ['http://127.0.0.1:5000'] });
    lab.write(
      '/usr/lib/systemd/system/cri-docker.service',
      '[Service]\nExecStart=/usr/bin/cri-dockerd --container-runtime-endpoint fd://\n',
    );
    lab.write(
      '/etc/systemd/system/cri-docker.service.d/10-kubesmith.conf',
      render('docker/cri-docker.conf', { sandboxImage: 'registry.k8s.io/pause:3.10' }),
    );
    expect(lab.systemctl('cri-docker', 'start').code).toBe(0);
    expect(effective('cri-docker')).toMatchObject({ podInfraImage: 'registry.k8s.io/pause:3.10', networkPlugin: 'cni' });
  });
});
