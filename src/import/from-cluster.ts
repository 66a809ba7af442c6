/**
 * A running kubeadm cluster → an inventory (as plain data, before validation), with where each value came from and
 * what could not be carried over. Pure: `gatherCluster` did the reading.
 */
import type { RawCluster } from './gather.js';
import {
  argValue,
  configMapData,
  configMapYaml,
  hasExtraArgs,
  imageVersion,
  parseDaemonSets,
  parseNodes,
  type ClusterConfiguration,
  type ImportedNode,
} from './cluster-objects.js';
import { parseContainerdConfig, parseDockerDaemon, parseHostsToml } from './runtime-config.js';
import { type Imported, note } from './imported.js';

export interface ImportSource {
  address: string;
  user: string;
  keyPath?: string | undefined;
  knownHostsPath?: string | undefined;
  hostKeyPolicy?: 'strict' | 'accept-new' | undefined;
}

const KUBEADM_CM = 'ConfigMap kube-system/kubeadm-config';
const MANAGED_KUBELET = ['maxPods', 'systemReserved', 'kubeReserved', 'evictionHard'] as const;
const vless = (v: string) => v.replace(/^v/, '');

function hostsFrom(nodes: ImportedNode[], r: Imported): Record<string, unknown>[] {
  return nodes.map((n, i) => {
    const at = ['spec', 'hosts', i];
    if (!n.internalIP) r.notCarried.push(`node ${n.name}: no IPv4 InternalIP address; set its address by hand`);
    note(r, at, `node ${n.name} (kubelet ${n.kubeletVersion}, ${n.runtime}): address = its InternalIP`);
    return {
      name: n.name,
      address: n.internalIP ?? n.name,
      ...(n.internalIP6 ? { address6: n.internalIP6 } : {}),
      roles: [n.controlPlane ? 'control-plane' : 'worker'],
      ...(Object.keys(n.labels).length ? { labels: n.labels } : {}),
      ...(n.taints.length ? { taints: n.taints } : {}),
    };
  });
}

function kubernetesFrom(cc: ClusterConfiguration, nodes: ImportedNode[], raw: RawCluster, r: Imported): Record<string, unknown> {
  const at = (k: string) => ['spec', 'kubernetes', k];
  const net = cc.networking ?? {};
  const k: Record<string, unknown> = { version: vless(String(cc.kubernetesVersion ?? nodes[0]?.kubeletVersion ?? '')) };
  note(r, at('version'), `${KUBEADM_CM}: kubernetesVersion ${cc.kubernetesVersion}`);
  const kubelets = [...new Set(nodes.map((n) => vless(n.kubeletVersion)))];
  if (kubelets.some((v) => v !== k.version)) r.notCarried.push(`kubelet versions differ from the control plane's: ${kubelets.join(', ')}`);
  if (cc.controlPlaneEndpoint) {
    k.controlPlaneEndpoint = cc.controlPlaneEndpoint;
    note(r, at('controlPlaneEndpoint'), `${KUBEADM_CM}: controlPlaneEndpoint`);
  } else
    r.notes.push({
      path: at('version'),
      text: 'no controlPlaneEndpoint in kubeadm-config: nodes reach the API at the control plane address',
    });
  for (const [key, from] of [
    ['imageRepository', cc.imageRepository],
    ['podSubnet', net.podSubnet],
    ['serviceSubnet', net.serviceSubnet],
    ['dnsDomain', net.dnsDomain],
  ] as const) {
    if (from === undefined || from === '') continue;
    k[key] = from;
    note(r, at(key), `${KUBEADM_CM}: ${key === 'imageRepository' ? key : `networking.${key}`}`);
  }
  const sans: string[] = cc.apiServer?.certSANs ?? [];
  if (sans.length) {
    k.certSANs = sans;
    note(r, at('certSANs'), `${KUBEADM_CM}: apiServer.certSANs`);
  }
  if (cc.etcd?.external) r.notCarried.push('etcd.external (kubesmith runs stacked etcd only): the inventory describes stacked etcd');
  else if (cc.etcd?.local?.dataDir && cc.etcd.local.dataDir !== '/var/lib/etcd')
    r.notCarried.push(`etcd.local.dataDir ${cc.etcd.local.dataDir} (kubesmith uses /var/lib/etcd)`);
  for (const part of ['apiServer', 'controllerManager', 'scheduler'] as const)
    if (hasExtraArgs(cc[part]?.extraArgs)) r.notCarried.push(`${part}.extraArgs in kubeadm-config`);
  const proxy = configMapYaml<{ mode?: string }>(raw.kubeProxy, 'config.conf');
  const mode = proxy?.mode || 'iptables';
  k.proxyMode = mode;
  note(
    r,
    at('proxyMode'),
    proxy ? 'ConfigMap kube-system/kube-proxy: config.conf mode ("" means iptables)' : 'no kube-proxy ConfigMap: iptables assumed',
  );
  return k;
}

