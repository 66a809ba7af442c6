/**
 * Values that could carry shell syntax never get past the schema: every hostile string, in every field that
 * reaches a remote host (names, addresses, versions, paths, users, URLs, interfaces), is an error AT that field.
 */
import { describe, expect, it } from 'vitest';
import { errorsOf, inventoryYaml } from './helpers.js';

const HOSTILE = [
  '$(reboot)',
  '`reboot`',
  'a;reboot',
  'a|reboot',
  'a\nreboot',
  "a'b",
  'a"b',
  'a b',
  'a&&reboot',
  'a&b',
  '$HOME',
  '${IFS}',
  'a>b',
  'a<b',
  'a\\b',
  'a\tb',
  'a*',
  'a(b)',
  'a#b',
  'a!b',
];

type Field = { path: string; valid: string; put: (inv: Record<string, any>, value: string) => void; wrap?: (h: string) => string };

const host = (inv: Record<string, any>) => inv.spec.hosts[1];
const FIELDS: Field[] = [
  { path: 'metadata.name', valid: 'prod-1', put: (i, v) => (i.metadata.name = v) },
  { path: 'spec.hosts[1].name', valid: 'worker-9', put: (i, v) => (host(i).name = v) },
  { path: 'spec.hosts[1].address', valid: 'node1.example.com', put: (i, v) => (host(i).address = v) },
  { path: 'spec.hosts[1].internalAddress', valid: '10.0.0.2', put: (i, v) => (host(i).internalAddress = v) },
  { path: 'spec.hosts[1].ssh.user', valid: 'ops', put: (i, v) => (host(i).ssh = { user: v }) },
  {
    path: 'spec.hosts[1].ssh.keyPath',
    valid: '~/.ssh/id_ed25519',
    put: (i, v) => (host(i).ssh = { keyPath: v }),
    wrap: (h) => `./keys/${h}`,
  },
  { path: 'spec.ssh.user', valid: 'deploy', put: (i, v) => (i.spec.ssh = { user: v }) },
  { path: 'spec.ssh.keyPath', valid: './keys/id_rsa', put: (i, v) => (i.spec.ssh = { keyPath: v }), wrap: (h) => `~/.ssh/${h}` },
  { path: 'spec.ssh.knownHostsPath', valid: '/etc/ssh/known', put: (i, v) => (i.spec.ssh = { knownHostsPath: v }) },
  { path: 'spec.ssh.passwordEnv', valid: 'SSH_PASS', put: (i, v) => (i.spec.ssh = { passwordEnv: v }) },
  { path: 'spec.ssh.bastion.address', valid: 'jump.example.com', put: (i, v) => (i.spec.ssh = { bastion: { address: v } }) },
  { path: 'spec.ssh.bastion.user', valid: 'jump', put: (i, v) => (i.spec.ssh = { bastion: { address: '10.0.0.1', user: v } }) },
  { path: 'spec.kubernetes.version', valid: 'v1.33.2', put: (i, v) => (i.spec.kubernetes.version = v), wrap: (h) => `1.34.1${h}` },
  {
    path: 'spec.kubernetes.controlPlaneEndpoint',
    valid: '[fd00::10]:6443',
    put: (i, v) => (i.spec.kubernetes.controlPlaneEndpoint = v),
    wrap: (h) => `lb${h}:6443`,
  },
  { path: 'spec.kubernetes.imageRepository', valid: 'registry.local:5000/k8s', put: (i, v) => (i.spec.kubernetes.imageRepository = v) },
  {
    path: 'spec.kubernetes.packageRepository',
    valid: 'https://mirror.local/k8s/core:/stable:',
    put: (i, v) => (i.spec.kubernetes.packageRepository = v),
    wrap: (h) => `https://mirror.local/${h}`,
  },
  { path: 'spec.kubernetes.dnsDomain', valid: 'cluster.example', put: (i, v) => (i.spec.kubernetes.dnsDomain = v) },
  { path: 'spec.kubernetes.certSANs[0]', valid: 'api.example.com', put: (i, v) => (i.spec.kubernetes.certSANs = [v]) },
  {
    path: 'spec.kubernetes.podSubnet',
    valid: '10.200.0.0/16',
    put: (i, v) => (i.spec.kubernetes.podSubnet = v),
    wrap: (h) => `10.244.0.0/16${h}`,
  },
  {
    path: 'spec.kubernetes.loadBalancer.interface',
    valid: 'ens3',
    put: (i, v) => (i.spec.kubernetes.loadBalancer = { type: 'kube-vip', vip: '192.168.56.10', interface: v }),
  },
  {
    path: 'spec.kubernetes.loadBalancer.image',
    valid: 'ghcr.io/kube-vip/kube-vip:v0.9.0',
    put: (i, v) => (i.spec.kubernetes.loadBalancer = { type: 'kube-vip', vip: '192.168.56.10', interface: 'eth0', image: v }),
  },
  {
    path: 'spec.containerRuntime.registryMirrors["docker.io"][0]',
    valid: 'https://m.local:5000',
    put: (i, v) => (i.spec.containerRuntime = { registryMirrors: { 'docker.io': [v] } }),
    wrap: (h) => `https://m.local/${h}`,
  },
  {
    path: 'spec.containerRuntime.insecureRegistries[0]',
    valid: 'reg.local:5000',
    put: (i, v) => (i.spec.containerRuntime = { insecureRegistries: [v] }),
  },
  { path: 'spec.network.flannel.iface', valid: 'eth1', put: (i, v) => (i.spec.network = { flannel: { iface: v } }) },
  { path: 'spec.network.cilium.version', valid: '1.18.0', put: (i, v) => (i.spec.network = { cilium: { version: v } }) },
  { path: 'spec.offline.bundle', valid: './bundle.tar', put: (i, v) => (i.spec.offline = { bundle: v }), wrap: (h) => `./bundle/${h}` },
];

