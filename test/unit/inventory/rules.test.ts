import { describe, expect, it } from 'vitest';
import { errorsOf, inventoryYaml, issuesOf, warningsOf } from './helpers.js';

const hosts3cp = [
  { name: 'cp1', address: '192.168.56.11', roles: ['control-plane'] },
  { name: 'cp2', address: '192.168.56.12', roles: ['control-plane'] },
  { name: 'cp3', address: '192.168.56.13', roles: ['control-plane'] },
];
const byRule = (text: string, rule: string) => issuesOf(text).filter((i) => i.rule === rule);

describe('base inventory', () => {
  it('loads with no errors and no warnings', () => {
    expect(issuesOf(inventoryYaml())).toEqual([]);
  });
});

describe('unique-host-names', () => {
  it('flags the second host with a taken name, pointing at its name', () => {
    const text = inventoryYaml((i) => (i.spec.hosts[2].name = 'worker1'));
    const [issue] = byRule(text, 'unique-host-names');
    expect(issue?.path).toBe('spec.hosts[2].name');
    expect(issue?.message).toContain('already used by spec.hosts[1]');
    expect(issue?.severity).toBe('error');
  });
  it('accepts distinct names', () => expect(byRule(inventoryYaml(), 'unique-host-names')).toEqual([]));
});

describe('unique-host-addresses', () => {
  it('flags a repeated address', () => {
    const text = inventoryYaml((i) => (i.spec.hosts[1].address = '192.168.56.11'));
    expect(byRule(text, 'unique-host-addresses').map((i) => i.path)).toEqual(['spec.hosts[1].address']);
  });
  it('flags an internalAddress equal to another host address', () => {
    const text = inventoryYaml((i) => (i.spec.hosts[2].internalAddress = '192.168.56.21'));
    const [issue] = byRule(text, 'unique-host-addresses');
    expect(issue?.path).toBe('spec.hosts[2].internalAddress');
    expect(issue?.message).toContain('spec.hosts[1].address');
  });
  it('compares IPv6 by value and names case-insensitively', () => {
    const v6 = inventoryYaml((i) => {
      i.spec.hosts[1].address = 'fd00::21';
      i.spec.hosts[2].address = 'fd00:0:0:0:0:0:0:21';
    });
    expect(byRule(v6, 'unique-host-addresses')).toHaveLength(1);
    const names = inventoryYaml((i) => {
      i.spec.hosts[1].address = 'node.example.com';
      i.spec.hosts[2].address = 'NODE.example.com';
    });
    expect(byRule(names, 'unique-host-addresses')).toHaveLength(1);
  });
  it('lets a host repeat its own address as internalAddress', () => {
    const text = inventoryYaml((i) => (i.spec.hosts[1].internalAddress = '192.168.56.21'));
    expect(byRule(text, 'unique-host-addresses')).toEqual([]);
  });
});

describe('control-plane-required', () => {
  it('errors when no host is a control plane', () => {
    const text = inventoryYaml((i) => (i.spec.hosts[0].roles = ['worker']));
    const [issue] = byRule(text, 'control-plane-required');
    expect(issue?.path).toBe('spec.hosts');
  });
  it('accepts a host with both roles', () => {
    const text = inventoryYaml((i) => (i.spec.hosts = [{ name: 'solo', address: '192.168.56.5', roles: ['control-plane', 'worker'] }]));
    expect(errorsOf(text)).toEqual([]);
  });
});

describe('ha-needs-endpoint', () => {
  it('errors with three control planes and no endpoint', () => {
    const text = inventoryYaml((i) => {
      i.spec.hosts = hosts3cp;
      delete i.spec.kubernetes.controlPlaneEndpoint;
    });
    const [issue] = byRule(text, 'ha-needs-endpoint');
    expect(issue?.path).toBe('spec.kubernetes.controlPlaneEndpoint');
    expect(issue?.message).toMatch(/^3 control-plane hosts need a shared endpoint/);
  });
  it('accepts an explicit endpoint', () => {
    expect(
      byRule(
        inventoryYaml((i) => (i.spec.hosts = hosts3cp)),
        'ha-needs-endpoint',
      ),
    ).toEqual([]);
  });
  it('derives the endpoint from a kube-vip vip', () => {
    const text = inventoryYaml((i) => {
      i.spec.hosts = hosts3cp;
      delete i.spec.kubernetes.controlPlaneEndpoint;
      i.spec.kubernetes.loadBalancer = { type: 'kube-vip', vip: '192.168.56.10', interface: 'eth0' };
    });
    expect(errorsOf(text)).toEqual([]);
  });
});