function kubeletFrom(raw: RawCluster, r: Imported): Record<string, unknown> {
  const cfg = configMapYaml<Record<string, unknown>>(raw.kubeletConfig, 'kubelet');
  if (!cfg) {
    r.notCarried.push('kubelet settings: no kube-system/kubelet-config ConfigMap');
    return {};
  }
  const out: Record<string, unknown> = {};
  for (const f of MANAGED_KUBELET) {
    if (cfg[f] === undefined) continue;
    out[f] = cfg[f];
    note(r, ['spec', 'kubelet', f], `ConfigMap kube-system/kubelet-config: ${f}`);
  }
  if (cfg.cgroupDriver && cfg.cgroupDriver !== 'systemd')
    r.notCarried.push(`kubelet cgroupDriver ${cfg.cgroupDriver} (kubesmith uses systemd)`);
  return out;
}

function runtimeFrom(nodes: ImportedNode[], raw: RawCluster, r: Imported): Record<string, unknown> {
  const cp = nodes.find((n) => n.controlPlane) ?? nodes[0];
  const docker = /^docker:/.test(cp?.runtime ?? '') || /cri-dockerd/.test(cp?.criSocket ?? '');
  const out: Record<string, unknown> = { type: docker ? 'docker' : 'containerd' };
  note(
    r,
    ['spec', 'containerRuntime', 'type'],
    `node ${cp?.name}: containerRuntimeVersion ${cp?.runtime}, CRI socket ${cp?.criSocket ?? '?'}`,
  );
  const kinds = new Set(nodes.map((n) => n.runtime.split(':')[0]));
  if (kinds.size > 1) r.notCarried.push(`nodes run different runtimes (${[...kinds].join(', ')}): the inventory has one`);
  const mirrors: Record<string, string[]> = {};
  const insecure: string[] = [];
  if (docker && raw.dockerDaemon) {
    const d = parseDockerDaemon(raw.dockerDaemon);
    if (d.registryMirrors.length) mirrors['docker.io'] = d.registryMirrors;
    insecure.push(...d.insecureRegistries);
  } else if (raw.containerdConfig) {
    const c = parseContainerdConfig(raw.containerdConfig);
    Object.assign(mirrors, c.legacyMirrors);
    for (const [registry, text] of Object.entries(raw.registryHosts)) {
      const h = parseHostsToml(text);
      if (h.mirrors.length) mirrors[registry] = h.mirrors.map((m) => m.url);
      if (h.mirrors.some((m) => m.skipVerify)) insecure.push(registry);
    }
    if (c.systemdCgroup === false) r.notCarried.push('containerd SystemdCgroup = false (kubesmith sets true)');
  }
  for (const [registry, urls] of Object.entries(mirrors)) {
    const usable = urls.filter((u) => /^https?:\/\/[^@/]+(\/|$)/.test(u));
    if (usable.length < urls.length)
      r.notCarried.push(`mirrors of ${registry} that are not plain http(s) URLs: ${urls.length - usable.length}`);
    if (usable.length) mirrors[registry] = usable;
    else delete mirrors[registry];
  }
  if (Object.keys(mirrors).length) {
    out.registryMirrors = mirrors;
    note(
      r,
      ['spec', 'containerRuntime', 'registryMirrors'],
      docker ? '/etc/docker/daemon.json registry-mirrors' : '/etc/containerd/certs.d/*/hosts.toml on the control plane',
    );
  }
  if (insecure.length) out.insecureRegistries = [...new Set(insecure)];
  return out;
}

