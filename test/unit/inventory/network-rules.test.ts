/**
 * IP families at validate: dual-stack is accepted in kubeadm's form, everything kubeadm, the kubelet or flannel would
 * refuse later is refused at its field (issue 12 item 7, issue 13 item 8).
 */
import { describe, expect, it } from 'vitest';
import { errorsOf, inventoryYaml, issuesOf } from './helpers.js';

const DUAL = { podSubnet: '10.244.0.0/16,fd00:10:244::/56', serviceSubnet: '10.96.0.0/12,fd00:10:96::/112' };
/** The base inventory made dual-stack: both lists, and an IPv6 node address on every host. */
const dual = (i: Record<string, any>) => {
  Object.assign(i.spec.kubernetes, DUAL);
  i.spec.hosts.forEach((h: Record<string, any>, n: number) => (h.address6 = `fd00:56::${n + 11}`));
};
const errors = (edit: (i: Record<string, any>) => void) =>
  errorsOf(inventoryYaml(edit)).map((e) => ({ path: e.path, rule: e.rule, message: e.message, line: e.line }));

describe('dual-stack inventories', () => {
  it('a complete dual-stack inventory validates without any issue', () => {
    expect(issuesOf(inventoryYaml(dual))).toEqual([]);
  });

  it('refuses an IPv6 podSubnet with an IPv4 serviceSubnet (family mismatch) at serviceSubnet', () => {
    const [e, ...rest] = errors((i) => (i.spec.kubernetes.podSubnet = 'fd00:10:244::/56'));
    expect(rest).toEqual([]);
    // serviceSubnet was left at its default: the error points at the podSubnet the user wrote
    expect(e).toMatchObject({ path: 'spec.kubernetes.podSubnet', rule: 'subnet-families' });
    expect(e!.message).toContain('serviceSubnet 10.96.0.0/12 (the default) is IPv4 but podSubnet fd00:10:244::/56 is IPv6');
    const [written] = errors((i) => Object.assign(i.spec.kubernetes, { podSubnet: 'fd00:10:244::/56', serviceSubnet: '10.100.0.0/16' }));
    expect(written).toMatchObject({ path: 'spec.kubernetes.serviceSubnet', rule: 'subnet-families' });
  });

  it('refuses dual-stack on one side only', () => {
    const found = errors((i) => (i.spec.kubernetes.podSubnet = DUAL.podSubnet));
    expect(found).toHaveLength(1);
    const [e] = found;
    expect(e).toMatchObject({ path: 'spec.kubernetes.podSubnet', rule: 'subnet-families' });
    expect(e!.message).toContain('is IPv4 but podSubnet 10.244.0.0/16,fd00:10:244::/56 is dual-stack (IPv4,IPv6)');
  });

  it('refuses IPv6-only clearly, pointing at podSubnet and saying what to do instead', () => {
    const found = errors((i) => Object.assign(i.spec.kubernetes, { podSubnet: 'fd00:10:244::/56', serviceSubnet: 'fd00:10:96::/112' }));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ path: 'spec.kubernetes.podSubnet', rule: 'subnet-families' });
    expect(found[0]!.message).toMatch(/^IPv6-only clusters are not supported; use dual-stack instead/);
  });

  it('refuses two CIDRs of one family, and IPv6 listed first', () => {
    expect(errors((i) => (dual(i), (i.spec.kubernetes.podSubnet = '10.244.0.0/16,10.245.0.0/16')))[0]!.message).toContain(
      'lists two IPv4 CIDRs',
    );
    const [first] = errors((i) => (dual(i), (i.spec.kubernetes.podSubnet = 'fd00:10:244::/56,10.244.0.0/16')));
    expect(first).toMatchObject({ path: 'spec.kubernetes.podSubnet' });
    expect(first!.message).toContain('write 10.244.0.0/16,fd00:10:244::/56');
  });

  it('refuses garbage lists in the schema (three entries, an empty entry, a bad CIDR)', () => {
    for (const bad of ['10.244.0.0/16,fd00::/56,fd01::/56', '10.244.0.0/16,', '10.244.0.0/16,fd00::/129']) {
      const found = errors((i) => (dual(i), (i.spec.kubernetes.podSubnet = bad)));
      expect(
        found.map((e) => e.path),
        bad,
      ).toEqual(['spec.kubernetes.podSubnet']);
      expect(found[0]!.message, bad).toContain('dual-stack');
    }
  });

  it('needs address6 on every host of a dual-stack cluster, pointing at the host', () => {
    const found = errors((i) => (dual(i), delete i.spec.hosts[2].address6));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ path: 'spec.hosts[2]', rule: 'node-ip-families' });
    expect(found[0]!.message).toContain('needs address6 on every host');
  });

  it('refuses address6 in a single-stack cluster (a field without an effect)', () => {
    const [e] = errors((i) => (i.spec.hosts[1].address6 = 'fd00:56::21'));
    expect(e).toMatchObject({ path: 'spec.hosts[1].address6', rule: 'node-ip-families' });
    expect(e!.message).toContain('address6 only applies to dual-stack clusters');
  });

  it('refuses an IPv4 address6, a repeated address6 and one inside the IPv6 pod subnet', () => {
    expect(errors((i) => (dual(i), (i.spec.hosts[1].address6 = '10.1.1.1')))[0]).toMatchObject({
      path: 'spec.hosts[1].address6',
      message: 'address6 must be an IPv6 address, got 10.1.1.1',
    });
    expect(errors((i) => (dual(i), (i.spec.hosts[2].address6 = 'fd00:56:0::11')))[0]!.message).toContain(
      'is already spec.hosts[0].address6',
    );
    expect(errors((i) => (dual(i), (i.spec.hosts[2].address6 = 'fd00:10:244::5')))[0]!.message).toContain(
      "inside the cluster's IPv6 pod or service subnet",
    );
  });

  it('refuses an IPv6 node IP in an IPv4 cluster at the field that set it', () => {
    expect(errors((i) => (i.spec.hosts[1].address = 'fd00:56::21'))[0]).toMatchObject({
      path: 'spec.hosts[1].address',
      rule: 'node-ip-families',
    });
    const [e] = errors((i) => (i.spec.hosts[1].internalAddress = 'fd00:56::21'));
    expect(e).toMatchObject({ path: 'spec.hosts[1].internalAddress' });
    expect(e!.message).toContain("set internalAddress to the host's IPv4 address");
    // an IPv6 SSH address is fine when the node IP is IPv4
    expect(errors((i) => Object.assign(i.spec.hosts[1], { address: 'fd00:56::21', internalAddress: '10.0.0.21' }))).toEqual([]);
  });

  it('checks overlap and host addresses per family in dual-stack lists', () => {
    const [overlap] = errors((i) => (dual(i), (i.spec.kubernetes.serviceSubnet = '10.96.0.0/12,fd00:10:244::/112')));
    expect(overlap).toMatchObject({ path: 'spec.kubernetes.serviceSubnet', rule: 'subnets-disjoint' });
    expect(overlap!.message).toBe('serviceSubnet fd00:10:244::/112 overlaps podSubnet fd00:10:244::/56; they must be disjoint');
    const inside = errors((i) => (dual(i), (i.spec.kubernetes.podSubnet = '192.168.0.0/16,fd00:10:244::/56')));
    expect(inside.map((e) => e.path)).toEqual(['spec.hosts[0].address', 'spec.hosts[1].address', 'spec.hosts[2].address']);
  });

  it('flannel needs a node block per host in each family', () => {
    const [e] = errors((i) => (dual(i), (i.spec.kubernetes.podSubnet = '10.244.0.0/16,fd00:10:244::/63')));
    expect(e).toMatchObject({ rule: 'pod-subnet-size' });
    expect(e!.message).toContain('holds 2 /64 node subnet(s)');
  });
});

