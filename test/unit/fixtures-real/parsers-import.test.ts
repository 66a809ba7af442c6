/** The parsers of `kubesmith import` on the real samples of test/fixtures/real (kubectl -o json, containerd, Docker). */
import { describe, expect, it } from 'vitest';
import {
  argValue,
  configMapData,
  configMapYaml,
  imageVersion,
  parseDaemonSets,
  parseNodes,
  type ClusterConfiguration,
} from '../../../src/import/cluster-objects.js';
import { parseContainerdConfig, parseDockerDaemon, parseHostsToml } from '../../../src/import/runtime-config.js';
import { real } from './real.js';

describe('import: cluster objects', () => {
  it('nodes: names, InternalIP, roles, the control-plane taint, and no kubelet-set labels', () => {
    const nodes = parseNodes(real('kubectl', 'get-nodes-o-json.json'));
    expect(nodes.map((n) => [n.name, n.internalIP, n.controlPlane, n.controlPlaneTaint])).toEqual([
      ['cp1', '10.199.0.11', true, true],
      ['w1', '10.199.0.12', false, false],
    ]);
    expect(nodes[0]!.labels).toEqual({});
    expect(nodes[0]!.taints).toEqual([]);
    expect(nodes[0]!.runtime).toMatch(/^containerd:\/\/\d/);
    expect(nodes[0]!.criSocket).toBe('unix:///var/run/containerd/containerd.sock');
  });

  it('kubeadm-config: ClusterConfiguration with version, subnets, image repository, etcd', () => {
    const cc = configMapYaml<ClusterConfiguration>(
      real('kubectl', 'get-cm-kubeadm-config-runbook-init-o-json.json'),
      'ClusterConfiguration',
    );
    expect(cc).toMatchObject({
      kubernetesVersion: 'v1.34.1',
      imageRepository: 'registry.k8s.io',
      networking: { podSubnet: '10.244.0.0/16', serviceSubnet: '10.96.0.0/12', dnsDomain: 'cluster.local' },
      etcd: { local: { dataDir: '/var/lib/etcd' } },
    });
    expect(cc?.controlPlaneEndpoint).toBeUndefined();
  });

  it('kubelet-config and kube-proxy: the component configurations kubeadm stores', () => {
    const kubelet = configMapYaml(real('kubectl', 'get-cm-kubelet-config-o-json.json'), 'kubelet');
    expect(kubelet).toMatchObject({ kind: 'KubeletConfiguration', cgroupDriver: 'systemd', maxPods: 200 });
    const proxy = configMapYaml<{ mode?: string }>(real('kubectl', 'get-cm-kube-proxy-v1.34-defaults-o-json.json'), 'config.conf');
    expect(proxy?.mode).toBe('ipvs');
    expect(configMapYaml(real('kubectl', 'get-cm-kube-proxy-v1.34-defaults-o-json.json'), 'absent')).toBeUndefined();
  });

  it('DaemonSets and the flannel ConfigMap: image version, --iface, net-conf', () => {
    const sets = parseDaemonSets(real('kubectl', 'get-ds-all-namespaces-o-json.json'));
    expect(sets.map((d) => `${d.namespace}/${d.name}`)).toEqual(['kube-flannel/kube-flannel-ds', 'kube-system/kube-proxy']);
    const flannel = sets[0]!.containers[0]!;
    expect(imageVersion(flannel.image)).toBe('0.28.0');
    expect(argValue([...flannel.command, ...flannel.args], 'iface')).toBe('eth1');
    expect(argValue(['--iface', 'ens32'], 'iface')).toBe('ens32');
    expect(argValue(['--ip-masq'], 'iface')).toBeUndefined();
    const net = JSON.parse(configMapData(real('kubectl', 'get-cm-kube-flannel-cfg-o-json.json'))!['net-conf.json']!);
    expect(net).toMatchObject({ Network: '10.244.0.0/16', Backend: { Type: 'vxlan' } });
  });

  it('image versions: tags with v, digests pinned, untagged', () => {
    expect(imageVersion('docker.io/flannel/flannel:v0.26.1@sha256:' + 'a'.repeat(64))).toBe('0.26.1');
    expect(imageVersion('quay.io/cilium/cilium:v1.19.4')).toBe('1.19.4');
    expect(imageVersion('registry:5000/flannel')).toBeUndefined();
  });
});

describe('import: runtime configuration', () => {
  it("containerd's default config (1.6): SystemdCgroup false, its sandbox image, no config_path", () => {
    const c = parseContainerdConfig(real('containerd', 'config-default.toml'));
    expect(c).toEqual({ systemdCgroup: false, sandboxImage: 'registry.k8s.io/pause:3.6', legacyMirrors: {} });
  });

  it('legacy CRI registry.mirrors tables', () => {
    expect(parseContainerdConfig(real('containerd', 'config-legacy-mirrors.toml')).legacyMirrors).toEqual({
      'docker.io': ['http://172.17.0.1:5000'],
    });
  });

  it('certs.d hosts.toml: server and mirrors in order, nested header tables ignored', () => {
    expect(parseHostsToml(real('containerd', 'hosts-toml-mirror.toml'))).toEqual({
      server: 'https://docker.io',
      mirrors: [
        { url: 'http://127.0.0.1:65001', skipVerify: false },
        { url: 'https://registry-1.docker.io', skipVerify: false },
      ],
    });
  });

  it("Docker's daemon.json: cgroup driver, mirrors, insecure registries", () => {
    expect(parseDockerDaemon(real('docker', 'daemon-json-mirror.json'))).toEqual({
      cgroupDriver: 'systemd',
      registryMirrors: ['https://mirror.gcr.io'],
      insecureRegistries: ['10.106.128.17'],
    });
  });
});
