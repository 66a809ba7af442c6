import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse } from 'yaml';
import * as r from '../../../src/render/index.js';
import { haHosts, hostsOf, makeInventory } from '../tasks/helpers/inventory.js';
import { decodeConfig } from '../../lab/emulators/src/kube/kubeadm-config.js';
import { defaultClusterConfiguration, pkiContext } from '../../lab/emulators/src/kube/kubeadm-common.js';

const golden = (name: string) => `./__golden__/${name}`;

describe('golden templates', () => {
  const single = makeInventory();
  const singleHosts = hostsOf(single);
  const ha = makeInventory(
    {
      kubernetes: {
        version: '1.34.1',
        controlPlaneEndpoint: 'k8s-api.example.internal:6443',
        certSANs: ['10.0.0.100'],
        proxyMode: 'ipvs',
        loadBalancer: { type: 'kube-vip', vip: '10.0.0.100', interface: 'eth1' },
      },
      containerRuntime: {
        registryMirrors: { 'docker.io': ['https://mirror.example', 'https://m2.example'], 'registry.k8s.io': ['https://k8s.mirror'] },
        insecureRegistries: ['reg.local:5000'],
      },
      network: { plugin: 'flannel', flannel: { backend: 'vxlan', directRouting: true, iface: 'eth1' } },
    },
    haHosts(),
  );
  const haH = hostsOf(ha);

  it('kubeadm v1beta4 (single control plane)', async () => {
    const out = r.renderKubeadmInit(single, singleHosts.firstControlPlane, singleHosts);
    await expect(out).toMatchFileSnapshot(golden('kubeadm-v1beta4-single.yaml'));
    const docs = parseAllDocuments(out).map((d) => d.toJS());
    expect(docs.map((d) => d.kind)).toEqual([
      'InitConfiguration',
      'ClusterConfiguration',
      'KubeletConfiguration',
      'KubeProxyConfiguration',
    ]);
    expect(docs[0].nodeRegistration.kubeletExtraArgs).toEqual([{ name: 'node-ip', value: '10.199.0.10' }]);
    expect(docs[1].controlPlaneEndpoint).toBeUndefined();
    expect(docs[2].cgroupDriver).toBe('systemd');
  });

  it('kubeadm v1beta4 (HA, kube-vip, ipvs)', async () => {
    const out = r.renderKubeadmInit(ha, haH.firstControlPlane, haH);
    await expect(out).toMatchFileSnapshot(golden('kubeadm-v1beta4-ha.yaml'));
    const [init, cluster, , proxy] = parseAllDocuments(out).map((d) => d.toJS());
    expect(init.localAPIEndpoint.advertiseAddress).toBe('10.0.0.11');
    expect(cluster.controlPlaneEndpoint).toBe('k8s-api.example.internal:6443');
    expect(cluster.apiServer.certSANs).toEqual(
      expect.arrayContaining(['10.0.0.100', 'k8s-api.example.internal', 'cp2', '10.0.0.13', '192.168.1.17']),
    );
    expect(proxy).toMatchObject({ mode: 'ipvs', ipvs: { strictARP: true } });
  });

  it('kubeadm v1beta3 for 1.30 uses maps for extra args', async () => {
    const inv = makeInventory({ kubernetes: { version: '1.30.4' } });
    const h = hostsOf(inv);
    const out = r.renderKubeadmInit(inv, h.firstControlPlane, h);
    await expect(out).toMatchFileSnapshot(golden('kubeadm-v1beta3.yaml'));
    const [init, cluster] = parseAllDocuments(out).map((d) => d.toJS());
    expect(init.apiVersion).toBe('kubeadm.k8s.io/v1beta3');
    expect(init.nodeRegistration.kubeletExtraArgs).toEqual({ 'node-ip': '10.199.0.10' });
    expect(cluster.kubernetesVersion).toBe('v1.30.4');
  });

  it('cilium with kube-proxy replacement skips the kube-proxy addon', () => {
    const inv = makeInventory({ network: { plugin: 'cilium', cilium: { kubeProxyReplacement: true } } });
    const h = hostsOf(inv);
    const [init] = parseAllDocuments(r.renderKubeadmInit(inv, h.firstControlPlane, h)).map((d) => d.toJS());
    expect(init.skipPhases).toEqual(['addon/kube-proxy']);
  });

  it('join configurations (worker and control plane, v1beta4 and v1beta3)', async () => {
    const join = { token: 'abcdef.0123456789abcdef', caCertHash: 'sha256:' + 'a'.repeat(64) };
    const w = r.renderKubeadmJoin(ha, haH.byName('w1')!, haH, join);
    await expect(w).toMatchFileSnapshot(golden('join-v1beta4-worker.yaml'));
    expect(parse(w).controlPlane).toBeUndefined();
    const cp = r.renderKubeadmJoin(ha, haH.byName('cp2')!, haH, { ...join, certificateKey: 'f'.repeat(64) });
    await expect(cp).toMatchFileSnapshot(golden('join-v1beta4-cp.yaml'));
    expect(parse(cp).controlPlane).toEqual({
      localAPIEndpoint: { advertiseAddress: '10.0.0.12', bindPort: 6443 },
      certificateKey: 'f'.repeat(64),
    });
    const old = makeInventory({ kubernetes: { version: '1.29.9' } });
    const oh = hostsOf(old);
    const w3 = r.renderKubeadmJoin(old, oh.byName('w1')!, oh, join);
    await expect(w3).toMatchFileSnapshot(golden('join-v1beta3-worker.yaml'));
    expect(parse(w3).discovery.bootstrapToken.apiServerEndpoint).toBe('10.199.0.10:6443');
  });

  it('node registration and kubelet settings: labels, taints, schedulable control planes, KubeletConfiguration', async () => {
    const inv = makeInventory(
      {
        controlPlane: { schedulable: true },
        kubelet: {
          maxPods: 64,
          systemReserved: { cpu: '500m', memory: '512Mi' },
          kubeReserved: { memory: '256Mi', 'ephemeral-storage': '1Gi' },
          evictionHard: { 'memory.available': '300Mi' },
          extraArgs: { v: '2', 'image-gc-high-threshold': '80' },
        },
      },
      [
        {
          name: 'cp1',
          address: '10.199.0.10',
          roles: ['control-plane'],
          labels: { 'node-role.kubernetes.io/ingress': '', 'example.com/rack': 'r1' },
        },
        {
          name: 'w1',
          address: '10.199.0.11',
          roles: ['worker'],
          labels: { disk: 'ssd', 'node.kubernetes.io/pool': 'gpu' },
          taints: [{ key: 'example.com/gpu', value: 'true', effect: 'NoSchedule' }],
        },
      ],
    );
    const h = hostsOf(inv);
    const out = r.renderKubeadmInit(inv, h.firstControlPlane, h);
    await expect(out).toMatchFileSnapshot(golden('kubeadm-v1beta4-node-settings.yaml'));
    const [init, , kubelet] = parseAllDocuments(out).map((d) => d.toJS());
    // the kubelet may not set node-role.kubernetes.io/* itself: that label is left to kubectl
    expect(init.nodeRegistration.kubeletExtraArgs).toEqual([
      { name: 'node-ip', value: '10.199.0.10' },
      { name: 'node-labels', value: 'example.com/rack=r1' },
      { name: 'image-gc-high-threshold', value: '80' },
      { name: 'v', value: '2' },
    ]);
    expect(init.nodeRegistration.taints).toEqual([]);
    expect(kubelet).toMatchObject({
      maxPods: 64,
      systemReserved: { cpu: '500m', memory: '512Mi' },
      kubeReserved: { memory: '256Mi', 'ephemeral-storage': '1Gi' },
      evictionHard: {
        'memory.available': '300Mi',
        'nodefs.available': '10%',
        'nodefs.inodesFree': '5%',
        'imagefs.available': '15%',
        'imagefs.inodesFree': '5%',
      },
    });
    const join = parse(
      r.renderKubeadmJoin(inv, h.byName('w1')!, h, { token: 'abcdef.0123456789abcdef', caCertHash: 'sha256:' + 'a'.repeat(64) }),
    );
    expect(join.nodeRegistration.taints).toEqual([{ key: 'example.com/gpu', value: 'true', effect: 'NoSchedule' }]);
    expect(join.nodeRegistration.kubeletExtraArgs).toContainEqual({ name: 'node-labels', value: 'disk=ssd,node.kubernetes.io/pool=gpu' });
    const old = makeInventory({ kubernetes: { version: '1.30.4' }, kubelet: { maxPods: 30 } });
    const oh = hostsOf(old);
    const [oldInit, , oldKubelet] = parseAllDocuments(r.renderKubeadmInit(old, oh.firstControlPlane, oh)).map((d) => d.toJS());
    expect(oldInit.nodeRegistration.taints).toEqual([{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }]);
    expect(oldKubelet.maxPods).toBe(30);
    expect(oldKubelet.evictionHard).toBeUndefined();
  });

  it('containerd config v2 and v3 with the pause image kubeadm wants', async () => {
    const v2 = r.renderContainerdConfig(single, '1.7.24');
    await expect(v2).toMatchFileSnapshot(golden('containerd-config-v2.toml'));
    expect(v2).toContain('sandbox_image = "registry.k8s.io/pause:3.10.1"');
    const v3 = r.renderContainerdConfig(
      makeInventory({ kubernetes: { version: '1.36.0', imageRepository: 'registry.aliyuncs.com/google_containers' } }),
      '2.2.1',
    );
    await expect(v3).toMatchFileSnapshot(golden('containerd-config-v3.toml'));
    expect(v3).toContain('sandbox = "registry.aliyuncs.com/google_containers/pause:3.10.2"');
    expect(v3).toContain('SystemdCgroup = true');
  });

  it('registry hosts.toml per mirror and insecure registry', async () => {
    const files = r.renderRegistryHosts(ha);
    expect([...files.keys()]).toEqual([
      '/etc/containerd/certs.d/docker.io/hosts.toml',
      '/etc/containerd/certs.d/registry.k8s.io/hosts.toml',
      '/etc/containerd/certs.d/reg.local:5000/hosts.toml',
    ]);
    await expect(files.get('/etc/containerd/certs.d/docker.io/hosts.toml')).toMatchFileSnapshot(golden('hosts-docker.io.toml'));
    await expect(files.get('/etc/containerd/certs.d/reg.local:5000/hosts.toml')).toMatchFileSnapshot(golden('hosts-insecure.toml'));
    expect(r.renderRegistryHosts(single).size).toBe(0);
  });

  it('crictl, docker daemon.json, cri-dockerd drop-in', async () => {
    await expect(r.renderCrictl(single)).toMatchFileSnapshot(golden('crictl.yaml'));
    const docker = makeInventory({ containerRuntime: { type: 'docker', registryMirrors: { 'docker.io': ['https://mirror.example'] } } });
    expect(parse(r.renderCrictl(docker))['runtime-endpoint']).toBe('unix:///var/run/cri-dockerd.sock');
    const daemon = r.renderDockerDaemon(docker);
    await expect(daemon).toMatchFileSnapshot(golden('docker-daemon.json'));
    expect(JSON.parse(daemon)).toMatchObject({
      'exec-opts': ['native.cgroupdriver=systemd'],
      'registry-mirrors': ['https://mirror.example'],
    });
    await expect(r.renderCriDockerDropIn(docker)).toMatchFileSnapshot(golden('cri-docker.conf'));
  });

  it('sysctl and modules-load', async () => {
    await expect(r.renderSysctl()).toMatchFileSnapshot(golden('sysctl-k8s.conf'));
    await expect(r.renderModules(single)).toMatchFileSnapshot(golden('modules-k8s.conf'));
    expect(r.renderModules(ha)).toContain('\nip_vs_rr\n');
  });

  it('flannel manifest: net-conf from the inventory, pinned images, --iface', async () => {
    const out = r.renderFlannel(ha);
    await expect(out).toMatchFileSnapshot(golden('kube-flannel.yaml'));
    const docs = parseAllDocuments(out).map((d) => d.toJS());
    expect(docs.map((d) => d.kind)).toEqual(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'ServiceAccount', 'ConfigMap', 'DaemonSet']);
    const net = JSON.parse(docs[4].data['net-conf.json']);
    expect(net).toEqual({ Network: '10.244.0.0/16', EnableNFTables: false, Backend: { Type: 'vxlan', DirectRouting: true } });
    JSON.parse(docs[4].data['cni-conf.json']);
    const pod = docs[5].spec.template.spec;
    expect(pod.containers[0].image).toBe('ghcr.io/flannel-io/flannel:v0.28.9');
    expect(pod.initContainers[0].image).toBe('ghcr.io/flannel-io/flannel-cni-plugin:v1.9.1-flannel3');
    expect(pod.containers[0].args).toContain('--iface=eth1');
    const hostgw = makeInventory({
      network: { plugin: 'flannel', flannel: { backend: 'host-gw' } },
      kubernetes: { podSubnet: '10.32.0.0/16' },
    });
    const cm = parseAllDocuments(r.renderFlannel(hostgw))[4]!.toJS();
    expect(JSON.parse(cm.data['net-conf.json'])).toMatchObject({ Network: '10.32.0.0/16', Backend: { Type: 'host-gw' } });
  });

  it('cilium values and kube-vip manifest', async () => {
    const inv = makeInventory(
      {
        kubernetes: { controlPlaneEndpoint: '10.0.0.100:6443', loadBalancer: { type: 'kube-vip', vip: '10.0.0.100' } },
        network: { plugin: 'cilium', cilium: { kubeProxyReplacement: true } },
      },
      haHosts(),
    );
    const h = hostsOf(inv);
    const values = r.renderCiliumValues(inv, h);
    await expect(values).toMatchFileSnapshot(golden('cilium-values.yaml'));
    expect(parse(values)).toMatchObject({
      ipam: { mode: 'kubernetes' },
      kubeProxyReplacement: true,
      k8sServiceHost: '10.0.0.100',
      k8sServicePort: 6443,
    });
    const initVip = r.renderKubeVip(inv, h.firstControlPlane, h, false);
    await expect(initVip).toMatchFileSnapshot(golden('kube-vip-init.yaml'));
    expect(parse(initVip).spec.volumes[0].hostPath.path).toBe('/etc/kubernetes/super-admin.conf');
    expect(parse(r.renderKubeVip(inv, h.firstControlPlane, h, true)).spec.volumes[0].hostPath.path).toBe('/etc/kubernetes/admin.conf');
    expect(parse(r.renderKubeVip(inv, h.byName('cp2')!, h, false)).spec.volumes[0].hostPath.path).toBe('/etc/kubernetes/admin.conf');
  });
  describe('dual-stack (IPv4-primary)', () => {
    const dualHosts = [
      { name: 'cp1', address: '10.199.0.10', address6: 'fd00:199::10', roles: ['control-plane'] },
      { name: 'w1', address: '10.199.0.11', address6: 'fd00:199::11', roles: ['worker'] },
    ];
    const networking = { podSubnet: '10.244.0.0/16,fd00:10:244::/56', serviceSubnet: '10.96.0.0/12,fd00:10:96::/112' };
    const dual = makeInventory({ kubernetes: networking }, dualHosts);
    const dh = hostsOf(dual);

    it('kubeadm init: comma-separated subnets, node-ip of both families, IPv4 advertise address', async () => {
      const out = r.renderKubeadmInit(dual, dh.firstControlPlane, dh);
      await expect(out).toMatchFileSnapshot(golden('kubeadm-v1beta4-dualstack.yaml'));
      const [init, cluster] = parseAllDocuments(out).map((d) => d.toJS());
      expect(cluster.networking).toMatchObject(networking);
      expect(init.nodeRegistration.kubeletExtraArgs).toEqual([{ name: 'node-ip', value: '10.199.0.10,fd00:199::10' }]);
      expect(init.localAPIEndpoint.advertiseAddress).toBe('10.199.0.10');
      expect(cluster.apiServer.certSANs).toContain('fd00:199::10');
    });

    it('kubeadm join (v1beta4 and the v1beta3 map form) carry both node IPs', () => {
      const join = { token: 'abcdef.0123456789abcdef', caCertHash: 'sha256:' + 'a'.repeat(64) };
      expect(parse(r.renderKubeadmJoin(dual, dh.byName('w1')!, dh, join)).nodeRegistration.kubeletExtraArgs).toEqual([
        { name: 'node-ip', value: '10.199.0.11,fd00:199::11' },
      ]);
      const old = makeInventory({ kubernetes: { ...networking, version: '1.30.4' } }, dualHosts);
      const oh = hostsOf(old);
      expect(parse(r.renderKubeadmJoin(old, oh.byName('w1')!, oh, join)).nodeRegistration.kubeletExtraArgs).toEqual({
        'node-ip': '10.199.0.11,fd00:199::11',
      });
      const [init] = parseAllDocuments(r.renderKubeadmInit(old, oh.firstControlPlane, oh)).map((d) => d.toJS());
      expect(init.nodeRegistration.kubeletExtraArgs).toEqual({ 'node-ip': '10.199.0.10,fd00:199::10' });
    });

    it('flannel net-conf.json: Network is the IPv4 CIDR, EnableIPv6 with IPv6Network', async () => {
      const out = r.renderFlannel(dual);
      await expect(out).toMatchFileSnapshot(golden('kube-flannel-dualstack.yaml'));
      const cm = parseAllDocuments(out)[4]!.toJS();
      expect(JSON.parse(cm.data['net-conf.json'])).toEqual({
        Network: '10.244.0.0/16',
        EnableIPv6: true,
        IPv6Network: 'fd00:10:244::/56',
        EnableNFTables: false,
        Backend: { Type: 'vxlan' },
      });
      // single-stack stays as it was: no IPv6 keys at all
      const single4 = JSON.parse(parseAllDocuments(r.renderFlannel(single))[4]!.toJS().data['net-conf.json']);
      expect(Object.keys(single4)).toEqual(['Network', 'EnableNFTables', 'Backend']);
    });

    it('cilium values enable both families; single-stack enables IPv4 only', async () => {
      const inv = makeInventory({ kubernetes: networking, network: { plugin: 'cilium' } }, dualHosts);
      const values = r.renderCiliumValues(inv, hostsOf(inv));
      await expect(values).toMatchFileSnapshot(golden('cilium-values-dualstack.yaml'));
      expect(parse(values)).toMatchObject({ ipam: { mode: 'kubernetes' }, ipv4: { enabled: true }, ipv6: { enabled: true } });
      const v4 = makeInventory({ network: { plugin: 'cilium' } });
      expect(parse(r.renderCiliumValues(v4, hostsOf(v4)))).toMatchObject({ ipv4: { enabled: true }, ipv6: { enabled: false } });
    });

    it('sysctl adds IPv6 forwarding only for dual-stack', async () => {
      const out = r.renderSysctl(dual);
      await expect(out).toMatchFileSnapshot(golden('sysctl-k8s-dualstack.conf'));
      expect(out).toContain('net.ipv6.conf.all.forwarding = 1');
      expect(r.renderSysctl(single)).toBe(r.renderSysctl());
      expect(r.renderSysctl(single)).not.toContain('ipv6');
    });
  });
});