describe('subnets-disjoint', () => {
  it('errors when serviceSubnet overlaps podSubnet', () => {
    const text = inventoryYaml((i) => {
      i.spec.kubernetes.podSubnet = '10.0.0.0/8';
      i.spec.kubernetes.serviceSubnet = '10.96.0.0/12';
    });
    const [issue] = byRule(text, 'subnets-disjoint');
    expect(issue?.path).toBe('spec.kubernetes.serviceSubnet');
    expect(issue?.message).toContain('overlaps podSubnet 10.0.0.0/8');
  });
  it('errors for each host address inside podSubnet (the seed runbook outage #10)', () => {
    const text = inventoryYaml((i) => (i.spec.kubernetes.podSubnet = '192.168.0.0/16'));
    const paths = byRule(text, 'subnets-disjoint').map((i) => i.path);
    expect(paths).toEqual(['spec.hosts[0].address', 'spec.hosts[1].address', 'spec.hosts[2].address']);
  });
  it('checks internalAddress, the kube-vip vip and an IP endpoint against serviceSubnet', () => {
    const text = inventoryYaml((i) => {
      i.spec.hosts[1].internalAddress = '10.96.0.5';
      i.spec.kubernetes.controlPlaneEndpoint = '10.96.0.7:6443';
    });
    const paths = byRule(text, 'subnets-disjoint').map((i) => i.path);
    expect(paths).toEqual(['spec.hosts[1].internalAddress', 'spec.kubernetes.controlPlaneEndpoint']);
  });
  it('handles IPv6 subnets and never compares across families', () => {
    const ok = inventoryYaml((i) => {
      i.spec.kubernetes.podSubnet = 'fd10::/56';
      i.spec.kubernetes.serviceSubnet = 'fd20::/112';
    });
    expect(byRule(ok, 'subnets-disjoint')).toEqual([]);
    const clash = inventoryYaml((i) => {
      i.spec.kubernetes.podSubnet = 'fd10::/48';
      i.spec.kubernetes.serviceSubnet = 'fd10:0:0:ff::/112';
      i.spec.hosts[1].address = 'fd10::21';
    });
    // Issues come sorted by position in the file: hosts are written before kubernetes.
    expect(byRule(clash, 'subnets-disjoint').map((i) => i.path)).toEqual(['spec.hosts[1].address', 'spec.kubernetes.serviceSubnet']);
  });
  it('ignores host names (resolved later, from facts)', () => {
    const text = inventoryYaml((i) => (i.spec.hosts[1].address = 'node1.example.com'));
    expect(byRule(text, 'subnets-disjoint')).toEqual([]);
  });
});

describe('pod-subnet-size', () => {
  it('errors when flannel cannot give every node a /24', () => {
    const text = inventoryYaml((i) => (i.spec.kubernetes.podSubnet = '10.244.0.0/23'));
    const [issue] = byRule(text, 'pod-subnet-size');
    expect(issue?.path).toBe('spec.kubernetes.podSubnet');
    expect(issue?.message).toContain('holds 2 /24 node subnet(s) but flannel needs one per node (3 hosts)');
  });
  it('accepts exactly enough room, and any size with another plugin', () => {
    const exact = inventoryYaml((i) => {
      i.spec.hosts.push({ name: 'worker3', address: '192.168.56.23', roles: ['worker'] });
      i.spec.kubernetes.podSubnet = '10.244.0.0/22';
    });
    expect(byRule(exact, 'pod-subnet-size')).toEqual([]);
    const cilium = inventoryYaml((i) => {
      i.spec.kubernetes.podSubnet = '10.244.0.0/25';
      i.spec.network = { plugin: 'cilium' };
    });
    expect(byRule(cilium, 'pod-subnet-size')).toEqual([]);
  });
  it('errors for a podSubnet smaller than one /24', () => {
    const text = inventoryYaml((i) => (i.spec.kubernetes.podSubnet = '10.244.0.0/25'));
    expect(byRule(text, 'pod-subnet-size')[0]?.message).toContain('holds 0 /24');
  });
});

describe('kubernetes-version', () => {
  it.each(['1.23.9', '1.37.0', '2.0.0', '0.34.1'])('rejects unsupported %s', (version) => {
    const [issue] = byRule(
      inventoryYaml((i) => (i.spec.kubernetes.version = version)),
      'kubernetes-version',
    );
    expect(issue?.severity).toBe('error');
    expect(issue?.message).toContain('supports 1.24-1.36');
  });
  it.each(['1.24.0', '1.30.14'])('warns for supported but untested %s', (version) => {
    const [issue] = byRule(
      inventoryYaml((i) => (i.spec.kubernetes.version = version)),
      'kubernetes-version',
    );
    expect(issue?.severity).toBe('warning');
  });
  it.each(['1.31.0', '1.36.2', 'v1.34.1'])('accepts %s silently', (version) => {
    expect(
      byRule(
        inventoryYaml((i) => (i.spec.kubernetes.version = version)),
        'kubernetes-version',
      ),
    ).toEqual([]);
  });
});

