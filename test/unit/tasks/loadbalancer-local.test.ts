/**
 * loadBalancer local: the inventory's rules and derived values, the haproxy configuration and static pod rendered
 * from the control planes, and the worker tasks (proxy, kubelet.conf) converging.
 */
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { derived } from '../../../src/inventory/index.js';
import * as r from '../../../src/render/index.js';
import { loadbalancerProxy } from '../../../src/tasks/loadbalancer/proxy.js';
import { loadbalancerKubelet } from '../../../src/tasks/loadbalancer/kubelet.js';
import { loadbalancerKubeProxy } from '../../../src/tasks/loadbalancer/kube-proxy.js';
import { imageSet } from '../../../src/bundle/image-set.js';
import { errorsOf, inventoryYaml } from '../inventory/helpers.js';
import { converge, harness } from './helpers/context.js';
import { haHosts, hostsOf, makeInventory } from './helpers/inventory.js';
import { criImagesJson } from './helpers/cri.js';

const local = (hosts = haHosts(), image?: string) =>
  makeInventory({ kubernetes: { loadBalancer: { type: 'local', ...(image ? { image } : {}) } } }, hosts);
const servers = (config: string) => [...config.matchAll(/^\s+server (\S+) (\S+)$/gm)].map((m) => `${m[1]} ${m[2]}`);

describe('loadBalancer local: inventory', () => {
  it('derives the endpoint from the first control plane, the proxy image and its upstreams', () => {
    const d = derived(local());
    expect(d.controlPlaneEndpoint?.address).toBe('10.0.0.11:6443');
    expect(d.apiServer.address).toBe('10.0.0.11:6443');
    expect(d.images.localProxy).toBe('docker.io/library/haproxy:3.1.7-alpine');
    expect(d.localProxy?.upstreams).toEqual([
      { name: 'cp1', address: '10.0.0.11:6443' },
      { name: 'cp2', address: '10.0.0.12:6443' },
      { name: 'cp3', address: '10.0.0.13:6443' },
    ]);
    expect(derived(local(haHosts(), 'registry.example.internal/haproxy:3.2.0')).images.localProxy).toBe(
      'registry.example.internal/haproxy:3.2.0',
    );
    expect(imageSet(local()).find((i) => i.component === 'apiserver-proxy')?.ref).toBe('docker.io/library/haproxy:3.1.7-alpine');
  });

  it('refuses a vip, an interface or a controlPlaneEndpoint beside it, at their lines', () => {
    const text = inventoryYaml((i) => (i.spec.kubernetes.loadBalancer = { type: 'local', vip: '192.168.56.100', interface: 'eth0' }));
    const issues = errorsOf(text);
    expect(issues.map((i) => i.path).sort()).toEqual([
      'spec.kubernetes.controlPlaneEndpoint',
      'spec.kubernetes.loadBalancer.interface',
      'spec.kubernetes.loadBalancer.vip',
    ]);
    for (const i of issues) expect(text.split('\n')[i.line - 1], i.path).toContain(i.path.split('.').pop()!);
    const ok = inventoryYaml((i) => {
      delete i.spec.kubernetes.controlPlaneEndpoint;
      i.spec.kubernetes.loadBalancer = { type: 'local' };
      i.spec.hosts.push({ name: 'cp2', address: '192.168.56.12', roles: ['control-plane'] });
    });
    expect(errorsOf(ok)).toEqual([]);
  });
});

describe('loadBalancer local: rendering', () => {
  it('haproxy listens on 127.0.0.1:6443 and health-checks every control plane; the pod carries the config hash', () => {
    const { config, manifest } = r.renderApiserverProxy(local());
    expect(config).toMatch(/^\s+bind 127\.0\.0\.1:6443$/m);
    expect(config).toMatch(/option httpchk GET \/readyz/);
    expect(config).toMatch(/default-server .*\bcheck check-ssl verify none/);
    expect(servers(config)).toEqual(['cp1 10.0.0.11:6443', 'cp2 10.0.0.12:6443', 'cp3 10.0.0.13:6443']);
    const pod = parseAllDocuments(manifest)[0]!.toJS();
    expect(pod.spec.containers[0].image).toBe('docker.io/library/haproxy:3.1.7-alpine');
    expect(pod.spec.hostNetwork).toBe(true);
    expect(pod.spec.volumes[0].hostPath.path).toBe('/etc/kubernetes/apiserver-proxy');
    expect(pod.spec.containers[0].volumeMounts[0].mountPath).toBe('/usr/local/etc/haproxy');
    // a control plane removed: new config, new hash, so the kubelet restarts the pod
    const two = r.renderApiserverProxy(local(haHosts().filter((h: any) => h.name !== 'cp3')));
    expect(servers(two.config)).toEqual(['cp1 10.0.0.11:6443', 'cp2 10.0.0.12:6443']);
    const hash = (m: string) => /config-sha256: "?([0-9a-f]{64})/.exec(m)?.[1];
    expect(hash(two.manifest)).toBeDefined();
    expect(hash(two.manifest)).not.toBe(hash(manifest));
  });

  it('the API server certificate names localhost and 127.0.0.1 (haproxy passes TLS through)', () => {
    const inv = local();
    const hosts = hostsOf(inv);
    const init = parseAllDocuments(r.renderKubeadmInit(inv, hosts.firstControlPlane, hosts)).map((d) => d.toJS());
    const cc = init.find((d) => d.kind === 'ClusterConfiguration');
    expect(cc.controlPlaneEndpoint).toBe('10.0.0.11:6443');
    expect(cc.apiServer.certSANs).toEqual(expect.arrayContaining(['localhost', '127.0.0.1']));
  });
});

