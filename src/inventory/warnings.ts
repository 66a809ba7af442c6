/** Layer 3, part two: risky-but-legal choices. Each rule only ever warns. */
import type { PathSegment } from './issues.js';
import type { Rule } from './rules.js';
import { controlPlaneEndpoint, controlPlanes } from './derived.js';
import { tryKubeVersion } from '../data/versions.js';

const warning = (path: PathSegment[], message: string) => ({ severity: 'warning' as const, path, message });

export const ipvsDeprecated: Rule = {
  name: 'ipvs-deprecated',
  check(spec) {
    const minor = tryKubeVersion(spec.kubernetes.version)?.minor ?? 0;
    if (spec.kubernetes.proxyMode !== 'ipvs' || minor < 35) return [];
    return [
      warning(['spec', 'kubernetes', 'proxyMode'], `ipvs is deprecated in kube-proxy since Kubernetes 1.35; prefer nftables (or iptables)`),
    ];
  },
};

export const dockerRuntime: Rule = {
  name: 'docker-runtime',
  check(spec) {
    if (spec.containerRuntime.type !== 'docker') return [];
    return [
      warning(
        ['spec', 'containerRuntime', 'type'],
        'docker needs cri-dockerd as an extra moving part (installed, upgraded and restarted with it); containerd is simpler',
      ),
    ];
  },
};

export const hostKeyAcceptNew: Rule = {
  name: 'host-key-accept-new',
  check(spec) {
    if (spec.ssh.hostKeyPolicy !== 'accept-new') return [];
    return [
      warning(
        ['spec', 'ssh', 'hostKeyPolicy'],
        'accept-new trusts whatever key a host presents the first time; prefer strict with keys already in known_hosts',
      ),
    ];
  },
};

export const etcdQuorum: Rule = {
  name: 'etcd-quorum',
  check(spec) {
    const count = controlPlanes(spec).length;
    if (count === 0 || count % 2 === 1) return [];
    return [
      warning(
        ['spec', 'hosts'],
        `${count} control-plane hosts: etcd tolerates no more failures than with ${count - 1}; use an odd number (3 or 5)`,
      ),
    ];
  },
};

export const singleControlPlaneWithoutEndpoint: Rule = {
  name: 'single-control-plane-without-endpoint',
  check(spec) {
    if (controlPlanes(spec).length !== 1 || controlPlaneEndpoint(spec)) return [];
    return [
      warning(
        ['spec', 'kubernetes', 'controlPlaneEndpoint'],
        'without controlPlaneEndpoint this cluster cannot grow to several control planes without re-initialising; set a DNS name (e.g. api.example.internal:6443) pointing at the control plane',
      ),
    ];
  },
};

export const WARNING_RULES: readonly Rule[] = [
  ipvsDeprecated,
  dockerRuntime,
  hostKeyAcceptNew,
  etcdQuorum,
  singleControlPlaneWithoutEndpoint,
];