function networkFrom(raw: RawCluster, r: Imported): Record<string, unknown> {
  const sets = raw.daemonSets ? parseDaemonSets(raw.daemonSets) : [];
  const flannel = sets.find((d) => /flannel/.test(d.name));
  const cilium = sets.find((d) => d.name === 'cilium');
  const at = ['spec', 'network', 'plugin'];
  if (flannel) {
    const c = flannel.containers.find((x) => /flannel/.test(x.image)) ?? flannel.containers[0];
    const conf = JSON.parse(configMapData(raw.flannelConfig)?.['net-conf.json'] ?? '{}') as {
      Backend?: { Type?: string; DirectRouting?: boolean };
    };
    const f: Record<string, unknown> = {};
    const version = c && imageVersion(c.image);
    if (version) f.version = version;
    const backend = conf.Backend?.Type ?? 'vxlan';
    if (['vxlan', 'host-gw', 'wireguard'].includes(backend)) f.backend = backend;
    else r.notCarried.push(`flannel backend ${backend}`);
    if (conf.Backend?.DirectRouting) f.directRouting = true;
    const iface = c && argValue([...c.command, ...c.args], 'iface');
    if (iface) f.iface = iface;
    note(
      r,
      at,
      `DaemonSet ${flannel.namespace}/${flannel.name} (image ${c?.image}); net-conf.json of kube-flannel-cfg; --iface of its args`,
    );
    return { plugin: 'flannel', flannel: f };
  }
  if (cilium) {
    const version = imageVersion(cilium.containers[0]?.image ?? '');
    const kpr = configMapData(raw.ciliumConfig)?.['kube-proxy-replacement'] === 'true';
    note(r, at, `DaemonSet kube-system/cilium (image ${cilium.containers[0]?.image}); ConfigMap cilium-config`);
    return { plugin: 'cilium', cilium: { ...(version ? { version } : {}), kubeProxyReplacement: kpr } };
  }
  const other = sets.find((d) => /calico|weave|canal|kube-router|antrea/.test(d.name));
  r.notCarried.push(
    other ? `CNI ${other.name} (kubesmith manages flannel and cilium): network.plugin none` : 'no CNI DaemonSet found: network.plugin none',
  );
  note(r, at, other ? `DaemonSet ${other.namespace}/${other.name}` : 'no CNI DaemonSet');
  return { plugin: 'none' };
}

export function inventoryFromCluster(raw: RawCluster, source: ImportSource): Imported {
  const r: Imported = { data: {}, notes: [], notCarried: [], deliberate: [] };
  if (!raw.nodes) throw new Error('cannot list the nodes with /etc/kubernetes/admin.conf on the control plane');
  if (!raw.kubeadmConfig) throw new Error('no kube-system/kubeadm-config ConfigMap: this is not a kubeadm cluster');
  const cc = configMapYaml<ClusterConfiguration>(raw.kubeadmConfig, 'ClusterConfiguration') ?? {};
  const nodes = parseNodes(raw.nodes).sort((a, b) => Number(b.controlPlane) - Number(a.controlPlane));
  const cps = nodes.filter((n) => n.controlPlane);
  const spec: Record<string, unknown> = {
    ssh: {
      user: source.user,
      ...(source.keyPath ? { keyPath: source.keyPath } : {}),
      ...(source.knownHostsPath ? { knownHostsPath: source.knownHostsPath } : {}),
      ...(source.hostKeyPolicy ? { hostKeyPolicy: source.hostKeyPolicy } : {}),
    },
    hosts: hostsFrom(nodes, r),
    kubernetes: kubernetesFrom(cc, nodes, raw, r),
    containerRuntime: runtimeFrom(nodes, raw, r),
    network: networkFrom(raw, r),
    hostPrep: { firewall: 'keep', selinux: 'keep', etcHosts: false, setHostname: false },
    controlPlane: { schedulable: cps.length > 0 && cps.every((n) => !n.controlPlaneTaint) },
  };
  const kubelet = kubeletFrom(raw, r);
  if (Object.keys(kubelet).length) spec.kubelet = kubelet;
  note(r, ['spec', 'ssh'], `how import reached ${source.address}; every host is reached the same way`);
  note(r, ['spec', 'hostPrep'], 'imported: the firewall, SELinux mode, /etc/hosts and host names are left as they are');
  note(r, ['spec', 'controlPlane'], 'schedulable when no control plane has the control-plane NoSchedule taint');
  const name = String(cc.clusterName ?? 'kubernetes');
  r.data = { apiVersion: 'kubesmith.io/v1alpha1', kind: 'Cluster', metadata: { name }, spec };
  note(r, ['metadata'], `${KUBEADM_CM}: clusterName`);
  return r;
}
