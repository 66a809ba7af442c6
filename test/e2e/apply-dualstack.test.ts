/**
 * Dual-stack on the lab (issue 12 item 7): 1 control plane + 1 worker, flannel vxlan, podSubnet and serviceSubnet as
 * kubeadm's "IPv4,IPv6" pairs, each host with its IPv6 lab address as address6. apply makes both nodes Ready, every
 * node carries a pod CIDR of each family and both InternalIPs, and the files on the hosts are the dual-stack ones.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { Lab } from '../lab/lab.js';
import { hostIp6 } from '../lab/paths.js';
import { changedCount, kubesmith, labCluster, labReady, type LabCluster } from './helpers.js';

const NAME = 'e2e-dualstack';
const POD = '10.244.0.0/16,fd00:10:244::/56';
const SVC = '10.96.0.0/12,fd00:10:96::/112';

if (!labReady())
  console.warn('skipping test/e2e/apply-dualstack.test.ts: needs root and the lab emulators (test/lab/emulators/manifest.json)');

/** "fd00:199:3::11" → "fd000199000300000000000000000011" (the form /proc/net/if_inet6 lists). */
function hex32(ip: string): string {
  const [head = '', tail = ''] = ip.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  return [...left, ...Array(8 - left.length - right.length).fill('0'), ...right].map((g) => g.padStart(4, '0')).join('');
}

interface NodeJson {
  metadata: { name: string };
  spec: { podCIDR?: string; podCIDRs?: string[] };
  status: { addresses: { type: string; address: string }[]; conditions: { type: string; status: string }[] };
}

describe.skipIf(!labReady())('apply: dual-stack IPv4/IPv6, flannel', () => {
  let c: LabCluster;
  let lab: Lab;
  let inv: string;

  beforeAll(async () => {
    c = await labCluster(NAME, [{ name: 'cp1' }, { name: 'w1' }]);
    ({ lab, inventory: inv } = c);
    const extra = { kubernetes: { version: '1.34.1', podSubnet: POD, serviceSubnet: SVC }, network: { plugin: 'flannel' }, ...c.mirrors };
    lab.writeInventory(inv, { controlPlanes: ['cp1'], workers: ['w1'], dualStack: true, extra });
  }, 120_000);
  afterAll(() => c?.down(), 120_000);

  it('the lab hosts hold the IPv6 addresses the inventory names, and validate accepts it', async () => {
    for (const h of lab.hosts) {
      // /proc/net/if_inet6: the address as 32 hex digits, ifindex, prefix length (hex), scope, flags, device
      const table = await lab.exec(h.name, 'cat /proc/net/if_inet6');
      expect(table.stdout, h.name).toMatch(new RegExp(`^${hex32(hostIp6(h.ip))} \\w+ 40 00 \\w+ +eth0$`, 'm'));
    }
    const v = await kubesmith(['validate', '-i', inv]);
    expect(v.code, v.stderr).toBe(0);
  }, 120_000);

  it('apply brings both nodes to Ready with a pod CIDR and an InternalIP of each family', async () => {
    const run = await kubesmith(['apply', '-i', inv, '--output', 'json']);
    expect(run.code, run.stderr + run.stdout.slice(-5000)).toBe(0);
    const nodes = await lab.exec('cp1', 'kubectl --kubeconfig /etc/kubernetes/admin.conf get nodes -o json');
    const items = (JSON.parse(nodes.stdout) as { items: NodeJson[] }).items;
    expect(items.map((n) => n.metadata.name).sort()).toEqual(['cp1', 'w1']);
    for (const n of items) {
      const host = lab.host(n.metadata.name);
      expect(n.status.conditions.find((x) => x.type === 'Ready')?.status, n.metadata.name).toBe('True');
      expect(
        n.status.addresses.filter((a) => a.type === 'InternalIP').map((a) => a.address),
        n.metadata.name,
      ).toEqual([host.ip, hostIp6(host.ip)]);
      const cidrs = n.spec.podCIDRs ?? [];
      expect(cidrs, n.metadata.name).toHaveLength(2);
      expect(cidrs[0], n.metadata.name).toMatch(/^10\.244\.\d+\.0\/24$/);
      expect(cidrs[1], n.metadata.name).toMatch(/^fd00:10:244:(\w+)?:?:\/64$/);
      expect(n.spec.podCIDR).toBe(cidrs[0]);
    }
  }, 900_000);

  it('the files on the hosts are the dual-stack ones', () => {
    const kubeadm = parseAllDocuments(lab.readFile('cp1', '/etc/kubernetes/kubesmith/kubeadm-init.yaml') ?? '').map((d) => d.toJS());
    expect(kubeadm[0].localAPIEndpoint.advertiseAddress).toBe(lab.host('cp1').ip);
    expect(kubeadm[0].nodeRegistration.kubeletExtraArgs).toEqual([
      { name: 'node-ip', value: `${lab.host('cp1').ip},${hostIp6(lab.host('cp1').ip)}` },
    ]);
    expect(kubeadm[1].networking).toMatchObject({ podSubnet: POD, serviceSubnet: SVC });
    const flannel = parseAllDocuments(lab.readFile('cp1', '/etc/kubernetes/kubesmith/kube-flannel.yaml') ?? '').map((d) => d.toJS());
    expect(JSON.parse(flannel[4].data['net-conf.json'])).toMatchObject({
      Network: '10.244.0.0/16',
      EnableIPv6: true,
      IPv6Network: 'fd00:10:244::/56',
    });
    for (const h of ['cp1', 'w1']) expect(lab.readFile(h, '/etc/sysctl.d/k8s.conf'), h).toContain('net.ipv6.conf.all.forwarding = 1');
  });

  it('a second apply changes nothing', async () => {
    const again = await kubesmith(['apply', '-i', inv, '--output', 'json']);
    expect(again.code, again.stdout.slice(-3000)).toBe(0);
    expect(changedCount(again)).toBe(0);
  }, 900_000);
});