describe('subnet-sizes (kubeadm networking checks)', () => {
  it('refuses an IPv6 service subnet with more than 20 host bits, and accepts /108', () => {
    const [e] = errors((i) => (dual(i), (i.spec.kubernetes.serviceSubnet = '10.96.0.0/12,fd00:10:96::/64')));
    expect(e).toMatchObject({ path: 'spec.kubernetes.serviceSubnet', rule: 'subnet-sizes' });
    expect(e!.message).toContain('needs a /108 or longer prefix');
    expect(errors((i) => (dual(i), (i.spec.kubernetes.serviceSubnet = '10.96.0.0/12,fd00:10:96::/108')))).toEqual([]);
  });
  it('refuses pod subnets outside the node mask window (IPv4 /8-/24, IPv6 /48-/64)', () => {
    expect(errors((i) => (dual(i), (i.spec.kubernetes.podSubnet = '10.244.0.0/16,fd00::/40')))[0]!.message).toContain(
      'use a /48 to /64 prefix',
    );
    expect(errors((i) => ((i.spec.kubernetes.podSubnet = '8.0.0.0/7'), (i.spec.network = { plugin: 'cilium' })))[0]!.message).toContain(
      'use a /8 to /24 prefix',
    );
    const small = errors((i) => ((i.spec.kubernetes.podSubnet = '10.244.0.0/25'), (i.spec.network = { plugin: 'cilium' })));
    expect(small.map((e) => e.rule)).toEqual(['subnet-sizes']);
    expect(small[0]!.message).toContain("smaller than one node's /24 block");
  });
});
