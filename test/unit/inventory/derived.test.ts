/**
 * Derived values are computed once, at load, and every consumer reads them: an HA inventory with kube-vip and no
 * controlPlaneEndpoint renders the VIP everywhere the endpoint matters (init, joins, SANs, kube-vip, /etc/hosts, cilium).
 */
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { derived, parseEndpoint, parseInventory } from '../../../src/inventory/index.js';
import * as r from '../../../src/render/index.js';
import { hostsBlock } from '../../../src/tasks/hostprep/etchosts.js';
import { haHosts, hostsOf, makeInventory } from '../tasks/helpers/inventory.js';
import { FILE, inventoryYaml } from './helpers.js';

const JOIN = { token: 'abcdef.0123456789abcdef', caCertHash: 'sha256:' + 'a'.repeat(64) };

describe('derived values', () => {
  const vipOnly = makeInventory({ kubernetes: { loadBalancer: { type: 'kube-vip', vip: '10.0.0.100', interface: 'eth1' } } }, haHosts());
  const hosts = hostsOf(vipOnly);

  it('are computed by parseInventory, once per inventory', () => {
    const text = inventoryYaml((inv) => {
      inv.spec.hosts = haHosts();
      inv.spec.kubernetes = { version: 'v1.33.2', loadBalancer: { type: 'kube-vip', vip: '10.0.0.100', interface: 'eth1' } };
    });
    const { inventory } = parseInventory(text, FILE);
    const d = derived(inventory);
    expect(derived(inventory)).toBe(d);
    expect(d.controlPlaneEndpoint).toEqual({ host: '10.0.0.100', port: 6443, address: '10.0.0.100:6443' });
    expect(d.apiServer.address).toBe('10.0.0.100:6443');
    expect(d.kubernetes).toEqual({
      version: { major: 1, minor: 33, patch: 2, text: '1.33.2' },
      tag: 'v1.33.2',
      kubeadmApiVersion: 'v1beta4',
    });
    expect(d.images).toEqual({ pause: 'registry.k8s.io/pause:3.10', kubeVip: 'ghcr.io/kube-vip/kube-vip:v0.8.9' });
    expect(d.criSocket).toBe('unix:///var/run/containerd/containerd.sock');
  });

  it('single control plane without an endpoint: joins reach the first control plane', () => {
    const d = derived(makeInventory());
    expect(d.controlPlaneEndpoint).toBeUndefined();
    expect(d.apiServer).toEqual({ host: '10.199.0.10', port: 6443, address: '10.199.0.10:6443' });
  });

  it('endpoints: IPv6 in brackets, the port defaults to 6443', () => {
    expect(parseEndpoint('[fd00::1]:7443')).toEqual({ host: 'fd00::1', port: 7443, address: '[fd00::1]:7443' });
    expect(parseEndpoint('api.example')).toEqual({ host: 'api.example', port: 6443, address: 'api.example:6443' });
    const v6 = makeInventory({ kubernetes: { loadBalancer: { type: 'kube-vip', vip: 'fd00::100', interface: 'eth1' } } }, haHosts());
    expect(derived(v6).apiServer.address).toBe('[fd00::100]:6443');
  });

  it('kube-vip without controlPlaneEndpoint: init, both joins and the SANs use <vip>:6443', () => {
    const [, cluster] = parseAllDocuments(r.renderKubeadmInit(vipOnly, hosts.firstControlPlane, hosts)).map((d) => d.toJS());
    expect(cluster.controlPlaneEndpoint).toBe('10.0.0.100:6443');
    expect(cluster.apiServer.certSANs).toContain('10.0.0.100');
    const worker = parse(r.renderKubeadmJoin(vipOnly, hosts.byName('w1')!, hosts, JOIN));
    expect(worker.discovery.bootstrapToken.apiServerEndpoint).toBe('10.0.0.100:6443');
    const cp = parse(r.renderKubeadmJoin(vipOnly, hosts.byName('cp3')!, hosts, { ...JOIN, certificateKey: 'f'.repeat(64) }));
    expect(cp.discovery.bootstrapToken.apiServerEndpoint).toBe('10.0.0.100:6443');
  });

  it('kube-vip serves the derived endpoint port; /etc/hosts needs no name for a bare VIP', () => {
    const manifest = parse(r.renderKubeVip(vipOnly, hosts.byName('cp2')!, hosts, true));
    const env = Object.fromEntries((manifest.spec.containers[0].env as { name: string; value: string }[]).map((e) => [e.name, e.value]));
    expect(env).toMatchObject({ address: '10.0.0.100', port: '6443' });
    expect(
      hostsBlock(vipOnly, hosts)
        .split('\n')
        .filter((l) => l.startsWith('10.0.0.100')),
    ).toEqual([]);
    const named = makeInventory(
      {
        kubernetes: {
          controlPlaneEndpoint: 'api.demo.internal:6443',
          loadBalancer: { type: 'kube-vip', vip: '10.0.0.100', interface: 'eth1' },
        },
      },
      haHosts(),
    );
    expect(hostsBlock(named, hostsOf(named))).toContain('10.0.0.100 api.demo.internal');
  });

  it('cilium without kube-proxy reaches the API at the VIP', () => {
    const inv = makeInventory(
      {
        kubernetes: { loadBalancer: { type: 'kube-vip', vip: '10.0.0.100', interface: 'eth1' } },
        network: { plugin: 'cilium', cilium: { kubeProxyReplacement: true } },
      },
      haHosts(),
    );
    const values = parse(r.renderCiliumValues(inv, hostsOf(inv)));
    expect(values).toMatchObject({ k8sServiceHost: '10.0.0.100', k8sServicePort: 6443 });
  });
});
