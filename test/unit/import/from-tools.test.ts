/**
 * import --from-kubespray / --from-kubeasz on the projects' own sample inventories (test/fixtures/kubespray,
 * test/fixtures/kubeasz, see their SOURCES.md): hosts, roles and settings carried, the rest named.
 */
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseInventory } from '../../../src/inventory/index.js';
import { inventoryFromKubeasz, parseAnsibleIni } from '../../../src/import/from-kubeasz.js';
import { inventoryFromKubespray } from '../../../src/import/from-kubespray.js';
import { renderImported } from '../../../src/import/render.js';
import { tempDir } from '../cli/helpers.js';

const FIXTURES = resolve(import.meta.dirname, '../../fixtures');
const validated = (r: ReturnType<typeof inventoryFromKubeasz>) => parseInventory(renderImported(r, []), 'imported.yaml').inventory;

describe('kubespray inventory/sample', () => {
  it('hosts from the groups (kube-master, kube-node), settings from group_vars over the hosts file vars', () => {
    const r = inventoryFromKubespray(join(FIXTURES, 'kubespray/sample'), { keyPath: '/keys/id' });
    const inv = validated(r);
    expect(inv.spec.hosts.map((h) => [h.name, h.address, h.roles.join('+')])).toEqual([
      ['node1', '192.168.0.11', 'control-plane'],
      ['node2', '192.168.0.12', 'control-plane'],
      ['node3', '192.168.0.13', 'control-plane'],
      ['node4', '192.168.0.14', 'worker'],
      ['node5', '192.168.0.15', 'worker'],
      ['node6', '192.168.0.16', 'worker'],
    ]);
    expect(inv.spec.kubernetes).toMatchObject({
      version: '1.28.3',
      podSubnet: '10.233.64.0/18',
      serviceSubnet: '10.233.0.0/18',
      dnsDomain: 'cluster.local',
      proxyMode: 'ipvs',
    });
    // group_vars/k8s_cluster says containerd; the hosts file's all.vars said docker: group_vars files win, as in Ansible
    expect(inv.spec.containerRuntime.type).toBe('containerd');
    expect(inv.spec.network.plugin).toBe('none');
    expect(r.notCarried).toEqual(
      expect.arrayContaining([
        'kube_network_plugin calico (kubesmith manages flannel and cilium): network.plugin none',
        expect.stringMatching(/^\d+ other kubespray settings: .*enable_nodelocaldns.*kube_network_node_prefix/),
      ]),
    );
  });

  it('flannel, a load balancer endpoint, mirrors and SANs from a hosts.yaml with host vars', () => {
    const dir = tempDir();
    cpSync(join(FIXTURES, 'kubespray/sample/group_vars'), join(dir, 'group_vars'), { recursive: true });
    mkdirSync(join(dir, 'group_vars/all'), { recursive: true });
    writeFileSync(
      join(dir, 'group_vars/all/all.yml'),
      'apiserver_loadbalancer_domain_name: "lb.example.internal"\nloadbalancer_apiserver:\n  address: 10.0.0.100\n  port: 8443\n',
    );
    writeFileSync(
      join(dir, 'group_vars/all/containerd.yml'),
      'containerd_registries_mirrors:\n  - prefix: docker.io\n    mirrors:\n      - host: https://mirror.gcr.io\n        capabilities: ["pull", "resolve"]\n        skip_verify: false\n',
    );
    writeFileSync(join(dir, 'group_vars/k8s_cluster/k8s-net-flannel.yml'), 'flannel_backend_type: "host-gw"\nflannel_interface: eth1\n');
    writeFileSync(
      join(dir, 'group_vars/k8s_cluster/zz-local.yml'),
      'kube_network_plugin: flannel\nsupplementary_addresses_in_ssl_keys: [10.0.0.100, lb.example.internal]\n',
    );
    writeFileSync(
      join(dir, 'hosts.yaml'),
      'all:\n  hosts:\n    cp1: {ansible_host: 203.0.113.10, ip: 10.0.0.11}\n    w1: {ansible_host: 10.0.0.21}\n  children:\n    kube_control_plane:\n      hosts: {cp1: null}\n    kube_node:\n      hosts: {cp1: null, w1: null}\n    etcd:\n      hosts: {cp1: null}\n',
    );
    const inv = validated(inventoryFromKubespray(dir, {}));
    expect(inv.spec.hosts).toEqual([
      { name: 'cp1', address: '203.0.113.10', internalAddress: '10.0.0.11', roles: ['control-plane', 'worker'] },
      { name: 'w1', address: '10.0.0.21', roles: ['worker'] },
    ]);
    expect(inv.spec.kubernetes).toMatchObject({
      controlPlaneEndpoint: 'lb.example.internal:8443',
      certSANs: ['10.0.0.100', 'lb.example.internal'],
    });
    expect(inv.spec.containerRuntime.registryMirrors).toEqual({ 'docker.io': ['https://mirror.gcr.io'] });
    expect(inv.spec.network).toMatchObject({ plugin: 'flannel', flannel: { backend: 'host-gw', iface: 'eth1' } });
  });

  it('says what it cannot read', () => {
    expect(() => inventoryFromKubespray(tempDir(), {})).toThrow(/no hosts.yaml or inventory.yml/);
  });
});