describe.skipIf(!labReady())('apply: dual-stack IPv4/IPv6, cilium (ipam kubernetes)', () => {
  let c: LabCluster;

  beforeAll(async () => {
    c = await labCluster(`${NAME}-cilium`, [{ name: 'cp1' }]);
    const registryMirrors = { ...c.mirrors.containerRuntime.registryMirrors, 'quay.io': [c.registry.url] };
    const extra = {
      kubernetes: { podSubnet: POD, serviceSubnet: SVC },
      network: { plugin: 'cilium' },
      containerRuntime: { registryMirrors },
    };
    c.lab.writeInventory(c.inventory, { controlPlanes: ['cp1'], workers: [], dualStack: true, extra });
  }, 120_000);
  afterAll(() => c?.down(), 120_000);

  it('the node turns Ready only with a pod CIDR of each family; the agent runs with enable-ipv6', async () => {
    const run = await kubesmith(['apply', '-i', c.inventory, '--output', 'json']);
    expect(run.code, run.stderr + run.stdout.slice(-5000)).toBe(0);
    const kubectl = 'kubectl --kubeconfig /etc/kubernetes/admin.conf';
    const node = JSON.parse((await c.lab.exec('cp1', `${kubectl} get node cp1 -o json`)).stdout) as NodeJson;
    expect(node.status.conditions.find((x) => x.type === 'Ready')?.status).toBe('True');
    expect(node.spec.podCIDRs?.map((cidr) => (cidr.includes(':') ? 6 : 4))).toEqual([4, 6]);
    const config = JSON.parse((await c.lab.exec('cp1', `${kubectl} get configmap cilium-config -n kube-system -o json`)).stdout);
    expect(config.data).toMatchObject({ ipam: 'kubernetes', 'enable-ipv4': 'true', 'enable-ipv6': 'true' });
  }, 900_000);
});
