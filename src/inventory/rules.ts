/**
 * Layer 3: named cross-field rules over a schema-valid inventory. Each returns issues with a field path;
 * loadInventory turns paths into file:line:col. Host facts (DNS, offline.bundle on disk, kernel) are a later layer.
 */
import type { PathSegment, Severity } from './issues.js';
import type { Inventory, InventorySpec } from './schema.js';
import { cidrTexts, contains, overlaps, parseCidr, parseCidrs, parseIp, subnetCount } from './cidr.js';
import { NETWORK_RULES } from './network-rules.js';
import { SUPPORTED_MINORS, TESTED_MINORS, controlPlaneEndpoint, controlPlanes, endpointHost } from './derived.js';
import { tryKubeVersion } from '../data/versions.js';
import { formatPath } from './issues.js';
import { WARNING_RULES } from './warnings.js';
import { SELECTOR_WORDS } from '../model/host.js';
import { NODE_RULES } from './node-rules.js';
import { CERTIFICATE_RULES } from './certificate-rules.js';

export interface RuleIssue {
  rule: string;
  severity: Severity;
  path: PathSegment[];
  message: string;
}

export interface Rule {
  name: string;
  check(spec: InventorySpec): Omit<RuleIssue, 'rule'>[];
}

const K8S: PathSegment[] = ['spec', 'kubernetes'];
const HOSTS: PathSegment[] = ['spec', 'hosts'];
const error = (path: PathSegment[], message: string) => ({ severity: 'error' as const, path, message });
const warning = (path: PathSegment[], message: string) => ({ severity: 'warning' as const, path, message });

/** Canonical form for comparing addresses: IPs by value (::1 == 0:0:0:0:0:0:0:1), names case-insensitively. */
function addressKey(address: string): string {
  const ip = parseIp(address);
  return ip ? `ip${ip.family}:${ip.value}` : `name:${address.toLowerCase()}`;
}

export const uniqueHostNames: Rule = {
  name: 'unique-host-names',
  check(spec) {
    const seen = new Map<string, number>();
    return spec.hosts.flatMap((host, i) => {
      const first = seen.get(host.name);
      if (first === undefined) return seen.set(host.name, i) && [];
      return [error([...HOSTS, i, 'name'], `host name "${host.name}" is already used by spec.hosts[${first}]; node names must be unique`)];
    });
  },
};

/** A host named like a role or selector (worker, control-plane, all …) would turn NAME and --limit into a group. */
export const hostNameNotSelector: Rule = {
  name: 'host-name-not-selector',
  check(spec) {
    return spec.hosts.flatMap((host, i) =>
      SELECTOR_WORDS.includes(host.name)
        ? [
            error(
              [...HOSTS, i, 'name'],
              `host name "${host.name}" is a word that selects a group of hosts (${SELECTOR_WORDS.join(', ')}); --limit and node commands would read it as more than this host: rename it (e.g. ${host.name}1)`,
            ),
          ]
        : [],
    );
  },
};

export const uniqueHostAddresses: Rule = {
  name: 'unique-host-addresses',
  check(spec) {
    const seen = new Map<string, { index: number; path: PathSegment[] }>();
    const issues: Omit<RuleIssue, 'rule'>[] = [];
    spec.hosts.forEach((host, i) => {
      const own = new Set<string>();
      for (const field of ['address', 'internalAddress'] as const) {
        const value = host[field];
        if (!value) continue;
        const key = addressKey(value);
        const first = seen.get(key);
        const path = [...HOSTS, i, field];
        if (first && first.index !== i) {
          issues.push(error(path, `${value} is already used by ${formatPath(first.path)}; every host needs its own address`));
        } else if (!own.has(key)) seen.set(key, { index: i, path });
        own.add(key);
      }
    });
    return issues;
  },
};

export const controlPlaneRequired: Rule = {
  name: 'control-plane-required',
  check(spec) {
    if (controlPlanes(spec).length > 0) return [];
    return [error(HOSTS, 'no host has the control-plane role; give at least one host roles: [control-plane]')];
  },
};

export const haNeedsEndpoint: Rule = {
  name: 'ha-needs-endpoint',
  check(spec) {
    const count = controlPlanes(spec).length;
    if (count < 2 || controlPlaneEndpoint(spec)) return [];
    return [
      error(
        [...K8S, 'controlPlaneEndpoint'],
        `${count} control-plane hosts need a shared endpoint: set controlPlaneEndpoint (load balancer or DNS name, e.g. api.example.internal:6443) or loadBalancer {type: kube-vip, vip, interface}`,
      ),
    ];
  },
};

