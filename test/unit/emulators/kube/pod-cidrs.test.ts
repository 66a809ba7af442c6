// The emulated controller manager's node CIDRs: single-stack as before, dual-stack one block per family.
import { describe, expect, it } from 'vitest';
import { allocatePodCIDR, type Cluster } from '../../../lab/emulators/src/kube/cluster-state.js';

const cluster = (podSubnet?: string) =>
  ({ clusterConfiguration: { networking: podSubnet ? { podSubnet } : {} }, nextPodSubnet: 0 }) as unknown as Cluster;

describe('allocatePodCIDR', () => {
  it('gives IPv4 /24 blocks in order (the default --node-cidr-mask-size-ipv4)', () => {
    const c = cluster('10.244.0.0/16');
    expect([allocatePodCIDR(c), allocatePodCIDR(c), allocatePodCIDR(c)]).toEqual(['10.244.0.0/24', '10.244.1.0/24', '10.244.2.0/24']);
  });
  it("gives a dual-stack node an IPv4 /24 and an IPv6 /64 with the same number, in podSubnet's order", () => {
    const c = cluster('10.244.0.0/16,fd00:10:244::/56');
    expect(allocatePodCIDR(c)).toBe('10.244.0.0/24,fd00:10:244::/64');
    expect(allocatePodCIDR(c)).toBe('10.244.1.0/24,fd00:10:244:1::/64');
    c.nextPodSubnet = 255;
    expect(allocatePodCIDR(c)).toBe('10.244.255.0/24,fd00:10:244:ff::/64');
  });
  it('writes IPv6 blocks in RFC 5952 form', () => {
    const c = cluster('10.244.0.0/16,2001:db8:0:0:1::/48');
    c.nextPodSubnet = 1;
    expect(allocatePodCIDR(c).split(',')[1]).toBe('2001:db8:0:1::/64');
  });
  it('gives nothing without a podSubnet', () => expect(allocatePodCIDR(cluster())).toBe(''));
});
