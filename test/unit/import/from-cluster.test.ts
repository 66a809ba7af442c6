/** import: the cluster's objects → a commented inventory that validates, with what was not carried over and the predicted plan. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseInventory } from '../../../src/inventory/index.js';
import { inventoryFromCluster } from '../../../src/import/from-cluster.js';
import type { RawCluster } from '../../../src/import/gather.js';
import { predictFirstPlan } from '../../../src/import/predict.js';
import { renderImported } from '../../../src/import/render.js';
import { renderFlannel, renderModules, renderSysctl } from '../../../src/render/index.js';
import { real } from '../fixtures-real/real.js';

const SRC = { address: '10.199.0.11', user: 'kube', keyPath: '/keys/id_ed25519' };

function raw(over: Partial<RawCluster> = {}): RawCluster {
  return {
    nodes: real('kubectl', 'get-nodes-o-json.json'),
    kubeadmConfig: real('kubectl', 'get-cm-kubeadm-config-runbook-init-o-json.json'),
    kubeletConfig: real('kubectl', 'get-cm-kubelet-config-o-json.json'),
    kubeProxy: real('kubectl', 'get-cm-kube-proxy-v1.34-defaults-o-json.json'),
    daemonSets: real('kubectl', 'get-ds-all-namespaces-o-json.json'),
    flannelConfig: real('kubectl', 'get-cm-kube-flannel-cfg-o-json.json'),
    ciliumConfig: null,
    containerdConfig: real('containerd', 'config-default.toml'),
    dockerDaemon: null,
    registryHosts: { 'docker.io': real('containerd', 'hosts-toml-mirror.toml') },
    adminHashes: null,
    missingIpvsTools: '',
    managedFiles: {},
    ...over,
  };
}

const validated = (text: string) => parseInventory(text, 'imported.yaml').inventory;

describe('inventoryFromCluster', () => {
  it('carries nodes, kubeadm-config, kubelet and kube-proxy settings, mirrors and flannel into a valid inventory', () => {
    const r = inventoryFromCluster(raw(), SRC);
    const inv = validated(renderImported(r, ['header']));
    expect(inv.metadata.name).toBe('kubernetes');
    expect(inv.spec.hosts.map((h) => [h.name, h.address, h.roles])).toEqual([
      ['cp1', '10.199.0.11', ['control-plane']],
      ['w1', '10.199.0.12', ['worker']],
    ]);
    expect(inv.spec.kubernetes).toMatchObject({ version: '1.34.1', podSubnet: '10.244.0.0/16', proxyMode: 'ipvs' });
    expect(inv.spec.kubernetes.controlPlaneEndpoint).toBeUndefined();
    expect(inv.spec.kubelet).toEqual({
      maxPods: 200,
      systemReserved: { cpu: '500m', memory: '512Mi' },
      evictionHard: { 'memory.available': '200Mi' },
    });
    expect(inv.spec.containerRuntime.registryMirrors).toEqual({ 'docker.io': ['http://127.0.0.1:65001', 'https://registry-1.docker.io'] });
    expect(inv.spec.network).toMatchObject({ plugin: 'flannel', flannel: { version: '0.28.0', backend: 'vxlan', iface: 'eth1' } });
    expect(inv.spec.ssh).toMatchObject({ user: 'kube', keyPath: '/keys/id_ed25519' });
    expect(inv.spec.hostPrep).toMatchObject({ firewall: 'keep', etcHosts: false, setHostname: false });
    expect(r.notCarried).toEqual(['containerd SystemdCgroup = false (kubesmith sets true)']);
  });

  it('says where each value came from, above it', () => {
    const text = renderImported(inventoryFromCluster(raw(), SRC), ['header']);
    expect(text).toMatch(/# ConfigMap kube-system\/kubeadm-config: networking.podSubnet\n\s+podSubnet: 10.244.0.0\/16/);
    expect(text).toMatch(/# node w1 \(kubelet v1.34.1, containerd:\/\/[\d.]+\): address = its InternalIP\n\s+- name: w1/);
    expect(text).toContain('# ConfigMap kube-system/kube-proxy: config.conf mode');
  });

  it('names what it cannot carry over: external etcd, extra args, an unmanaged CNI', () => {
    const cc = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      data: {
        ClusterConfiguration:
          'kubernetesVersion: v1.30.2\ncontrolPlaneEndpoint: api.example.internal:6443\netcd:\n  external:\n    endpoints: [https://10.0.0.5:2379]\napiServer:\n  certSANs: [api.example.internal]\n  extraArgs:\n    authorization-mode: Node,RBAC\n',
      },
    };
    const calico = JSON.stringify({ items: [{ metadata: { name: 'calico-node', namespace: 'kube-system' }, spec: {} }] });
    const r = inventoryFromCluster(raw({ kubeadmConfig: JSON.stringify(cc), daemonSets: calico, flannelConfig: null }), SRC);
    const inv = validated(renderImported(r, []));
    expect(inv.spec.kubernetes).toMatchObject({ controlPlaneEndpoint: 'api.example.internal:6443', certSANs: ['api.example.internal'] });
    expect(inv.spec.network.plugin).toBe('none');
    expect(r.notCarried).toEqual(
      expect.arrayContaining([
        expect.stringContaining('etcd.external'),
        'apiServer.extraArgs in kubeadm-config',
        expect.stringContaining('CNI calico-node'),
        expect.stringContaining('kubelet versions differ'),
      ]),
    );
    expect(renderImported(r, [])).toContain('#   - apiServer.extraArgs in kubeadm-config');
  });

  it('refuses a cluster without kubeadm-config', () => {
    expect(() => inventoryFromCluster(raw({ kubeadmConfig: null }), SRC)).toThrow(/not a kubeadm cluster/);
  });
});

describe('predictFirstPlan', () => {
  it("lists the tasks whose files differ from kubesmith's rendering, and nothing for files already kubesmith's", () => {
    const r = raw({ containerdConfig: null, registryHosts: {} });
    const inv = validated(renderImported(inventoryFromCluster(r, { ...SRC, user: 'root' }), []));
    const admin = 'apiVersion: v1\nkind: Config\n';
    const hash = createHash('sha256').update(admin).digest('hex');
    const hashes = `${hash}  /etc/kubernetes/admin.conf\n${hash}  /root/.kube/config\n`;
    const same = {
      '/etc/sysctl.d/k8s.conf': renderSysctl(inv),
      '/etc/modules-load.d/k8s.conf': renderModules(inv),
      '/etc/kubernetes/kubesmith/kube-flannel.yaml': renderFlannel(inv),
    };
    const tasks = (files: Record<string, string | null>, local: string | null) =>
      predictFirstPlan(inv, { ...r, adminHashes: hashes, managedFiles: files }, local).map((d) => d.task);
    expect(tasks(same, admin)).toEqual(['runtime.containerd.configure']);
    expect(tasks({ ...same, '/etc/sysctl.d/k8s.conf': 'net.ipv4.ip_forward = 1\n' }, null)).toEqual([
      'hostprep.sysctl',
      'runtime.containerd.configure',
      'controlplane.kubeconfig',
    ]);
    expect(tasks({}, admin)).toEqual(['hostprep.sysctl', 'hostprep.modules', 'runtime.containerd.configure', 'cni.flannel']);
    const ipvs = validated(renderImported(inventoryFromCluster(raw(), SRC), []));
    expect(ipvs.spec.kubernetes.proxyMode).toBe('ipvs');
    const missing = predictFirstPlan(ipvs, { ...r, adminHashes: hashes, managedFiles: same, missingIpvsTools: 'ipvsadm\n' }, admin);
    expect(missing.find((d) => d.task === 'kubernetes.packages')?.why).toMatch(/^ipvsadm installed/);
  });
});

it('the rendered inventory is YAML whose header lists both reports', () => {
  const r = inventoryFromCluster(raw(), SRC);
  r.deliberate = [{ task: 'cni.flannel', why: 'because' }];
  const text = renderImported(r, ['Imported by test']);
  expect(text.startsWith('# Imported by test\n')).toBe(true);
  expect(text).toContain('#   - cni.flannel: because');
  expect(parse(text).kind).toBe('Cluster');
});