describe('load-balancer-config', () => {
  it('kube-vip needs vip and interface', () => {
    const text = inventoryYaml((i) => (i.spec.kubernetes.loadBalancer = { type: 'kube-vip' }));
    expect(byRule(text, 'load-balancer-config').map((i) => i.message)).toEqual([
      expect.stringContaining('needs vip'),
      expect.stringContaining('needs interface'),
    ]);
  });
  it('refuses a vip that is a host address, and an IP endpoint that is not the vip', () => {
    const text = inventoryYaml((i) => {
      i.spec.kubernetes.loadBalancer = { type: 'kube-vip', vip: '192.168.56.11', interface: 'eth0' };
      i.spec.kubernetes.controlPlaneEndpoint = '192.168.56.99:6443';
    });
    expect(
      byRule(text, 'load-balancer-config')
        .map((i) => i.path)
        .sort(),
    ).toEqual(['spec.kubernetes.controlPlaneEndpoint', 'spec.kubernetes.loadBalancer.vip']);
  });
  it('external needs controlPlaneEndpoint', () => {
    const text = inventoryYaml((i) => {
      delete i.spec.kubernetes.controlPlaneEndpoint;
      i.spec.kubernetes.loadBalancer = { type: 'external' };
    });
    expect(byRule(text, 'load-balancer-config')).toHaveLength(1);
  });
  it('accepts a complete kube-vip with a DNS endpoint', () => {
    const text = inventoryYaml((i) => (i.spec.kubernetes.loadBalancer = { type: 'kube-vip', vip: '192.168.56.10', interface: 'eth0' }));
    expect(byRule(text, 'load-balancer-config')).toEqual([]);
  });
});

describe('cilium-kube-proxy-replacement', () => {
  const kpr = (i: Record<string, any>) => (i.spec.network = { plugin: 'cilium', cilium: { kubeProxyReplacement: true } });
  it('errors with several control planes and no endpoint', () => {
    const text = inventoryYaml((i) => {
      kpr(i);
      i.spec.hosts = hosts3cp;
      delete i.spec.kubernetes.controlPlaneEndpoint;
    });
    expect(byRule(text, 'cilium-kube-proxy-replacement')[0]?.path).toBe('spec.network.cilium.kubeProxyReplacement');
  });
  it('accepts a single control plane without endpoint, or an endpoint', () => {
    const single = inventoryYaml((i) => {
      kpr(i);
      delete i.spec.kubernetes.controlPlaneEndpoint;
    });
    expect(byRule(single, 'cilium-kube-proxy-replacement')).toEqual([]);
    expect(
      byRule(
        inventoryYaml((i) => {
          kpr(i);
          i.spec.hosts = hosts3cp;
        }),
        'cilium-kube-proxy-replacement',
      ),
    ).toEqual([]);
  });
  it('warns that the flag is ignored with flannel', () => {
    const text = inventoryYaml((i) => (i.spec.network = { plugin: 'flannel', cilium: { kubeProxyReplacement: true } }));
    expect(byRule(text, 'cilium-kube-proxy-replacement')[0]?.severity).toBe('warning');
  });
});

describe('warnings', () => {
  const only = (text: string) => warningsOf(text).map((w) => w.rule);
  it('ipvs on >= 1.35 only', () => {
    expect(only(inventoryYaml((i) => Object.assign(i.spec.kubernetes, { proxyMode: 'ipvs', version: '1.35.0' })))).toEqual([
      'ipvs-deprecated',
    ]);
    expect(only(inventoryYaml((i) => Object.assign(i.spec.kubernetes, { proxyMode: 'ipvs', version: '1.34.1' })))).toEqual([]);
  });
  it('docker runtime', () => {
    expect(only(inventoryYaml((i) => (i.spec.containerRuntime = { type: 'docker' })))).toEqual(['docker-runtime']);
  });
  it('hostKeyPolicy accept-new', () => {
    expect(only(inventoryYaml((i) => (i.spec.ssh = { hostKeyPolicy: 'accept-new' })))).toEqual(['host-key-accept-new']);
  });
  it('an even number of control planes', () => {
    expect(only(inventoryYaml((i) => (i.spec.hosts = hosts3cp.slice(0, 2))))).toEqual(['etcd-quorum']);
    expect(only(inventoryYaml((i) => (i.spec.hosts = hosts3cp)))).toEqual([]);
  });
  it('a single control plane without controlPlaneEndpoint', () => {
    const text = inventoryYaml((i) => delete i.spec.kubernetes.controlPlaneEndpoint);
    const [w] = warningsOf(text);
    expect(w?.rule).toBe('single-control-plane-without-endpoint');
    expect(w?.path).toBe('spec.kubernetes.controlPlaneEndpoint');
  });
  it('warnings never block loading', () => {
    const text = inventoryYaml((i) => (i.spec.containerRuntime = { type: 'docker' }));
    expect(errorsOf(text)).toEqual([]);
  });
});
