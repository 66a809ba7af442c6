/**
 * A kubespray inventory directory → an inventory, best effort: the hosts file (hosts.yaml / inventory.yml, the YAML
 * form; hosts of a group may be a mapping or, as in kubespray's inventory/sample/inventory.yml, a whitespace list) and
 * the common settings of group_vars (all/, k8s_cluster/ or k8s-cluster/). Templated values ("{{ … }}") are not
 * evaluated. Every set variable import does not use is named as not carried over.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { type Imported, note, sharedEndpoint } from './imported.js';

type Vars = Record<string, unknown>;
interface Group {
  hosts?: Record<string, Vars | null> | string | null;
  vars?: Vars | null;
  children?: Record<string, Group | null> | null;
}

const CONTROL_PLANE_GROUPS = ['kube_control_plane', 'kube-master', 'kube_master'];
const WORKER_GROUPS = ['kube_node', 'kube-node'];
const USED = new Set([
  'kube_version',
  'kube_pods_subnet',
  'kube_service_addresses',
  'dns_domain',
  'cluster_name',
  'kube_proxy_mode',
  'container_manager',
  'kube_network_plugin',
  'supplementary_addresses_in_ssl_keys',
  'loadbalancer_apiserver',
  'apiserver_loadbalancer_domain_name',
  'kubelet_max_pods',
  'flannel_backend_type',
  'flannel_interface',
  'containerd_registries_mirrors',
  'kube_image_repo',
  'ansible_user',
]);

const templated = (v: unknown) => typeof v === 'string' && v.includes('{{');
const hostNames = (h: Group['hosts']): string[] => (typeof h === 'string' ? h.split(/\s+/).filter(Boolean) : Object.keys(h ?? {}));

/** Every group of the tree by name (children flattened), with the hosts declared in it or its children. */
function groups(root: Group): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const walk = (name: string, g: Group | null): Set<string> => {
    const set = new Set(hostNames(g?.hosts ?? null));
    for (const [child, cg] of Object.entries(g?.children ?? {})) for (const h of walk(child, cg)) set.add(h);
    out.set(name, new Set([...(out.get(name) ?? []), ...set]));
    return set;
  };
  walk('all', root);
  return out;
}

/** Host variables wherever a host is declared with a mapping. */
function hostVars(root: Group): Map<string, Vars> {
  const out = new Map<string, Vars>();
  const walk = (g: Group | null) => {
    if (g?.hosts && typeof g.hosts === 'object') for (const [h, v] of Object.entries(g.hosts)) out.set(h, { ...out.get(h), ...(v ?? {}) });
    for (const c of Object.values(g?.children ?? {})) walk(c);
  };
  walk(root);
  return out;
}

function yamlFiles(dir: string): Vars {
  if (!existsSync(dir)) return {};
  const files = readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
  return Object.assign({}, ...files.map((f) => (parse(readFileSync(join(dir, f), 'utf8')) ?? {}) as Vars));
}

/** group_vars in Ansible's order: all, then the cluster group (group_vars files override the hosts file's vars). */
export function kubesprayVars(dir: string, inventoryVars: Vars): Vars {
  const gv = join(dir, 'group_vars');
  const cluster = ['k8s_cluster', 'k8s-cluster'].map((g) => join(gv, g)).find((p) => existsSync(p));
  return { ...inventoryVars, ...yamlFiles(join(gv, 'all')), ...(cluster ? yamlFiles(cluster) : {}) };
}

export function readKubesprayHosts(dir: string): { file: string; root: Group } {
  const file = ['hosts.yaml', 'hosts.yml', 'inventory.yaml', 'inventory.yml'].map((f) => join(dir, f)).find((f) => existsSync(f));
  if (!file)
    throw new Error(`${dir}: no hosts.yaml or inventory.yml (the INI form is not read; convert it with ansible-inventory --list -y)`);
  const doc = parse(readFileSync(file, 'utf8')) as { all?: Group } | null;
  if (!doc?.all) throw new Error(`${file}: expected a YAML inventory with a top-level "all" group`);
  return { file, root: doc.all };
}

function hostsFrom(root: Group, r: Imported): Record<string, unknown>[] {
  const g = groups(root);
  const vars = hostVars(root);
  const members = (names: string[]) => new Set(names.flatMap((n) => [...(g.get(n) ?? [])]));
  const cps = members(CONTROL_PLANE_GROUPS);
  const workers = members(WORKER_GROUPS);
  const etcdOnly = [...(g.get('etcd') ?? [])].filter((h) => !cps.has(h));
  if (etcdOnly.length)
    r.notCarried.push(`etcd hosts that are not control planes (${etcdOnly.join(', ')}): kubesmith runs etcd on the control planes`);
  return [...new Set([...cps, ...workers])].map((name, i) => {
    const v = vars.get(name) ?? {};
    const address = String(v.ansible_host ?? v.ip ?? name);
    const ip = v.ip && String(v.ip) !== address ? { internalAddress: String(v.ip) } : {};
    note(r, ['spec', 'hosts', i], `${name}: ansible_host${v.ip ? ', ip' : ''} of the hosts file`);
    const roles = [...(cps.has(name) ? ['control-plane'] : []), ...(workers.has(name) ? ['worker'] : [])];
    return { name, address, ...ip, roles };
  });
}

