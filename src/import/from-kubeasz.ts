/**
 * A kubeasz `hosts` file (Ansible INI, as example/hosts.multi-node) → an inventory, best effort: the master and node
 * groups (k8s_nodename as the host name, else the address with dashes), and the [all:vars] main variables. kubeasz
 * installs Kubernetes from binaries, not with kubeadm: the inventory describes the cluster, kubesmith cannot adopt
 * the running one in place.
 */
import { readFileSync } from 'node:fs';
import { type Imported, note, sharedEndpoint } from './imported.js';

interface IniHost {
  address: string;
  vars: Record<string, string>;
}

const unquote = (s: string) => s.replace(/^(["'])(.*)\1$/, '$2');

/** Ansible INI: [group] sections of "host key=value …" lines, [group:vars] sections of "key=value" lines. */
export function parseAnsibleIni(text: string): { groups: Map<string, IniHost[]>; vars: Map<string, Record<string, string>> } {
  const groups = new Map<string, IniHost[]>();
  const vars = new Map<string, Record<string, string>>();
  let section = 'ungrouped';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const head = /^\[([^\]]+)\]$/.exec(line);
    if (head) {
      section = head[1]!;
      continue;
    }
    const pairs = [...line.matchAll(/(\S+?)=("[^"]*"|'[^']*'|\S+)/g)].map((m) => [m[1]!, unquote(m[2]!)] as const);
    if (section.endsWith(':vars')) {
      const g = section.slice(0, -':vars'.length);
      vars.set(g, { ...vars.get(g), ...Object.fromEntries(pairs) });
    } else if (!section.includes(':')) {
      const address = line.split(/\s+/)[0]!;
      groups.set(section, [...(groups.get(section) ?? []), { address, vars: Object.fromEntries(pairs) }]);
    }
  }
  return { groups, vars };
}

const member = (g: Map<string, IniHost[]>, names: string[]) => names.flatMap((n) => g.get(n) ?? []);

function hostsFrom(groups: Map<string, IniHost[]>, r: Imported): { name: string; address: string; roles: string[] }[] {
  const masters = member(groups, ['kube_master', 'kube-master']);
  const nodes = member(groups, ['kube_node', 'kube-node']);
  const etcdOnly = member(groups, ['etcd']).filter((e) => !masters.some((m) => m.address === e.address));
  if (etcdOnly.length) r.notCarried.push(`etcd hosts that are not masters (${etcdOnly.map((e) => e.address).join(', ')})`);
  const all = [...masters.map((h) => ({ h, role: 'control-plane' })), ...nodes.map((h) => ({ h, role: 'worker' }))];
  const byAddress = new Map<string, { name: string; address: string; roles: string[] }>();
  for (const { h, role } of all) {
    const named = h.vars.k8s_nodename;
    const name = named || h.address.toLowerCase().replace(/[^a-z0-9-]/g, '-');
    const prev = byAddress.get(h.address);
    if (prev) prev.roles.push(role);
    else byAddress.set(h.address, { name, address: h.address, roles: [role] });
    if (!named && !prev) r.notCarried.push(`${h.address} has no k8s_nodename: named ${name} here; kubeasz names that node ${h.address}`);
  }
  const hosts = [...byAddress.values()];
  hosts.forEach((h, i) =>
    note(r, ['spec', 'hosts', i], `${h.address}: [${h.roles.includes('control-plane') ? 'kube_master' : 'kube_node'}] of the hosts file`),
  );
  return hosts;
}

function specFrom(v: Record<string, string>, lb: IniHost | undefined, r: Imported): Record<string, Record<string, unknown>> {
  const k: Record<string, unknown> = {};
  const set = (key: string, value: string | undefined, from: string) => {
    if (!value) return;
    k[key] = value;
    note(r, ['spec', 'kubernetes', key], `kubeasz ${from}`);
  };
  set('podSubnet', v.CLUSTER_CIDR, 'CLUSTER_CIDR');
  set('serviceSubnet', v.SERVICE_CIDR, 'SERVICE_CIDR');
  set('dnsDomain', v.CLUSTER_DNS_DOMAIN?.replace(/\.$/, ''), 'CLUSTER_DNS_DOMAIN');
  set('proxyMode', ['iptables', 'ipvs'].includes(v.PROXY_MODE ?? '') ? v.PROXY_MODE : undefined, 'PROXY_MODE');
  if (lb?.vars.EX_APISERVER_VIP) {
    set(
      'controlPlaneEndpoint',
      `${lb.vars.EX_APISERVER_VIP}:${lb.vars.EX_APISERVER_PORT ?? 6443}`,
      '[ex_lb] EX_APISERVER_VIP:EX_APISERVER_PORT',
    );
    k.loadBalancer = { type: 'external' };
  }
  const runtime = v.CONTAINER_RUNTIME ?? 'containerd';
  const plugin = v.CLUSTER_NETWORK ?? 'calico';
  if (!['containerd', 'docker'].includes(runtime)) r.notCarried.push(`CONTAINER_RUNTIME ${runtime}`);
  if (!['flannel', 'cilium'].includes(plugin))
    r.notCarried.push(`CLUSTER_NETWORK ${plugin} (kubesmith manages flannel and cilium): network.plugin none`);
  for (const key of ['NODE_PORT_RANGE', 'SECURE_PORT'] as const)
    if (v[key] && v[key] !== '6443' && v[key] !== '30000-32767') r.notCarried.push(`${key}=${v[key]}`);
  r.notCarried.push(
    "the Kubernetes version (kubeasz keeps it in clusters/<name>/config.yml, not in hosts): kubesmith's default is written",
  );
  note(r, ['spec', 'network'], `kubeasz CLUSTER_NETWORK (${plugin})`);
  return {
    kubernetes: k,
    containerRuntime: { type: runtime === 'docker' ? 'docker' : 'containerd' },
    network: { plugin: ['flannel', 'cilium'].includes(plugin) ? plugin : 'none' },
  };
}

export function inventoryFromKubeasz(file: string, ssh: Record<string, unknown>): Imported {
  const r: Imported = { data: {}, notes: [], notCarried: [], deliberate: [] };
  const { groups, vars } = parseAnsibleIni(readFileSync(file, 'utf8'));
  const hosts = hostsFrom(groups, r);
  if (!hosts.length) throw new Error(`${file}: no host in [kube_master] or [kube_node]`);
  const lb = member(groups, ['ex_lb', 'ex-lb'])[0];
  const harbor = member(groups, ['harbor'])[0];
  if (harbor) r.notCarried.push(`[harbor] ${harbor.address} (a registry kubesmith does not install; add it as a mirror by hand)`);
  r.notCarried.push(
    'kubeasz installs Kubernetes from binaries, not kubeadm: this inventory describes the cluster for a rebuild; kubesmith cannot adopt it in place',
  );
  const spec = specFrom(vars.get('all') ?? {}, lb, r);
  sharedEndpoint(r, hosts, spec.kubernetes as Record<string, unknown>, 'kubeasz kube-lb on every node');
  r.data = { apiVersion: 'kubesmith.io/v1alpha1', kind: 'Cluster', metadata: { name: 'kubeasz' }, spec: { ssh, hosts, ...spec } };
  note(r, ['metadata'], `from the kubeasz hosts file ${file}`);
  return r;
}
