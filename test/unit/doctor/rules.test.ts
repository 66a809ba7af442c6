/** doctor's parsers on the recorded samples (kubectl, ip, sysctl, flannel) and each check: healthy passes, broken is found. */
import { describe, expect, it } from 'vitest';
import { parseApiNodes } from '../../../src/audit/api.js';
import { parseAddressLines } from '../../../src/audit/host.js';
import { parsePods, parseProxyMode, type ApiPod } from '../../../src/doctor/api.js';
import { cniPods, controlPlanePods, coreDns, kubeProxy, nodeConditions, type Expected } from '../../../src/doctor/cluster-rules.js';
import { flannelHairpin, parseEnvFile, parseLinks, type HostNet } from '../../../src/doctor/host.js';
import { flannelInterface, forwardingSysctls, hairpin, overlayMtu, type HostRead } from '../../../src/doctor/net-rules.js';
import { real } from '../fixtures-real/real.js';

const hosts: Expected[] = [
  { name: 'cp1', controlPlane: true, address: '10.199.0.10' },
  { name: 'w1', controlPlane: false, address: '10.199.0.12' },
];
const nodes = parseApiNodes(real('kubectl', 'get-nodes-flannel-o-json.json'));
const pods = parsePods(real('kubectl', 'get-pods-A-o-json.json'));
const healthyPods = (): ApiPod[] => pods.map((p) => ({ ...p, ready: true, waiting: '', restarts: 0 }));
const net = (over: Partial<HostNet> = {}): HostRead => ({
  ok: true,
  value: {
    bridgeNfCallIptables: real('sysctl', 'n-bridge-nf-call-iptables.txt').trim(),
    ipForward: '1', // the recorded machine forwards nothing (n-ip_forward.txt is 0): used below as the broken case
    links: parseLinks(real('ip', 'link-show-o-mtu.txt')),
    addresses: parseAddressLines(real('ip', 'addr-show-o.txt')),
    flannelConflist: real('flannel', '10-flannel.conflist'),
    flannelSubnetEnv: real('flannel', 'subnet.env'),
    ...over,
  },
});

describe('doctor parsers on real samples', () => {
  it('reads pods, the kube-proxy mode, links, flannel files', () => {
    const w1Flannel = pods.find((p) => p.name === 'kube-flannel-ds-q9m4z')!;
    expect(w1Flannel).toMatchObject({ node: 'w1', phase: 'Running', ready: false, waiting: 'CrashLoopBackOff', restarts: 7 });
    expect(pods.find((p) => p.name === 'etcd-cp1')).toMatchObject({ ready: true, hostNetwork: true });
    expect(parseProxyMode(real('kubectl', 'get-cm-kube-proxy-o-json.json'))).toBe('');
    expect(parseLinks(real('ip', 'link-show-o-mtu.txt'))).toEqual([
      { name: 'lo', mtu: 65536 },
      { name: 'peer0', mtu: 1500 },
      { name: 'eth0', mtu: 1500 },
      { name: 'peer1', mtu: 1500 },
      { name: 'eth1', mtu: 9000 },
      { name: 'flannel.1', mtu: 1450 },
    ]);
    expect(parseLinks(real('ip', 'link-show-o.txt')).find((l) => l.name === 'flannel.1')).toEqual({ name: 'flannel.1', mtu: 1500 });
    expect(flannelHairpin(real('flannel', '10-flannel.conflist'))).toBe(true);
    expect(parseEnvFile(real('flannel', 'subnet.env')).FLANNEL_MTU).toBe('1450');
  });
});

describe('doctor cluster checks', () => {
  it('nodes: all Ready passes; a missing or NotReady node is CRITICAL', () => {
    expect(nodeConditions(hosts, nodes).findings).toEqual([]);
    const notReady = parseApiNodes(real('kubectl', 'get-nodes-o-json.json'));
    const found = nodeConditions([...hosts, { name: 'w9', controlPlane: false, address: '10.199.0.19' }], notReady);
    expect(found.findings.map((f) => [f.node, f.severity])).toEqual([
      ['w1', 'critical'],
      ['w9', 'critical'],
    ]);
  });

  it('control plane, CoreDNS, kube-proxy: the recorded cluster passes; a missing static pod is CRITICAL', () => {
    expect(controlPlanePods(hosts, pods).findings).toEqual([]);
    expect(
      controlPlanePods(
        hosts,
        pods.filter((p) => p.name !== 'kube-scheduler-cp1'),
      ).findings[0]?.message,
    ).toContain('no kube-scheduler mirror pod');
    expect(coreDns(pods)).toMatchObject({ info: '2/2 ready', findings: [] });
    expect(coreDns(pods.map((p) => (p.labels['k8s-app'] === 'kube-dns' ? { ...p, ready: false } : p))).findings[0]?.severity).toBe(
      'critical',
    );
    expect(kubeProxy(hosts, pods, '')).toMatchObject({ info: 'mode iptables (default)', findings: [] });
  });

  it("CNI: w1's crash-looping flannel pod is CRITICAL with its state as evidence; all running passes", () => {
    const out = cniPods(hosts, pods);
    expect(out.title).toContain('flannel');
    expect(out.findings.map((f) => [f.node, f.evidence])).toEqual([
      ['w1', ['kube-flannel/kube-flannel-ds-q9m4z on w1: Running, not ready (CrashLoopBackOff), 7 restarts']],
    ]);
    expect(cniPods(hosts, healthyPods()).findings).toEqual([]);
  });
});

