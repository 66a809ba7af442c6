/** How kubesmith reaches the etcd image's tools on a control plane (src/tasks/etcd/node.ts), per runtime. */
import { describe, expect, it } from 'vitest';
import { makeInventory } from '../tasks/helpers/inventory.js';
import { Host } from '../../../src/model/host.js';
import { RecordingTransport } from '../../../src/transport/recording.js';
import { etcdNode, imageRunArgv, runEtcdctl, runOffline, toolImage } from '../../../src/tasks/etcd/node.js';

const cp1 = (inv: ReturnType<typeof makeInventory>) => new Host(inv.spec.hosts[0]!);

describe('etcd tools from the etcd image', () => {
  it("containerd: ctr run of the inventory's etcd image with /var/lib bind-mounted, argv only", () => {
    const inv = makeInventory({ kubernetes: { version: '1.34.1' } });
    const n = etcdNode(inv, cp1(inv), new RecordingTransport('cp1'));
    expect(n.image).toMatch(/^registry\.k8s\.io\/etcd:3\.6\.\d+-0$/);
    expect(imageRunArgv(n, n.image, ['etcdutl', 'version'], 'x')).toEqual([
      'ctr',
      '-n',
      'k8s.io',
      'run',
      '--rm',
      '--net-host',
      '--mount',
      'type=bind,src=/var/lib,dst=/var/lib,options=rbind:rw',
      n.image,
      'x',
      'etcdutl',
      'version',
    ]);
  });

  it('docker (cri-dockerd): docker run with -v, the image from a custom imageRepository', () => {
    const inv = makeInventory({
      kubernetes: { version: '1.33.4', imageRepository: 'registry.example.com/k8s' },
      containerRuntime: { type: 'docker' },
    });
    const n = etcdNode(inv, cp1(inv), new RecordingTransport('cp1'));
    expect(n.image).toBe('registry.example.com/k8s/etcd:3.5.21-0');
    expect(n.criEndpoint).toBe('unix:///var/run/cri-dockerd.sock');
    expect(imageRunArgv(n, n.image, ['etcdctl', 'version'])).toEqual([
      'docker',
      'run',
      '--rm',
      '--network',
      'host',
      '-v',
      '/var/lib:/var/lib',
      n.image,
      'etcdctl',
      'version',
    ]);
  });

  it('prefers the image the etcd manifest names (what runs, also after an upgrade)', async () => {
    const inv = makeInventory({ kubernetes: { version: '1.34.1' } });
    const t = new RecordingTransport('cp1').setFile(
      '/etc/kubernetes/manifests/etcd.yaml',
      'apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: etcd\n    image: mirror.local/etcd:3.6.5-0\n',
    );
    expect(await toolImage(etcdNode(inv, cp1(inv), t))).toBe('mirror.local/etcd:3.6.5-0');
  });

  it('refuses a file outside /var/lib (the tool container would not see it), running nothing', async () => {
    const inv = makeInventory({ kubernetes: { version: '1.34.1' } });
    const t = new RecordingTransport('cp1');
    await expect(runOffline(etcdNode(inv, cp1(inv), t), ['etcdutl', 'snapshot', 'status', '/var/backups/x.db'])).rejects.toThrow(
      /outside \/var\/lib/,
    );
    expect(t.commands).toEqual([]);
  });

  it('online commands go through crictl exec into the running etcd container; none running: a clear error', async () => {
    const inv = makeInventory({ kubernetes: { version: '1.34.1' } });
    const id = 'f'.repeat(64);
    const t = new RecordingTransport('cp1')
      .expect("crictl --runtime-endpoint unix:///var/run/containerd/containerd.sock ps --name '^etcd$' -q", { stdout: `${id}\n` })
      .expect(`crictl --runtime-endpoint unix:///var/run/containerd/containerd.sock exec ${id} etcdctl member list -w json`, {
        stdout: '{}',
      });
    expect((await runEtcdctl(etcdNode(inv, cp1(inv), t), ['etcdctl', 'member', 'list', '-w', 'json'], { retries: 1 })).stdout).toBe('{}');
    t.assertDone();
    const none = new RecordingTransport('cp1').allow(/ps --name/, { stdout: '' });
    await expect(runEtcdctl(etcdNode(inv, cp1(inv), none), ['etcdctl', 'version'], { retries: 1 })).rejects.toThrow(
      /no running etcd container on cp1/,
    );
  });
});
