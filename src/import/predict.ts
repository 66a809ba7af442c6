/**
 * The changes the first `kubesmith plan` on an imported inventory makes on purpose: the files kubesmith owns that
 * the cluster's builder wrote differently (or not at all). Predicted by rendering them for the imported inventory and
 * comparing with the control plane's copies — the same renderers the tasks use. Workers are assumed to be built like
 * the control plane (the runbook's way); a plan names any other difference per host.
 */
import type { Inventory } from '../inventory/schema.js';
import { renderContainerdConfig, renderCrictl, renderFlannel, renderModules, renderRegistryHosts, renderSysctl } from '../render/index.js';
import { createHash } from 'node:crypto';
import { ADMIN_CONF, KUBESMITH_DIR } from '../tasks/common/cluster.js';
import { CERTS_D, CONTAINERD_CONFIG, ROOT_KUBECONFIG, type RawCluster } from './gather.js';
import { parseNodes } from './cluster-objects.js';

const SYSCTL = '/etc/sysctl.d/k8s.conf';
const MODULES = '/etc/modules-load.d/k8s.conf';
const CRICTL = '/etc/crictl.yaml';
const FLANNEL = `${KUBESMITH_DIR}/kube-flannel.yaml`;

/** What gatherCluster reads besides the runtime configuration, to compare. */
export const MANAGED_PATHS = [SYSCTL, MODULES, CRICTL, FLANNEL] as const;

interface Expectation {
  task: string;
  path: string;
  want: string;
  why: string;
}

function expectations(inv: Inventory, raw: RawCluster): Expectation[] {
  const spec = inv.spec;
  const list: Expectation[] = [
    {
      task: 'hostprep.sysctl',
      path: SYSCTL,
      want: renderSysctl(inv),
      why: `${SYSCTL} becomes kubesmith's (forwarding and bridge sysctls)`,
    },
    { task: 'hostprep.modules', path: MODULES, want: renderModules(inv), why: `${MODULES} becomes kubesmith's (modules loaded at boot)` },
  ];
  if (spec.containerRuntime.type === 'containerd') {
    const cp = parseNodes(raw.nodes ?? '{}').find((n) => n.controlPlane);
    const version = /^containerd:\/\/v?(\d+\.\d+\.\d+)/.exec(cp?.runtime ?? '')?.[1];
    const why =
      'containerd is configured from the inventory (systemd cgroups, pause image, mirrors) and restarted; running pods keep running';
    if (version)
      list.push({ task: 'runtime.containerd.configure', path: CONTAINERD_CONFIG, want: renderContainerdConfig(inv, version), why });
    list.push({ task: 'runtime.containerd.configure', path: CRICTL, want: renderCrictl(inv), why: `${CRICTL} is written for crictl` });
    for (const [path, want] of renderRegistryHosts(inv)) list.push({ task: 'runtime.containerd.configure', path, want, why });
  }
  if (spec.network.plugin === 'flannel')
    list.push({
      task: 'cni.flannel',
      path: FLANNEL,
      want: renderFlannel(inv),
      why: `flannel ${spec.network.flannel.version} is re-applied from kubesmith's manifest with the imported net-conf (${FLANNEL})`,
    });
  return list;
}

function current(raw: RawCluster, path: string): string | null {
  if (path === CONTAINERD_CONFIG) return raw.containerdConfig;
  if (path.startsWith(`${CERTS_D}/`)) return raw.registryHosts[path.slice(CERTS_D.length + 1, -'/hosts.toml'.length)] ?? null;
  return raw.managedFiles[path] ?? null;
}

/** `sha256sum` output → path → hash. */
export function parseSha256sum(text: string): Map<string, string> {
  return new Map(
    text
      .split('\n')
      .map((l) => /^([a-f0-9]{64}) [ *](.+)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[2]!, m[1]!]),
  );
}

/** controlplane.kubeconfig copies admin.conf to root's (and the SSH user's) ~/.kube/config and to the admin machine. */
function kubeconfigWhy(inv: Inventory, raw: RawCluster, localAdminConf: string | null): string | undefined {
  const hashes = parseSha256sum(raw.adminHashes ?? '');
  const admin = hashes.get(ADMIN_CONF);
  const places: string[] = [];
  if (!admin || hashes.get(ROOT_KUBECONFIG) !== admin) places.push(ROOT_KUBECONFIG);
  if (inv.spec.ssh.user !== 'root') places.push(`~${inv.spec.ssh.user}/.kube/config (unless it already holds it)`);
  if (localAdminConf === null || createHash('sha256').update(localAdminConf).digest('hex') !== admin)
    places.push(`the admin machine's .kubesmith/${inv.metadata.name}/admin.conf (mode 0600)`);
  return places.length ? `admin.conf is copied to ${places.join(', ')}` : undefined;
}

/** localAdminConf: the admin machine's .kubesmith/<name>/admin.conf, where plan will look for it (null: absent). */
export function predictFirstPlan(inv: Inventory, raw: RawCluster, localAdminConf: string | null): { task: string; why: string }[] {
  const out = new Map<string, string>();
  for (const e of expectations(inv, raw)) {
    if (current(raw, e.path) === e.want || out.has(e.task)) continue;
    out.set(e.task, e.why);
  }
  const ipvsTools = raw.missingIpvsTools.split('\n').filter(Boolean);
  if (inv.spec.kubernetes.proxyMode === 'ipvs' && ipvsTools.length)
    out.set('kubernetes.packages', `${ipvsTools.join(' ')} installed (kube-proxy's ipvs mode needs them; the control plane has none)`);
  const kubeconfig = kubeconfigWhy(inv, raw, localAdminConf);
  if (kubeconfig) out.set('controlplane.kubeconfig', kubeconfig);
  return [...out].map(([task, why]) => ({ task, why }));
}
