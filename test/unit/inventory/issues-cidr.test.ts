import { describe, expect, it } from 'vitest';
import { contains, overlaps, parseCidr, parseIp, subnetCount } from '../../../src/inventory/cidr.js';
import { controlPlaneEndpoint, endpointHost, localPath } from '../../../src/inventory/derived.js';
import { tryKubeVersion } from '../../../src/data/versions.js';
import { formatIssue, formatPath, InventoryError, type Issue } from '../../../src/inventory/index.js';
import { suggest } from '../../../src/inventory/messages.js';

const issue = (over: Partial<Issue>): Issue => ({
  file: 'inventory/prod.yaml',
  line: 14,
  col: 7,
  path: 'spec.hosts[2].address',
  message: 'expected an IP address or hostname',
  severity: 'error',
  ...over,
});

describe('formatIssue', () => {
  it('matches the documented format exactly', () => {
    expect(formatIssue(issue({}))).toBe('inventory/prod.yaml:14:7 spec.hosts[2].address: expected an IP address or hostname');
  });
  it('marks warnings, and drops position and path when there is none', () => {
    expect(formatIssue(issue({ severity: 'warning', message: 'm' }))).toBe('inventory/prod.yaml:14:7 spec.hosts[2].address: warning: m');
    expect(formatIssue(issue({ line: 0, col: 0, path: '', message: 'is empty' }))).toBe('inventory/prod.yaml is empty');
  });
  it('InventoryError sorts errors first, then by line', () => {
    const err = new InventoryError('f', [issue({ line: 9, severity: 'warning' }), issue({ line: 20 }), issue({ line: 3 })]);
    expect(err.issues.map((i) => i.line)).toEqual([3, 20, 9]);
    expect(err.message.split('\n')).toHaveLength(3);
  });
});

describe('formatPath', () => {
  it('formats keys, indexes and odd keys', () => {
    expect(formatPath(['spec', 'hosts', 2, 'address'])).toBe('spec.hosts[2].address');
    expect(formatPath(['spec', 'containerRuntime', 'registryMirrors', 'docker.io', 0])).toBe(
      'spec.containerRuntime.registryMirrors["docker.io"][0]',
    );
    expect(formatPath([])).toBe('');
  });
});

describe('cidr math', () => {
  it('parses IPv4 and IPv6 (compressed, embedded IPv4, zone id)', () => {
    expect(parseIp('10.0.0.1')).toEqual({ family: 4, value: 0x0a000001n });
    expect(parseIp('::1')?.value).toBe(1n);
    expect(parseIp('fd00::1')?.value).toBe((0xfd00n << 112n) | 1n);
    expect(parseIp('::ffff:10.0.0.1')?.value).toBe((0xffffn << 32n) | 0x0a000001n);
    expect(parseIp('fe80::1%eth0')?.value).toBe((0xfe80n << 112n) | 1n);
    expect(parseIp('host.example')).toBeUndefined();
  });
  it('normalises the network base and answers contains/overlaps', () => {
    const pod = parseCidr('10.244.7.9/16')!;
    expect(pod.base).toBe(parseIp('10.244.0.0')!.value);
    expect(contains(pod, '10.244.255.255')).toBe(true);
    expect(contains(pod, '10.245.0.0')).toBe(false);
    expect(contains(pod, 'fd00::1')).toBe(false);
    expect(overlaps(parseCidr('10.96.0.0/12')!, parseCidr('10.100.0.0/16')!)).toBe(true);
    expect(overlaps(parseCidr('10.96.0.0/12')!, parseCidr('10.112.0.0/16')!)).toBe(false);
    expect(overlaps(parseCidr('fd00::/8')!, parseCidr('10.0.0.0/8')!)).toBe(false);
    expect(contains(parseCidr('0.0.0.0/0')!, '255.255.255.255')).toBe(true);
  });
  it('counts node subnets', () => {
    expect(subnetCount(parseCidr('10.244.0.0/16')!, 24)).toBe(256n);
    expect(subnetCount(parseCidr('10.244.0.0/25')!, 24)).toBe(0n);
    expect(subnetCount(parseCidr('fd00::/56')!, 64)).toBe(256n);
  });
});

describe('derived values', () => {
  const spec = (k8s: Record<string, unknown>) => ({ kubernetes: k8s }) as never;
  it('controlPlaneEndpoint: explicit, derived from the kube-vip vip, or undefined', () => {
    expect(controlPlaneEndpoint(spec({ controlPlaneEndpoint: 'lb:6443', loadBalancer: { type: 'kube-vip', vip: '10.0.0.9' } }))).toBe(
      'lb:6443',
    );
    expect(controlPlaneEndpoint(spec({ loadBalancer: { type: 'kube-vip', vip: '10.0.0.9' } }))).toBe('10.0.0.9:6443');
    expect(controlPlaneEndpoint(spec({ loadBalancer: { type: 'kube-vip', vip: 'fd00::9' } }))).toBe('[fd00::9]:6443');
    expect(controlPlaneEndpoint(spec({ loadBalancer: { type: 'external' } }))).toBeUndefined();
    // local: the first control plane (its internal address), the nodes' proxies being no shared address
    const hosts = [
      { name: 'w1', address: '10.0.0.20', roles: ['worker'] },
      { name: 'cp1', address: '192.168.1.11', internalAddress: '10.0.0.11', roles: ['control-plane'] },
    ];
    expect(controlPlaneEndpoint({ hosts, kubernetes: { loadBalancer: { type: 'local' } } } as never)).toBe('10.0.0.11:6443');
  });
  it('endpointHost and tryKubeVersion', () => {
    expect(endpointHost('[fd00::9]:6443')).toBe('fd00::9');
    expect(endpointHost('lb.example:6443')).toBe('lb.example');
    expect(endpointHost('lb.example')).toBe('lb.example');
    expect(tryKubeVersion('v1.35.2')).toEqual({ major: 1, minor: 35, patch: 2, text: '1.35.2' });
    expect(tryKubeVersion('1.35')).toBeUndefined();
    expect(tryKubeVersion('1.35.2-rc.1')).toBeUndefined();
  });
  it('localPath expands ~ and resolves relative paths against the inventory directory', () => {
    expect(localPath('~/.ssh/id', '/inv', '/home/me')).toBe('/home/me/.ssh/id');
    expect(localPath('~', '/inv', '/home/me')).toBe('/home/me');
    expect(localPath('./bundle', '/srv/inv', '/home/me')).toBe('/srv/inv/bundle');
    expect(localPath('/abs/key', '/srv/inv', '/home/me')).toBe('/abs/key');
  });
  it('suggest finds near misses only', () => {
    expect(suggest('adress', ['address', 'roles'])).toBe('address');
    expect(suggest('zzzzzz', ['address', 'roles'])).toBeUndefined();
  });
});