export const subnetsDisjoint: Rule = {
  name: 'subnets-disjoint',
  check(spec) {
    const k8s = spec.kubernetes;
    // Dual-stack lists hold one CIDR per family: compare each entry.
    const entries = (name: string, list: string) => cidrTexts(list).map((text) => ({ name, text, cidr: parseCidr(text) }));
    const pods = entries('podSubnet', k8s.podSubnet);
    const svcs = entries('serviceSubnet', k8s.serviceSubnet);
    const nets = [...pods, ...svcs];
    const issues = [];
    for (const pod of pods) {
      for (const svc of svcs) {
        if (pod.cidr && svc.cidr && overlaps(pod.cidr, svc.cidr)) {
          issues.push(error([...K8S, 'serviceSubnet'], `serviceSubnet ${svc.text} overlaps podSubnet ${pod.text}; they must be disjoint`));
        }
      }
    }
    const addresses: { path: PathSegment[]; ip: string }[] = spec.hosts.flatMap((h, i) => [
      { path: [...HOSTS, i, 'address'], ip: h.address },
      ...(h.internalAddress ? [{ path: [...HOSTS, i, 'internalAddress'], ip: h.internalAddress }] : []),
    ]);
    if (k8s.loadBalancer?.vip) addresses.push({ path: [...K8S, 'loadBalancer', 'vip'], ip: k8s.loadBalancer.vip });
    if (k8s.controlPlaneEndpoint) addresses.push({ path: [...K8S, 'controlPlaneEndpoint'], ip: endpointHost(k8s.controlPlaneEndpoint) });
    for (const { path, ip } of addresses) {
      for (const net of nets) {
        if (net.cidr && contains(net.cidr, ip)) {
          issues.push(
            error(
              path,
              `${ip} lies inside ${net.name} ${net.text}; cluster routes would hide this address — choose a ${net.name} that contains no host address`,
            ),
          );
        }
      }
    }
    return issues;
  },
};

export const podSubnetSize: Rule = {
  name: 'pod-subnet-size',
  check(spec) {
    if (spec.network.plugin !== 'flannel') return [];
    const nodes = spec.hosts.length;
    // Each family of a dual-stack podSubnet needs room for every node.
    return parseCidrs(spec.kubernetes.podSubnet).flatMap((pod) => {
      const nodePrefix = pod.family === 4 ? 24 : 64;
      const fits = subnetCount(pod, nodePrefix);
      if (fits >= BigInt(nodes)) return [];
      const example = pod.family === 4 ? '10.244.0.0/16' : 'fd00:10:244::/56';
      return [
        error(
          [...K8S, 'podSubnet'],
          `podSubnet ${spec.kubernetes.podSubnet} holds ${fits} /${nodePrefix} node subnet(s) but flannel needs one per node (${nodes} hosts); use a larger network such as ${example}`,
        ),
      ];
    });
  },
};

export const kubernetesVersion: Rule = {
  name: 'kubernetes-version',
  check(spec) {
    const path = [...K8S, 'version'];
    const v = tryKubeVersion(spec.kubernetes.version);
    const range = (r: { min: number; max: number }) => `1.${r.min}-1.${r.max}`;
    if (!v) return [error(path, 'expected a version such as 1.34.1')];
    if (v.major !== 1 || v.minor < SUPPORTED_MINORS.min || v.minor > SUPPORTED_MINORS.max) {
      return [error(path, `Kubernetes ${spec.kubernetes.version} is not supported; kubesmith supports ${range(SUPPORTED_MINORS)}`)];
    }
    if (v.minor < TESTED_MINORS.min || v.minor > TESTED_MINORS.max) {
      return [
        warning(path, `Kubernetes ${spec.kubernetes.version} is supported but not tested; tested versions are ${range(TESTED_MINORS)}`),
      ];
    }
    return [];
  },
};

