/**
 * Preflight rules: pure functions over facts (plus two look-ups done by the task), each returning
 * the problems it finds on one host, in operator words.
 */
import type { Inventory } from '../../inventory/schema.js';
import type { Host, Hosts } from '../../model/host.js';
import type { Facts } from '../../model/facts.js';
import { controlPlaneListenPorts, workerListenPorts } from '../../data/ports.js';
import { lastMinorWithContainerd1, parseKubeVersion } from '../../data/versions.js';
import { derived } from '../../inventory/derived.js';

export const MIN_CP_CPUS = 2;
export const MIN_CP_MEMORY_MIB = 1700;
export const MAX_CLOCK_SKEW_S = 30;

export function checkOs(host: Host): string[] {
  const f = host.requireFacts();
  if (!host.distro || f.os.family === 'unknown')
    return [`unsupported OS "${f.os.prettyName || f.os.id}" (Debian/Ubuntu or RHEL family required)`];
  return [];
}

export function checkResources(host: Host): string[] {
  if (!host.isControlPlane) return [];
  const f = host.requireFacts();
  const problems: string[] = [];
  if (f.cpus < MIN_CP_CPUS) problems.push(`${f.cpus} CPU(s); a control plane needs at least ${MIN_CP_CPUS}`);
  if (f.memoryMiB < MIN_CP_MEMORY_MIB) problems.push(`${f.memoryMiB} MiB memory; a control plane needs at least ${MIN_CP_MEMORY_MIB} MiB`);
  return problems;
}

/** Hostnames (when kubesmith does not set them), MACs and product_uuid must differ between hosts. */
export function checkUniqueness(inv: Inventory, host: Host, hosts: Hosts): string[] {
  const mine = host.requireFacts();
  const others = hosts.all.filter((h) => h.name !== host.name && h.facts).map((h) => [h.name, h.facts!] as const);
  const problems: string[] = [];
  const clash = (what: string, pick: (f: Facts) => string[]) => {
    for (const value of pick(mine).filter(Boolean)) {
      const same = others.filter(([, f]) => pick(f).includes(value)).map(([n]) => n);
      if (same.length) problems.push(`${what} ${value} is also on ${same.join(', ')}`);
    }
  };
  if (!inv.spec.hostPrep.setHostname) clash('hostname', (f) => [f.hostname]);
  clash('MAC address', (f) => f.macs);
  clash('product_uuid', (f) => [f.productUuid]);
  return problems;
}

/** Ports kubeadm needs must be free, unless this host is already a node of this cluster. */
export function checkPorts(host: Host): string[] {
  const f = host.requireFacts();
  if (f.cluster.member) return [];
  const needed = host.isControlPlane ? controlPlaneListenPorts : workerListenPorts;
  const busy = needed.filter((p) => f.listeningPorts.includes(p));
  return busy.length
    ? [`port(s) ${busy.join(', ')} already in use (needed by ${host.isControlPlane ? 'the control plane' : 'the kubelet'})`]
    : [];
}

export function checkClock(host: Host, hostEpochS: number, adminEpochS: number): string[] {
  const skew = Math.abs(hostEpochS - adminEpochS);
  return skew >= MAX_CLOCK_SKEW_S
    ? [
        `clock differs from the admin machine by ${Math.round(skew)} s (limit ${MAX_CLOCK_SKEW_S} s): TLS and etcd break; run chrony/timesyncd`,
      ]
    : [];
}

/** Installed runtime and kube versions must fit the target version. */
export function checkVersions(inv: Inventory, host: Host): string[] {
  const f = host.requireFacts();
  const target = derived(inv).kubernetes.version;
  const problems: string[] = [];
  if (inv.spec.containerRuntime.type === 'containerd' && f.versions.containerd) {
    const major = Number(/^v?(\d+)/.exec(f.versions.containerd)?.[1] ?? 0);
    if (major < 2 && target.minor > lastMinorWithContainerd1) {
      problems.push(`containerd ${f.versions.containerd} is installed; Kubernetes 1.${target.minor} needs containerd 2.x`);
    }
  }
  for (const tool of ['kubelet', 'kubeadm'] as const) {
    const installed = f.versions[tool];
    if (!installed) continue;
    const v = parseKubeVersion(installed);
    if (v.minor > target.minor || (v.minor === target.minor && v.patch > target.patch)) {
      problems.push(`${tool} ${installed} is newer than kubernetes.version ${target.text}; kubesmith does not downgrade`);
    } else if (f.cluster.member && v.text !== target.text) {
      // A running cluster at another version (a patch included) is upgraded by `upgrade`, never silently by apply.
      problems.push(
        `${tool} ${v.text} runs on this cluster member, kubernetes.version says ${target.text}: apply does not change a running ` +
          `cluster's version; see the route with \`kubesmith plan upgrade\`, then run \`kubesmith upgrade\``,
      );
    }
  }
  return problems;
}

/** A host that already belongs to a cluster must belong to THIS one (same CA as the first control plane). */
export function checkClusterIdentity(host: Host, first: Host, hostCaHash: string | undefined, firstCaHash: string | undefined): string[] {
  if (!hostCaHash || host.name === first.name) return [];
  if (!firstCaHash) return [`already belongs to a cluster (CA ${hostCaHash.slice(0, 19)}…) but ${first.name} has none: reset it first`];
  if (hostCaHash !== firstCaHash)
    return [
      `already belongs to a different cluster (CA ${hostCaHash.slice(0, 19)}… vs ${first.name}'s ${firstCaHash.slice(0, 19)}…): reset it first`,
    ];
  return [];
}