describe('loadBalancer local: worker tasks', () => {
  it('loadbalancer.proxy pulls haproxy, writes its config and static pod; then nothing changes', async () => {
    const inv = local();
    const h = harness(inv);
    const t = h.t('w1');
    const held = new Set<string>();
    t.allow('crictl images -o json', () => ({ stdout: criImagesJson(held) })).allow(
      'crictl pull',
      (c) => (held.add(c.command.split(' ')[2]!), {}),
    );
    const changes = await converge(loadbalancerProxy, h.ctx('w1'), [t]);
    expect(changes.map((c) => c.summary)).toEqual([
      'pull docker.io/library/haproxy:3.1.7-alpine',
      'create /etc/kubernetes/apiserver-proxy/haproxy.cfg',
      'create /etc/kubernetes/manifests/apiserver-proxy.yaml',
    ]);
    expect(t.fileText('/etc/kubernetes/apiserver-proxy/haproxy.cfg')).toBe(r.renderApiserverProxy(inv).config);
    // a control plane added: the config and the manifest (its hash) change, the image stays
    const grown = local([...haHosts(), { name: 'cp4', address: '192.168.1.18', roles: ['control-plane'] }]);
    const h2 = harness(grown);
    h2.transports.set('w1', t);
    const more = await converge(loadbalancerProxy, h2.ctx('w1'), [t]);
    expect(more.map((c) => c.summary)).toEqual([
      'update /etc/kubernetes/apiserver-proxy/haproxy.cfg',
      'update /etc/kubernetes/manifests/apiserver-proxy.yaml',
    ]);
    expect(servers(t.fileText('/etc/kubernetes/apiserver-proxy/haproxy.cfg')!)).toContain('cp4 192.168.1.18:6443');
  });

  it('is skipped unless loadBalancer.type is local', async () => {
    const h = harness(makeInventory());
    expect(await loadbalancerProxy.check(h.ctx('w1'))).toMatchObject({ status: 'skip' });
    expect(await loadbalancerKubelet.check(h.ctx('w1'))).toMatchObject({ status: 'skip' });
  });

  it('loadbalancer.kubelet points kubelet.conf at https://localhost:6443 and restarts the kubelet once', async () => {
    const h = harness(local());
    const t = h.t('w1');
    const conf =
      'apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: AAAA\n    server: https://10.0.0.11:6443\n  name: default-cluster\n';
    t.setFile('/etc/kubernetes/kubelet.conf', conf, '0600');
    let owed = false;
    t.allow('test -e /var/lib/kubesmith/restart-owed/kubelet', () => ({ code: owed ? 0 : 1 }))
      .allow(/mkdir -p \/var\/lib\/kubesmith\/restart-owed/, () => ((owed = true), {}))
      .allow(/systemctl restart kubelet && rm -f/, () => ((owed = false), {}));
    const changes = await converge(loadbalancerKubelet, h.ctx('w1'), [t]);
    expect(changes.map((c) => c.summary)).toEqual([
      'update /etc/kubernetes/kubelet.conf',
      'restart kubelet (kubelet.conf server https://10.0.0.11:6443 → https://localhost:6443)',
    ]);
    expect(t.fileText('/etc/kubernetes/kubelet.conf')).toContain('    server: https://localhost:6443\n');
    expect(t.fileText('/etc/kubernetes/kubelet.conf')).toContain('certificate-authority-data: AAAA');
  });
});

describe('loadBalancer local: kube-proxy', () => {
  it("points kube-proxy's kubeconfig.conf at https://localhost:6443, restarts its DaemonSet once; then nothing changes", async () => {
    const h = harness(local());
    const t = h.t('cp1');
    let data: Record<string, string> = {
      'config.conf': 'mode: iptables\n',
      'kubeconfig.conf': 'apiVersion: v1\nclusters:\n- cluster:\n    server: https://10.0.0.11:6443\n  name: default\n',
    };
    const restarts: string[] = [];
    t.allow(/^test -e \/etc\/kubernetes\/admin.conf$/, { code: 0 })
      .allow(/get configmap kube-proxy -o json$/, () => ({ stdout: JSON.stringify({ kind: 'ConfigMap', data }) }))
      .allow(/ apply -f -$/, (c) => ((data = JSON.parse(String(c.stdin)).data), {}))
      .allow(/rollout restart daemonset\/kube-proxy$/, (c) => (restarts.push(c.command), {}));
    const changes = await converge(loadbalancerKubeProxy, h.ctx('cp1'), [t]);
    expect(changes.map((c) => c.summary)).toEqual([
      'kube-system/kube-proxy kubeconfig.conf: server https://10.0.0.11:6443 → https://localhost:6443; restart kube-proxy',
    ]);
    expect(data['kubeconfig.conf']).toContain('    server: https://localhost:6443\n');
    expect(data['config.conf']).toBe('mode: iptables\n');
    expect(restarts).toHaveLength(1);
  });
});