describe('kubeadm v1beta4 with chosen certificate validity (spec.certificates)', () => {
  const inv = makeInventory({ certificates: { validity: '2000h', caValidity: '43800h' } });
  const h = hostsOf(inv);

  it('renders certificateValidityPeriod and caCertificateValidityPeriod into ClusterConfiguration as kubeadm writes them', async () => {
    const out = r.renderKubeadmInit(inv, h.firstControlPlane, h);
    await expect(out).toMatchFileSnapshot(golden('kubeadm-v1beta4-validity.yaml'));
    const cluster = parseAllDocuments(out)
      .map((d) => d.toJS())
      .find((d) => d.kind === 'ClusterConfiguration');
    expect(cluster).toMatchObject({ certificateValidityPeriod: '2000h0m0s', caCertificateValidityPeriod: '43800h0m0s' });
    // kubeadm's defaults are kubeadm's: nothing rendered when the fields are unset
    expect(r.renderKubeadmInit(makeInventory(), h.firstControlPlane, h)).not.toMatch(/ValidityPeriod/);
  });

  it("the lab's kubeadm decodes them without warnings and issues certificates for that long", () => {
    const decoded = decodeConfig(r.renderKubeadmInit(inv, h.firstControlPlane, h));
    expect(decoded.warnings).toEqual([]);
    const ctx = pkiContext(defaultClusterConfiguration(decoded.docs.get('ClusterConfiguration')!, 'v1.34.1'), {
      name: 'cp1',
      address: '10.199.0.10',
      bindPort: 6443,
    });
    expect(ctx.validityMs).toBe(2000 * 3600_000);
    expect(ctx.caValidityMs).toBe(43800 * 3600_000);
  });
});