describe.each(FIELDS)('$path', (field) => {
  it('accepts an ordinary value', () => {
    expect(errorsOf(inventoryYaml((i) => field.put(i, field.valid)))).toEqual([]);
  });
  it.each(HOSTILE)('rejects %j at the field', (hostile) => {
    const value = field.wrap ? field.wrap(hostile) : hostile;
    const errors = errorsOf(inventoryYaml((i) => field.put(i, value)));
    expect(errors.map((e) => e.path)).toContain(field.path);
  });
});

describe('option injection and look-alikes', () => {
  it.each([
    ['spec.ssh.keyPath', (i: Record<string, any>) => (i.spec.ssh = { keyPath: '-oProxyCommand=reboot' })],
    ['spec.offline.bundle', (i: Record<string, any>) => (i.spec.offline = { bundle: '--help' })],
    ['spec.hosts[1].address', (i: Record<string, any>) => (host(i).address = '-oProxyCommand=x')],
    ['spec.hosts[1].address', (i: Record<string, any>) => (host(i).address = '999.1.1.1')],
    ['spec.hosts[1].address', (i: Record<string, any>) => (host(i).address = ':::::')],
    ['spec.hosts[1].internalAddress', (i: Record<string, any>) => (host(i).internalAddress = 'node1.example.com')],
    ['spec.kubernetes.podSubnet', (i: Record<string, any>) => (i.spec.kubernetes.podSubnet = '10.244.0.0/33')],
    ['spec.kubernetes.version', (i: Record<string, any>) => (i.spec.kubernetes.version = '1.34')],
    ['spec.hosts[1].name', (i: Record<string, any>) => (host(i).name = 'Worker1')],
    ['spec.ssh.user', (i: Record<string, any>) => (i.spec.ssh = { user: 'root\u0000' })],
    ['spec.ssh.keyPath', (i: Record<string, any>) => (i.spec.ssh = { keyPath: '~root/.ssh/id_rsa' })],
    ['spec.ssh.knownHostsPath', (i: Record<string, any>) => (i.spec.ssh = { knownHostsPath: './a/~/b' })],
  ])('%s rejects a dangerous or malformed look-alike (%#)', (path, edit) => {
    expect(errorsOf(inventoryYaml(edit)).map((e) => e.path)).toContain(path);
  });
});