export const kubeVipConfig: Rule = {
  name: 'load-balancer-config',
  check(spec) {
    const lb = spec.kubernetes.loadBalancer;
    const path = [...K8S, 'loadBalancer'];
    if (!lb) return [];
    if (lb.type === 'external') {
      if (spec.kubernetes.controlPlaneEndpoint) return [];
      return [
        error([...K8S, 'controlPlaneEndpoint'], 'loadBalancer type external needs controlPlaneEndpoint: the address of your load balancer'),
      ];
    }
    if (lb.type === 'local') return localLoadBalancerIssues(spec, path);
    const issues = [];
    if (!lb.vip) issues.push(error([...path, 'vip'], "kube-vip needs vip: a free IP address in the control planes' network"));
    if (!lb.interface)
      issues.push(error([...path, 'interface'], 'kube-vip needs interface: the network interface that carries the VIP, e.g. eth0'));
    if (lb.vip) {
      const taken = spec.hosts.findIndex((h) => [h.address, h.internalAddress].some((a) => a && addressKey(a) === addressKey(lb.vip!)));
      if (taken >= 0)
        issues.push(error([...path, 'vip'], `vip ${lb.vip} is spec.hosts[${taken}]'s own address; the VIP must be a free address`));
      const endpoint = spec.kubernetes.controlPlaneEndpoint;
      const host = endpoint && endpointHost(endpoint);
      if (host && parseIp(host) && addressKey(host) !== addressKey(lb.vip)) {
        issues.push(
          error(
            [...K8S, 'controlPlaneEndpoint'],
            `controlPlaneEndpoint ${endpoint} does not use the kube-vip vip ${lb.vip}; use the VIP (or a DNS name for it), or drop controlPlaneEndpoint to derive ${lb.vip}:6443`,
          ),
        );
      }
    }
    return issues;
  },
};

/** loadBalancer local: no VIP, and the endpoint is derived (the first control plane), so neither may be given. */
function localLoadBalancerIssues(spec: InventorySpec, path: PathSegment[]) {
  const lb = spec.kubernetes.loadBalancer!;
  const issues = [];
  for (const field of ['vip', 'interface'] as const)
    if (lb[field])
      issues.push(
        error([...path, field], `loadBalancer type local has no ${field}: each worker reaches the API at 127.0.0.1:6443; remove ${field}`),
      );
  if (spec.kubernetes.controlPlaneEndpoint)
    issues.push(
      error(
        [...K8S, 'controlPlaneEndpoint'],
        'loadBalancer type local derives the endpoint (the first control plane; workers use their local proxy at localhost:6443): remove controlPlaneEndpoint',
      ),
    );
  return issues;
}

export const ciliumKubeProxyReplacement: Rule = {
  name: 'cilium-kube-proxy-replacement',
  check(spec) {
    const path = ['spec', 'network', 'cilium', 'kubeProxyReplacement'];
    if (!spec.network.cilium.kubeProxyReplacement) return [];
    if (spec.network.plugin !== 'cilium') {
      return [warning(path, `kubeProxyReplacement only applies to cilium; it is ignored with plugin ${spec.network.plugin}`)];
    }
    if (controlPlanes(spec).length <= 1 || controlPlaneEndpoint(spec)) return [];
    return [
      error(
        path,
        'cilium kubeProxyReplacement needs one stable API address (there is no kube-proxy to reach the service IP): set controlPlaneEndpoint or use a single control plane',
      ),
    ];
  },
};

/** spec.offline.publicKey authenticates a bundle; without spec.offline.bundle it would check nothing. */
export const offlinePublicKeyNeedsBundle: Rule = {
  name: 'offline-public-key-needs-bundle',
  check(spec) {
    if (!spec.offline?.publicKey || spec.offline.bundle) return [];
    return [error(['spec', 'offline', 'publicKey'], 'publicKey verifies the signature of spec.offline.bundle, which is not set')];
  },
};

/** A bundle without a public key is checked for integrity only: nothing proves who made its manifest. */
export const offlineBundleUnsigned: Rule = {
  name: 'offline-bundle-unsigned',
  check(spec) {
    if (!spec.offline?.bundle || spec.offline.publicKey) return [];
    return [
      warning(
        ['spec', 'offline', 'bundle'],
        'the bundle is checked against its own manifest only; sign it (bundle create --sign KEY) and set spec.offline.publicKey so apply refuses a manifest someone else wrote',
      ),
    ];
  },
};

/** Rules that can only produce errors or warnings about a broken setup, in the order they are reported. */
export const ERROR_RULES: readonly Rule[] = [
  uniqueHostNames,
  hostNameNotSelector,
  uniqueHostAddresses,
  controlPlaneRequired,
  haNeedsEndpoint,
  subnetsDisjoint,
  podSubnetSize,
  kubernetesVersion,
  kubeVipConfig,
  ciliumKubeProxyReplacement,
  offlinePublicKeyNeedsBundle,
  offlineBundleUnsigned,
  ...NETWORK_RULES,
  ...NODE_RULES,
  ...CERTIFICATE_RULES,
];

export const ALL_RULES: readonly Rule[] = [...ERROR_RULES, ...WARNING_RULES];

/** Run every rule over a schema-valid inventory. */
export function checkRules(inventory: Inventory, rules: readonly Rule[] = ALL_RULES): RuleIssue[] {
  return rules.flatMap((rule) => rule.check(inventory.spec).map((issue) => ({ ...issue, rule: rule.name })));
}
