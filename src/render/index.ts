/**
 * Rendering entry points: one function per file kubesmith writes, template + view model → text.
 */
import { readFileSync } from 'node:fs';
import { join, extname } from 'node:path';
import { packageRoot } from '../engine/paths.js';
import type { Inventory } from '../inventory/schema.js';
import type { Host, Hosts } from '../model/host.js';
import { containerdConfigVersion } from '../data/versions.js';
import { derived } from '../inventory/derived.js';
import { renderTemplate, type TemplateFormat } from './template.js';
import * as views from './views.js';

/** The templates/ directory of the installed package (src/ under vitest, dist/, or the single executable's files). */
export function templatesDir(): string {
  return join(packageRoot(), 'templates');
}

const cache = new Map<string, string>();

function formatOf(name: string): TemplateFormat {
  const ext = extname(name);
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  if (ext === '.json') return 'json';
  if (ext === '.toml') return 'toml';
  return 'text';
}

/** Render templates/<name> with a view. */
export function render(name: string, view: object): string {
  let source = cache.get(name);
  if (source === undefined) {
    source = readFileSync(join(templatesDir(), name), 'utf8');
    cache.set(name, source);
  }
  return renderTemplate(source, view, formatOf(name), name);
}

/** The kubeadm init configuration; with `secrets`, the transient variant init runs with (token and certificate key). */
export function renderKubeadmInit(inv: Inventory, host: Host, hosts: Hosts, secrets?: views.InitSecrets): string {
  return render(`kubeadm/${derived(inv).kubernetes.kubeadmApiVersion}.yaml`, views.kubeadmInitView(inv, host, hosts, secrets));
}

export function renderKubeadmJoin(
  inv: Inventory,
  host: Host,
  hosts: Hosts,
  join: { token: string; caCertHash: string; certificateKey?: string },
): string {
  const api = derived(inv).kubernetes.kubeadmApiVersion;
  return render(`kubeadm/join-${api}.yaml`, views.kubeadmJoinView(inv, host, hosts, join));
}

export function renderContainerdConfig(inv: Inventory, containerdVersion: string): string {
  return render(`containerd/config-v${containerdConfigVersion(containerdVersion)}.toml`, views.containerdView(inv));
}

/** path → content of every certs.d hosts.toml. */
export function renderRegistryHosts(inv: Inventory): Map<string, string> {
  const files = new Map<string, string>();
  for (const view of views.registryHostsViews(inv)) {
    files.set(`${views.REGISTRY_CONFIG_PATH}/${view.dir}/hosts.toml`, render('containerd/hosts.toml', view));
  }
  return files;
}

export const renderCrictl = (inv: Inventory): string => render('crictl/crictl.yaml', views.crictlView(inv));
export const renderDockerDaemon = (inv: Inventory): string => render('docker/daemon.json', views.dockerDaemonView(inv));
export const renderCriDockerDropIn = (inv: Inventory): string =>
  render('docker/cri-docker.conf', { sandboxImage: views.sandboxImage(inv) });
export const renderSysctl = (inv?: Inventory): string => render('sysctl/k8s.conf', views.sysctlView(inv));
export const renderModules = (inv: Inventory): string => render('modules-load/k8s.conf', views.modulesView(inv));
export const renderFlannel = (inv: Inventory): string => render('flannel/kube-flannel.yaml', views.flannelView(inv));
export const renderCiliumValues = (inv: Inventory, hosts: Hosts): string => render('cilium/values.yaml', views.ciliumView(inv, hosts));
export const renderKubeVip = (inv: Inventory, host: Host, hosts: Hosts, clusterInitialized: boolean): string =>
  render('kube-vip/kube-vip.yaml', views.kubeVipView(inv, host, hosts, clusterInitialized));

/** loadBalancer local: the apiserver proxy's haproxy configuration and its static pod (which carries the config's hash). */
export function renderApiserverProxy(inv: Inventory): { config: string; manifest: string } {
  const config = render('apiserver-proxy/haproxy.cfg', views.apiserverProxyConfigView(inv));
  return { config, manifest: render('apiserver-proxy/apiserver-proxy.yaml', views.apiserverProxyPodView(inv, config)) };
}
