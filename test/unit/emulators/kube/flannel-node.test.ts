// The lab's flanneld address choice (flannel's LookupExtIface) on recorded iproute2 output, and the node
// annotations the emulated API shows with the keys and value shapes of a real flannel node.
import { describe, expect, it } from 'vitest';
import type { Cluster, KubeNode } from '../../../lab/emulators/src/kube/cluster-state.js';
import { externalIp, ifaceArg } from '../../../lab/emulators/src/kube/flannel-node.js';
import { nodeObject } from '../../../lab/emulators/src/kube/kubectl-view.js';
import { real } from '../../fixtures-real/real.js';

const ds = (args: string[]) => ({
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name: 'kube-flannel-ds', namespace: 'kube-flannel' },
  spec: { template: { spec: { containers: [{ name: 'kube-flannel', command: ['/opt/bin/flanneld'], args }] } } },
});

describe('flanneld external address (lab)', () => {
  const addrs = real('ip', 'addr-show-o-4.txt');
  it('without --iface: the default route interface, here the second NIC', () => {
    expect(externalIp(undefined, addrs, real('ip', 'route-show-default.txt'))).toBe('192.168.50.12');
  });
  it('without --iface and without a default route: none (the real flanneld exits)', () => {
    expect(externalIp(undefined, addrs, real('ip', 'route-show-default-none.txt'))).toBeUndefined();
  });
  it('--iface by name or by address wins over the default route; an unknown name finds none', () => {
    expect(ifaceArg(ds(['--ip-masq', '--kube-subnet-mgr', '--iface=eth0']))).toBe('eth0');
    expect(ifaceArg(ds(['--iface', 'eth0']))).toBe('eth0');
    expect(ifaceArg(ds(['--ip-masq']))).toBeUndefined();
    expect(externalIp('eth0', addrs, real('ip', 'route-show-default.txt'))).toBe('10.199.0.12');
    expect(externalIp('10.199.0.12', addrs, '')).toBe('10.199.0.12');
    expect(externalIp('ens32', addrs, real('ip', 'route-show-default.txt'))).toBeUndefined();
  });

  it('a node running flannel shows the annotations of a real flannel node (keys and value shapes)', () => {
    const n = {
      name: 'w1',
      host: 'w1',
      roles: ['worker'],
      labels: {},
      taints: [],
      kubeletVersion: 'v1.34.1',
      internalIP: '10.199.0.12',
      podCIDR: '10.244.1.0/24',
      unschedulable: false,
      created: Date.now(),
      criSocket: 'unix:///var/run/containerd/containerd.sock',
      status: { kubeletActive: true, cniConfigured: true, images: [], updatedAt: Date.now(), flannelPublicIp: '192.168.50.12' },
    } as KubeNode;
    const c = {
      nodes: { w1: n },
      controlPlane: {},
      objects: {
        'DaemonSet/kube-flannel/kube-flannel-ds': ds(['--ip-masq']),
        'ConfigMap/kube-flannel/kube-flannel-cfg': {
          kind: 'ConfigMap',
          metadata: { name: 'kube-flannel-cfg', namespace: 'kube-flannel' },
          data: { 'net-conf.json': '{"Network": "10.244.0.0/16", "Backend": {"Type": "vxlan"}}' },
        },
      },
    } as unknown as Cluster;
    const got = (nodeObject(c, n).metadata as { annotations: Record<string, string> }).annotations;
    const recorded = (
      JSON.parse(real('kubectl', 'get-nodes-flannel-o-json.json')) as { items: { metadata: { annotations: Record<string, string> } }[] }
    ).items[1]!.metadata.annotations;
    expect(Object.keys(got).sort()).toEqual(Object.keys(recorded).sort());
    expect(got['flannel.alpha.coreos.com/public-ip']).toBe('192.168.50.12');
    expect(Object.keys(JSON.parse(got['flannel.alpha.coreos.com/backend-data']!))).toEqual(
      Object.keys(JSON.parse(recorded['flannel.alpha.coreos.com/backend-data']!)),
    );
    expect(got['flannel.alpha.coreos.com/backend-data']).toMatch(/"VtepMAC":"([0-9a-f]{2}:){5}[0-9a-f]{2}"/);
    const without = { ...n, status: { ...n.status, flannelPublicIp: undefined } } as unknown as KubeNode;
    expect(Object.keys((nodeObject(c, without).metadata as { annotations: object }).annotations).some((k) => k.startsWith('flannel'))).toBe(
      false,
    );
  });
});