describe('kubeasz example/hosts.multi-node', () => {
  it('parses Ansible INI: groups with host vars, quoted values, [all:vars], commented hosts left out', () => {
    const { groups, vars } = parseAnsibleIni('[kube_master]\n10.0.0.1 k8s_nodename=\'m-1\'\n#10.0.0.9\n[all:vars]\nA="x y"\nB=2\n');
    expect(groups.get('kube_master')).toEqual([{ address: '10.0.0.1', vars: { k8s_nodename: 'm-1' } }]);
    expect(vars.get('all')).toEqual({ A: 'x y', B: '2' });
  });

  it('masters and workers named by k8s_nodename, the network settings, and what kubeasz does differently', () => {
    const r = inventoryFromKubeasz(join(FIXTURES, 'kubeasz/hosts.multi-node'), { user: 'root' });
    const inv = validated(r);
    expect(inv.spec.hosts.map((h) => [h.name, h.address, h.roles.join('+')])).toEqual([
      ['master-01', '192.168.1.1', 'control-plane'],
      ['master-02', '192.168.1.2', 'control-plane'],
      ['master-03', '192.168.1.3', 'control-plane'],
      ['worker-01', '192.168.1.4', 'worker'],
      ['worker-02', '192.168.1.5', 'worker'],
    ]);
    expect(inv.spec.kubernetes).toMatchObject({ podSubnet: '172.20.0.0/16', serviceSubnet: '10.68.0.0/16', proxyMode: 'ipvs' });
    expect(inv.spec.network.plugin).toBe('none');
    expect(r.notCarried).toEqual(
      expect.arrayContaining([
        expect.stringContaining('CLUSTER_NETWORK calico'),
        expect.stringContaining('not kubeadm'),
        expect.stringContaining('Kubernetes version'),
      ]),
    );
  });

  it('an external load balancer and hosts without k8s_nodename', () => {
    const file = join(tempDir(), 'hosts');
    writeFileSync(
      file,
      '[kube_master]\n10.0.0.1\n[kube_node]\n10.0.0.2\n[ex_lb]\n10.0.0.6 LB_ROLE=master EX_APISERVER_VIP=10.0.0.250 EX_APISERVER_PORT=8443\n[all:vars]\nCLUSTER_NETWORK="flannel"\nCLUSTER_DNS_DOMAIN="cluster.local."\n',
    );
    const r = inventoryFromKubeasz(file, {});
    const inv = validated(r);
    expect(inv.spec.hosts.map((h) => h.name)).toEqual(['10-0-0-1', '10-0-0-2']);
    expect(inv.spec.kubernetes).toMatchObject({
      controlPlaneEndpoint: '10.0.0.250:8443',
      loadBalancer: { type: 'external' },
      dnsDomain: 'cluster.local',
    });
    expect(inv.spec.network.plugin).toBe('flannel');
    expect(r.notCarried).toContain('10.0.0.1 has no k8s_nodename: named 10-0-0-1 here; kubeasz names that node 10.0.0.1');
  });
});