function endpointFrom(v: Vars): string | undefined {
  const lb = v.loadbalancer_apiserver as { address?: string; port?: number } | undefined;
  if (!lb?.address || templated(lb.address)) return undefined;
  const name = v.apiserver_loadbalancer_domain_name;
  return `${typeof name === 'string' && !templated(name) ? name : lb.address}:${lb.port ?? 6443}`;
}

function mirrorsFrom(v: Vars): Record<string, string[]> {
  const list = (v.containerd_registries_mirrors ?? []) as { prefix?: string; mirrors?: { host?: string }[] }[];
  const out: Record<string, string[]> = {};
  for (const m of Array.isArray(list) ? list : []) {
    const hosts = (m.mirrors ?? []).map((x) => String(x.host ?? '')).filter((h) => /^https?:\/\//.test(h));
    if (m.prefix && hosts.length) out[m.prefix] = hosts;
  }
  return out;
}

function kubernetesFrom(v: Vars, r: Imported): Record<string, unknown> {
  const k: Record<string, unknown> = {};
  const set = (key: string, value: unknown, from: string) => {
    if (value === undefined || value === null || value === '' || templated(value)) return;
    k[key] = value;
    note(r, ['spec', 'kubernetes', key], `kubespray ${from}`);
  };
  set('version', typeof v.kube_version === 'string' ? v.kube_version.replace(/^v/, '') : undefined, 'kube_version');
  set('controlPlaneEndpoint', endpointFrom(v), 'loadbalancer_apiserver / apiserver_loadbalancer_domain_name');
  set('imageRepository', v.kube_image_repo, 'kube_image_repo');
  set('podSubnet', v.kube_pods_subnet, 'kube_pods_subnet');
  set('serviceSubnet', v.kube_service_addresses, 'kube_service_addresses');
  set('dnsDomain', templated(v.dns_domain) || v.dns_domain === undefined ? v.cluster_name : v.dns_domain, 'dns_domain (cluster_name)');
  set('proxyMode', ['iptables', 'ipvs', 'nftables'].includes(String(v.kube_proxy_mode)) ? v.kube_proxy_mode : undefined, 'kube_proxy_mode');
  const sans = v.supplementary_addresses_in_ssl_keys;
  if (Array.isArray(sans) && sans.length) set('certSANs', sans.map(String), 'supplementary_addresses_in_ssl_keys');
  if (v.kube_version === undefined) r.notCarried.push("kube_version is not set in the inventory: the version is kubesmith's default");
  return k;
}

function runtimeAndNetwork(v: Vars, r: Imported): { containerRuntime: Record<string, unknown>; network: Record<string, unknown> } {
  const cm = String(v.container_manager ?? 'containerd');
  if (!['containerd', 'docker'].includes(cm)) r.notCarried.push(`container_manager ${cm} (kubesmith runs containerd or Docker)`);
  const mirrors = mirrorsFrom(v);
  const containerRuntime = {
    type: cm === 'docker' ? 'docker' : 'containerd',
    ...(Object.keys(mirrors).length ? { registryMirrors: mirrors } : {}),
  };
  note(r, ['spec', 'containerRuntime'], 'kubespray container_manager, containerd_registries_mirrors');
  const plugin = String(v.kube_network_plugin ?? 'calico');
  note(r, ['spec', 'network'], `kubespray kube_network_plugin (${plugin})`);
  if (plugin === 'flannel') {
    const backend = String(v.flannel_backend_type ?? 'vxlan');
    const iface = v.flannel_interface && !templated(v.flannel_interface) ? { iface: String(v.flannel_interface) } : {};
    return {
      containerRuntime,
      network: { plugin, flannel: { ...(['vxlan', 'host-gw', 'wireguard'].includes(backend) ? { backend } : {}), ...iface } },
    };
  }
  if (plugin === 'cilium') return { containerRuntime, network: { plugin } };
  r.notCarried.push(`kube_network_plugin ${plugin} (kubesmith manages flannel and cilium): network.plugin none`);
  return { containerRuntime, network: { plugin: 'none' } };
}

export function inventoryFromKubespray(dir: string, ssh: Record<string, unknown>): Imported {
  const r: Imported = { data: {}, notes: [], notCarried: [], deliberate: [] };
  const { file, root } = readKubesprayHosts(dir);
  const v = kubesprayVars(dir, root.vars ?? {});
  const hosts = hostsFrom(root, r);
  if (!hosts.length) throw new Error(`${file}: no host in kube_control_plane (kube-master) or kube_node (kube-node)`);
  const kubernetes = kubernetesFrom(v, r);
  sharedEndpoint(r, hosts as { address: string; roles: string[] }[], kubernetes, 'kubespray nginx-proxy on every node');
  const spec: Record<string, unknown> = {
    ssh: { ...(typeof v.ansible_user === 'string' && !templated(v.ansible_user) ? { user: v.ansible_user } : {}), ...ssh },
    hosts,
    kubernetes,
    ...runtimeAndNetwork(v, r),
    ...(typeof v.kubelet_max_pods === 'number' ? { kubelet: { maxPods: v.kubelet_max_pods } } : {}),
  };
  const unused = Object.keys(v).filter((k) => !USED.has(k) && v[k] !== undefined && v[k] !== null);
  if (unused.length) r.notCarried.push(`${unused.length} other kubespray settings: ${unused.sort().join(', ')}`);
  r.data = { apiVersion: 'kubesmith.io/v1alpha1', kind: 'Cluster', metadata: { name: 'kubespray' }, spec };
  note(r, ['metadata'], `from the kubespray inventory ${file}`);
  return r;
}