describe('doctor host network checks', () => {
  const nets = new Map<string, HostRead>([
    ['cp1', net()],
    ['w1', net()],
  ]);

  it('flannel on the second NIC of w1 (public-ip ≠ inventory address) is CRITICAL, naming both interfaces', () => {
    const out = flannelInterface(hosts, nodes, nets);
    expect(out.findings).toHaveLength(1);
    expect(out.findings[0]).toMatchObject({
      node: 'w1',
      severity: 'critical',
      message: expect.stringContaining('flannel uses 192.168.50.12 (eth1), not the inventory address 10.199.0.12 (eth0)'),
      fix: expect.stringContaining('network.flannel.iface to the interface holding 10.199.0.12 (eth0)'),
    });
    const right = nodes.map((n) => ({ ...n, annotations: { ...n.annotations, 'flannel.alpha.coreos.com/public-ip': n.internalIPs[0]! } }));
    expect(flannelInterface(hosts, right, nets).findings).toEqual([]);
    expect(flannelInterface(hosts, parseApiNodes(real('kubectl', 'get-nodes-o-json.json')), nets).skipped).toMatch(/flannel not in use/);
  });

  it('MTU: flannel.1 1450 over a 1500 NIC passes; over a 1450 NIC it is CRITICAL; subnet.env disagreeing is a WARNING', () => {
    const right = nodes.map((n) => ({ ...n, annotations: { ...n.annotations, 'flannel.alpha.coreos.com/public-ip': n.internalIPs[0]! } }));
    expect(overlayMtu(hosts, right, nets).findings).toEqual([]);
    const small = net();
    if (small.ok) small.value.links = small.value.links.map((l) => (l.name === 'eth0' ? { ...l, mtu: 1450 } : l));
    const out = overlayMtu(
      hosts,
      right,
      new Map([
        ['cp1', net()],
        ['w1', small],
      ]),
    );
    expect(out.findings.map((f) => [f.node, f.severity, f.evidence[0]])).toEqual([
      ['w1', 'critical', 'ip link: eth0 mtu 1450, flannel.1 mtu 1450'],
    ]);
    const env = net({ flannelSubnetEnv: 'FLANNEL_MTU=1400\n' });
    expect(
      overlayMtu(
        hosts,
        right,
        new Map([
          ['cp1', net()],
          ['w1', env],
        ]),
      ).findings[0]?.severity,
    ).toBe('warning');
    expect(
      overlayMtu(
        hosts,
        right,
        new Map([
          ['cp1', net({ links: [] })],
          ['w1', net({ links: [] })],
        ]),
      ).skipped,
    ).toBeDefined();
  });

  it('sysctls: both on passes; br_netfilter missing or forwarding off is CRITICAL; an unreadable host UNKNOWN', () => {
    expect(forwardingSysctls(hosts, nets).findings).toEqual([]);
    const broken = new Map<string, HostRead>([
      ['cp1', net({ bridgeNfCallIptables: null, ipForward: real('sysctl', 'n-ip_forward.txt').trim() })],
      ['w1', { ok: false, error: 'connect ECONNREFUSED' }],
    ]);
    expect(forwardingSysctls(hosts, broken).findings.map((f) => [f.node, f.severity, f.evidence[0] ?? ''])).toEqual([
      ['cp1', 'critical', 'sysctl net.bridge.bridge-nf-call-iptables: no such key'],
      ['cp1', 'critical', 'net.ipv4.ip_forward = 0'],
      ['w1', 'unknown', ''],
    ]);
  });

  it('hairpin: flannel upstream config passes; a delegate without hairpinMode is a WARNING', () => {
    expect(hairpin(hosts, nets).findings).toEqual([]);
    const off = real('flannel', '10-flannel.conflist').replace('"hairpinMode": true,', '');
    const out = hairpin(
      hosts,
      new Map([
        ['cp1', net()],
        ['w1', net({ flannelConflist: off })],
      ]),
    );
    expect(out.findings.map((f) => [f.node, f.evidence[0]])).toEqual([
      ['w1', '/etc/cni/net.d/10-flannel.conflist delegate.hairpinMode: absent'],
    ]);
  });
});
