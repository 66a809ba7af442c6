// The lab's pod network (pod-network.ts) on recorded iproute2 output: longest-prefix route choice, cross-node
// pod traffic blocked by a missing route to the peer's VTEP or a drop route over its pod subnet (both directions);
// Services get a ClusterIP inside serviceSubnet; a busybox pod's served page read from its `sh -c` command.
import { describe, expect, it } from 'vitest';
import type { Cluster, KubeNode } from '../../../lab/emulators/src/kube/cluster-state.js';
import { isBusyboxImage, servedBy } from '../../../lab/emulators/src/kube/busybox-exec.js';
import { clusterIPFor, parseRoutes, podPathProblem, routeFor, withClusterIP } from '../../../lab/emulators/src/kube/pod-network.js';
import { probeObjects } from '../../../../src/doctor/probe-objects.js';
import { real } from '../../fixtures-real/real.js';

const node = (name: string, ip: string, podCIDR: string, routes: string, publicIp?: string): KubeNode =>
  ({
    name,
    host: name,
    internalIP: ip,
    podCIDR,
    status: { routes: parseRoutes(routes), ...(publicIp ? { flannelPublicIp: publicIp } : {}) },
  }) as unknown as KubeNode;

const LAN = '10.199.0.0/24 dev eth0 proto kernel scope link src 10.199.0.11\n';

describe('lab pod network', () => {
  const drops = real('ip', 'route-show-o-4-drops.txt');

  it('parses the route types of a real table and picks the longest prefix, as `ip route get`', () => {
    const routes = parseRoutes(drops);
    expect(routes).toEqual([
      { type: 'unicast', dest: '0.0.0.0/0' },
      { type: 'unicast', dest: '10.199.0.0/24' },
      { type: 'blackhole', dest: '10.244.0.0/24' },
      { type: 'unreachable', dest: '10.244.2.0/24' },
      { type: 'prohibit', dest: '192.168.60.0/24' },
    ]);
    expect(routeFor(routes, '10.244.0.7')?.type).toBe('blackhole');
    expect(routeFor(routes, '10.244.1.7')?.dest).toBe('0.0.0.0/0');
    expect(routeFor(routes, '10.199.0.12')?.dest).toBe('10.199.0.0/24');
    expect(routeFor(parseRoutes(LAN), '192.168.50.12')).toBeUndefined();
  });

  it('two nodes on one LAN reach each other; a blackhole for the peer pod subnet breaks both directions', () => {
    const cp1 = node('cp1', '10.199.0.11', '10.244.0.0/24', LAN);
    const w1 = node('w1', '10.199.0.12', '10.244.1.0/24', LAN);
    expect(podPathProblem(cp1, w1)).toBeUndefined();
    const broken = node('w1', '10.199.0.12', '10.244.1.0/24', `${LAN}blackhole 10.244.0.0/24\n`);
    expect(podPathProblem(cp1, broken)).toBe("w1 has a blackhole route 10.244.0.0/24 for cp1's pod subnet 10.244.0.0/24");
    expect(podPathProblem(broken, cp1)).toBe(podPathProblem(cp1, broken));
  });

  it('flannel on an address the peer has no route to (the wrong NIC) breaks both directions; same node never', () => {
    const cp1 = node('cp1', '10.199.0.11', '10.244.0.0/24', LAN);
    const w1 = node('w1', '10.199.0.12', '10.244.1.0/24', `${LAN}default via 192.168.50.1 dev eth1\n`, '192.168.50.12');
    expect(podPathProblem(cp1, w1)).toBe("cp1 has no route to w1's VTEP address 192.168.50.12");
    expect(podPathProblem(w1, cp1)).toBe(podPathProblem(cp1, w1));
    expect(podPathProblem(w1, w1)).toBeUndefined();
  });

  it('a Service gets a stable ClusterIP inside serviceSubnet, past the kube-dns address; one naming its own keeps it', () => {
    const c = { clusterConfiguration: { networking: { serviceSubnet: '10.96.0.0/12' } } } as unknown as Cluster;
    const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'probe-0', namespace: 'kubesmith-doctor' }, spec: {} };
    const ip = clusterIPFor(c, svc);
    expect(ip).toMatch(/^10\.(9[6-9]|10[0-9]|11[01])\.\d+\.\d+$/);
    expect(ip).not.toBe('10.96.0.10');
    expect(clusterIPFor(c, svc)).toBe(ip);
    expect((withClusterIP(c, { ...svc, spec: { clusterIP: '10.96.5.5' } }) as any).spec.clusterIP).toBe('10.96.5.5');
    const small = { clusterConfiguration: { networking: { serviceSubnet: '10.0.0.0/28' } } } as unknown as Cluster;
    const last = Number(clusterIPFor(small, svc).split('.')[3]);
    expect(last).toBeGreaterThanOrEqual(11);
    expect(last).toBeLessThan(15);
  });

  it("reads the page and port doctor's test pod serves from its command; busybox by any registry path", () => {
    const pod = probeObjects(['w1'], 'registry.k8s.io/e2e-test-images/busybox:1.36.1-1').items[1]!;
    expect(servedBy(pod as any)).toEqual({ port: 8080, body: 'kubesmith-doctor-probe\n' });
    expect(servedBy({ kind: 'Pod', spec: { containers: [{ command: ['sleep', '3600'] }] } } as any)).toBeUndefined();
    expect(isBusyboxImage('busybox:1.28.4')).toBe(true);
    expect(isBusyboxImage('registry.k8s.io/e2e-test-images/busybox:1.36.1-1')).toBe(true);
    expect(isBusyboxImage('registry.k8s.io/etcd:3.6.4-0')).toBe(false);
  });
});
