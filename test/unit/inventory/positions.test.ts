import { describe, expect, it } from 'vitest';
import { formatIssue } from '../../../src/inventory/index.js';
import { FILE, issuesOf } from './helpers.js';

// Line numbers below are 1-based; columns count from 1 at the start of the line.
const DOC = `apiVersion: kubesmith.io/v1alpha1
kind: Cluster
metadata:
  name: demo
spec:
  ssh:
    user: root
    port: "22"
  hosts:
    - name: cp1
      address: 192.168.56.11
      roles: [control-plane]
    - name: worker1
      address: 192.168.56.21
      roles: [worker]
    - name: worker2
      address: "bad address!"
      roles: [worker]
    - name: worker3
      roles: [worker]
  kubernetes:
    version: 1.30
    proxyMode: ipvss
    podSubnet: 10.244.0.0/16
    adress: x
`;

const find = (path: string) => issuesOf(DOC).find((i) => i.path === path);

describe('error positions', () => {
  it('points at the key of a nested sequence item field, in the documented format', () => {
    const issue = find('spec.hosts[2].address');
    expect(issue).toMatchObject({ line: 17, col: 7, severity: 'error' });
    expect(formatIssue(issue!)).toBe(
      'inventory/test.yaml:17:7 spec.hosts[2].address: expected an IP address or hostname, got "bad address!"',
    );
  });
  it('points a missing required field at its parent mapping', () => {
    const issue = find('spec.hosts[3].address');
    expect(issue).toMatchObject({ line: 19, col: 7 });
    expect(issue?.message).toBe('required field is missing (expected a string)');
  });
  it('reports wrong types where they are written, with a quoting hint for numbers', () => {
    expect(find('spec.ssh.port')).toMatchObject({ line: 8, col: 5, message: 'expected a number, got "22"' });
    expect(find('spec.kubernetes.version')).toMatchObject({
      line: 22,
      col: 5,
      message: 'expected a string, got 1.30; write it in quotes: "1.30"',
    });
  });
  it('lists the allowed values of an enum', () => {
    expect(find('spec.kubernetes.proxyMode')).toMatchObject({
      line: 23,
      message: 'expected one of iptables, ipvs, nftables; got "ipvss"',
    });
  });
  it('points an unknown field at itself and suggests the near miss', () => {
    expect(find('spec.kubernetes.adress')).toMatchObject({ line: 25, col: 5 });
    expect(find('spec.kubernetes.adress')?.message).toMatch(/^unknown field \(allowed here: version, controlPlaneEndpoint, .*podSubnet/);
    const typo = issuesOf(DOC.replace('      address: 192.168.56.21', '      internalAdress: 10.0.0.2\n      address: 192.168.56.21'));
    expect(typo.find((i) => i.path === 'spec.hosts[1].internalAdress')).toMatchObject({
      line: 14,
      col: 7,
      message: 'unknown field (did you mean "internalAddress"?)',
    });
  });
  it('reports every problem at once, sorted by line', () => {
    const lines = issuesOf(DOC).map((i) => i.line);
    expect(lines).toEqual([8, 17, 19, 22, 23, 25]);
  });
});

describe('positions of missing top-level and rule issues', () => {
  it('missing spec points at the root mapping', () => {
    const issues = issuesOf('# header\napiVersion: kubesmith.io/v1alpha1\nkind: Cluster\nmetadata: {name: a}\n');
    expect(issues).toEqual([
      expect.objectContaining({ path: 'spec', line: 2, col: 1, message: 'required field is missing (expected a mapping)' }),
    ]);
  });
  it('rule issues point at the offending field', () => {
    const text = DOC.replace('"bad address!"', '192.168.56.11')
      .replace('    - name: worker3\n      roles: [worker]\n', '')
      .replace('port: "22"', 'port: 22')
      .replace('version: 1.30', 'version: 1.34.1')
      .replace('ipvss', 'iptables')
      .replace('    adress: x\n', '');
    const [issue] = issuesOf(text).filter((i) => i.severity === 'error');
    expect(issue).toMatchObject({ rule: 'unique-host-addresses', path: 'spec.hosts[2].address', line: 17, col: 7 });
    expect(formatIssue(issue!)).toBe(
      `${FILE}:17:7 spec.hosts[2].address: 192.168.56.11 is already used by spec.hosts[0].address; every host needs its own address`,
    );
  });
  it('a rule about a field left at its default points at the parent', () => {
    const text =
      'apiVersion: kubesmith.io/v1alpha1\nkind: Cluster\nmetadata: {name: a}\nspec:\n  hosts:\n    - {name: a, address: 10.0.0.1, roles: [control-plane]}\n';
    const [w] = issuesOf(text);
    expect(w).toMatchObject({ path: 'spec.kubernetes.controlPlaneEndpoint', line: 4, col: 1, severity: 'warning' });
    expect(formatIssue(w!)).toMatch(
      /^inventory\/test\.yaml:4:1 spec\.kubernetes\.controlPlaneEndpoint: warning: without controlPlaneEndpoint/,
    );
  });
});
