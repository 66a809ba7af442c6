// The lab's local API server proxy (loadBalancer local): the haproxy static pod kubesmith renders, read the way
// haproxy reads it. A worker whose kubelet.conf names https://localhost:6443 posts its status only while the proxy's
// pod runs there and lists a control plane whose API server runs; a config changed without its manifest is not
// reloaded (haproxy reads it at start).
import { renameSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Lab, ensureBuilt, flannelDaemonSet } from './harness.js';
import { parseHaproxyConfig } from '../../../lab/emulators/src/kube/apiserver-proxy.js';
import { renderApiserverProxy } from '../../../../src/render/index.js';
import { makeInventory } from '../../tasks/helpers/inventory.js';

const lab = new Lab();
const FLANNEL = 'ghcr.io/flannel-io/flannel:v0.28.9';
const HAPROXY = 'docker.io/library/haproxy:3.1.7-alpine';
const ADMIN = ['--kubeconfig', '/etc/kubernetes/admin.conf'];
const INIT = `apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: 10.199.0.10
nodeRegistration:
  name: cp1
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: v1.34.1
controlPlaneEndpoint: 10.199.0.10:6443
networking:
  podSubnet: 10.244.0.0/16
apiServer:
  certSANs: [localhost, 127.0.0.1]
`;
const inventory = (cps: [string, string][]) =>
  makeInventory({ kubernetes: { loadBalancer: { type: 'local' } } }, [
    ...cps.map(([name, address]) => ({ name, address, roles: ['control-plane'] })),
    { name: 'w1', address: '10.199.0.11', roles: ['worker'] },
  ]);
const proxy = renderApiserverProxy(inventory([['cp1', '10.199.0.10']]));

const ready = () =>
  JSON.parse(lab.run('cp1', 'kubectl', [...ADMIN, 'get', 'node', 'w1', '-o', 'json']).stdout).status.conditions.find(
    (c: any) => c.type === 'Ready',
  ).status;
const sync = (...hosts: string[]) => {
  for (const h of hosts) expect(lab.run(h, 'lab-node-sync', []).code).toBe(0);
};
const kubeletLog = () => (lab.exists('w1', '/var/log/lab/kubelet.log') ? lab.read('w1', '/var/log/lab/kubelet.log') : '');

describe('haproxy.cfg as the lab reads it', () => {
  it("the rendered config: the API frontend's bind (not the http healthz one) and every server in order", () => {
    const two = renderApiserverProxy(
      inventory([
        ['cp1', '10.199.0.10'],
        ['cp2', '10.199.0.12'],
      ]),
    );
    expect(parseHaproxyConfig(two.config)).toEqual({
      binds: ['127.0.0.1:6443'],
      servers: [{ address: '10.199.0.10:6443' }, { address: '10.199.0.12:6443' }],
    });
    expect(parseHaproxyConfig('listen api\n  bind *:7443\n  server a 10.0.0.1:6443 check # comment\n')).toEqual({
      binds: ['0.0.0.0:7443'],
      servers: [{ address: '10.0.0.1:6443' }],
    });
  });
});

describe.sequential('emulators: a worker reaching the API through its local haproxy', () => {
  beforeAll(() => {
    ensureBuilt();
    lab.seedKeys();
    lab.host('cp1', '10.199.0.10', { images: [FLANNEL] });
    lab.host('w1', '10.199.0.11', { images: [FLANNEL, HAPROXY] });
    lab.write('cp1', '/root/kubeadm.yaml', INIT);
    const init = lab.run('cp1', 'kubeadm', ['init', '--config', '/root/kubeadm.yaml']);
    expect(init.code, init.stderr).toBe(0);
    const join = lab.run('cp1', 'kubeadm', ['token', 'create', '--print-join-command']).stdout.trim().split(/\s+/).slice(1);
    const joined = lab.run('w1', 'kubeadm', join);
    expect(joined.code, joined.stderr).toBe(0);
    expect(lab.run('cp1', 'kubectl', [...ADMIN, 'apply', '-f', '-'], {}, flannelDaemonSet(FLANNEL)).code).toBe(0);
    sync('cp1', 'w1');
    expect(ready()).toBe('True');
    const conf = '/etc/kubernetes/kubelet.conf';
    lab.write('w1', conf, lab.read('w1', conf).replace(/server: \S+/, 'server: https://localhost:6443'));
  }, 180_000);

  it('no proxy on the worker: localhost:6443 refuses, the node goes NotReady', () => {
    sync('w1');
    expect(ready()).toBe('Unknown'); // the kubelet posts no status
    expect(kubeletLog()).toContain('dial tcp localhost:6443: connect: connection refused');
  });

  it("the proxy's static pod and config in place: the kubelet reaches cp1 through it", () => {
    lab.write('w1', '/etc/kubernetes/apiserver-proxy/haproxy.cfg', proxy.config);
    lab.write('w1', '/etc/kubernetes/manifests/apiserver-proxy.yaml', proxy.manifest);
    sync('w1');
    expect(ready()).toBe('True');
  });

  it("the only upstream's API server stopped: EOF through the proxy, NotReady; started again: Ready", () => {
    renameSync(lab.path('cp1', '/etc/kubernetes/manifests/kube-apiserver.yaml'), lab.path('cp1', '/root/kube-apiserver.yaml'));
    sync('cp1', 'w1');
    expect(ready()).toBe('Unknown'); // the kubelet posts no status
    expect(kubeletLog()).toContain('Get \\"https://localhost:6443/api/v1/nodes/w1?timeout=10s\\": EOF');
    renameSync(lab.path('cp1', '/root/kube-apiserver.yaml'), lab.path('cp1', '/etc/kubernetes/manifests/kube-apiserver.yaml'));
    sync('cp1', 'w1');
    expect(ready()).toBe('True');
  });

  it('a config changed alone is not reloaded; the manifest naming its new hash restarts the pod with it', () => {
    const elsewhere = renderApiserverProxy(inventory([['cp9', '10.199.0.99']]));
    lab.write('w1', '/etc/kubernetes/apiserver-proxy/haproxy.cfg', elsewhere.config);
    sync('w1');
    expect(ready()).toBe('True');
    lab.write('w1', '/etc/kubernetes/manifests/apiserver-proxy.yaml', elsewhere.manifest);
    sync('w1');
    expect(ready()).toBe('Unknown'); // the kubelet posts no status
  });

  it('without the haproxy image on the node the pod does not run', () => {
    lab.write('w1', '/etc/kubernetes/apiserver-proxy/haproxy.cfg', proxy.config);
    lab.write('w1', '/etc/kubernetes/manifests/apiserver-proxy.yaml', proxy.manifest);
    sync('w1');
    expect(ready()).toBe('True');
    lab.write('w1', '/run/fake-images', `${FLANNEL}\n`);
    sync('w1');
    expect(ready()).toBe('Unknown'); // the kubelet posts no status
    expect(kubeletLog()).toMatch(/connection refused"\n$/);
  });
});
