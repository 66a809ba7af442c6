/**
 * Cross-field rules about IP families: single-stack IPv4, or dual-stack (kubeadm's "IPv4-CIDR,IPv6-CIDR" pod and
 * service subnets, and every host's IPv6 node address in `address6`). What kubeadm, the kubelet or the CNI would
 * refuse later is refused here, at the field.
 *
 * Sources: kubeadm dual-stack https://kubernetes.io/docs/setup/production-environment/tools/kubeadm/dual-stack-support/ ;
 * kubeadm's checks of networking (ValidateIPNetFromString, ValidateServiceSubnetSize, ValidatePodSubnetNodeMask in
 * kubernetes/kubernetes cmd/kubeadm/app/apis/kubeadm/validation/validation.go: at most 2 CIDRs, one per family;
 * a service subnet has at most 20 host bits; node masks /24 (IPv4) and /64 (IPv6) lie within 16 bits of the pod subnet).
 */
import type { PathSegment } from './issues.js';
import type { Rule, RuleIssue } from './rules.js';
import { contains, parseCidrs, parseIp, cidrTexts, type Cidr } from './cidr.js';
import { ipStack, NODE_MASK } from './derived.js';
import { kubernetesSchema } from './schema.js';

const K8S: PathSegment[] = ['spec', 'kubernetes'];
const HOSTS: PathSegment[] = ['spec', 'hosts'];
const error = (path: PathSegment[], message: string): Omit<RuleIssue, 'rule'> => ({ severity: 'error', path, message });

/** kubeadm: constants.MaximumBitsForServiceSubnet and constants.PodSubnetNodeMaskMaxDiff. */
const MAX_SERVICE_HOST_BITS = 20;
const MAX_NODE_MASK_DIFF = 16;
/** schema.ts's default serviceSubnet. */
const DEFAULT_SERVICE_SUBNET = kubernetesSchema.parse({}).serviceSubnet;

const familyName = (cidrs: Cidr[]): string => (cidrs.length === 2 ? 'dual-stack (IPv4,IPv6)' : cidrs[0]?.family === 6 ? 'IPv6' : 'IPv4');

/** One or two CIDRs; two are an IPv4 then an IPv6 one. */
function listShape(field: 'podSubnet' | 'serviceSubnet', text: string): Omit<RuleIssue, 'rule'>[] {
  const cidrs = parseCidrs(text);
  if (cidrs.length !== 2) return [];
  const path = [...K8S, field];
  if (cidrs[0]!.family === cidrs[1]!.family) {
    return [error(path, `${field} ${text} lists two IPv${cidrs[0]!.family} CIDRs; dual-stack needs exactly one IPv4 and one IPv6 CIDR`)];
  }
  if (cidrs[0]!.family === 6) {
    const [v6, v4] = cidrTexts(text);
    return [error(path, `${field} ${text} lists IPv6 first; kubesmith builds IPv4-primary dual-stack clusters: write ${v4},${v6}`)];
  }
  return [];
}

export const subnetFamilies: Rule = {
  name: 'subnet-families',
  check(spec) {
    const k = spec.kubernetes;
    const shape = [...listShape('podSubnet', k.podSubnet), ...listShape('serviceSubnet', k.serviceSubnet)];
    if (shape.length) return shape;
    const pod = parseCidrs(k.podSubnet);
    const svc = parseCidrs(k.serviceSubnet);
    if (familyName(pod) !== familyName(svc)) {
      // Point at the subnet the user changed: a serviceSubnet still at its default was most likely not written.
      const defaulted = k.serviceSubnet === DEFAULT_SERVICE_SUBNET;
      return [
        error(
          [...K8S, defaulted ? 'podSubnet' : 'serviceSubnet'],
          `serviceSubnet ${k.serviceSubnet}${defaulted ? ' (the default)' : ''} is ${familyName(svc)} but podSubnet ${k.podSubnet} is ${familyName(pod)}; use one family on both, or an IPv4,IPv6 pair on both for dual-stack`,
        ),
      ];
    }
    if (ipStack(spec) === 'ipv6') {
      return [
        error(
          [...K8S, 'podSubnet'],
          `IPv6-only clusters are not supported; use dual-stack instead: podSubnet <IPv4-CIDR>,${k.podSubnet}, serviceSubnet <IPv4-CIDR>,${k.serviceSubnet}, IPv4 node addresses and address6 on every host`,
        ),
      ];
    }
    return [];
  },
};

/** kubeadm's networking checks, per family: service subnet size, pod subnet against the node mask. */
export const subnetSizes: Rule = {
  name: 'subnet-sizes',
  check(spec) {
    const k = spec.kubernetes;
    const issues: Omit<RuleIssue, 'rule'>[] = [];
    parseCidrs(k.serviceSubnet).forEach((c, i) => {
      const bits = c.family === 4 ? 32 : 128;
      if (bits - c.prefix > MAX_SERVICE_HOST_BITS) {
        issues.push(
          error(
            [...K8S, 'serviceSubnet'],
            `serviceSubnet ${cidrTexts(k.serviceSubnet)[i]} is too large: kubeadm and the API server accept at most ${MAX_SERVICE_HOST_BITS} host bits, so an IPv${c.family} service subnet needs a /${bits - MAX_SERVICE_HOST_BITS} or longer prefix`,
          ),
        );
      }
    });
    parseCidrs(k.podSubnet).forEach((c, i) => {
      const nodeMask = NODE_MASK[c.family];
      const text = cidrTexts(k.podSubnet)[i];
      if (c.prefix > nodeMask) {
        issues.push(
          error(
            [...K8S, 'podSubnet'],
            `podSubnet ${text} is smaller than one node's /${nodeMask} block (the controller manager gives each node an IPv${c.family} /${nodeMask}); use a /${nodeMask} or shorter prefix`,
          ),
        );
      } else if (nodeMask - c.prefix > MAX_NODE_MASK_DIFF) {
        issues.push(
          error(
            [...K8S, 'podSubnet'],
            `podSubnet ${text} is too large: kubeadm allows at most ${MAX_NODE_MASK_DIFF} bits between it and the /${nodeMask} node blocks; use a /${nodeMask - MAX_NODE_MASK_DIFF} to /${nodeMask} prefix`,
          ),
        );
      }
    });
    return issues;
  },
};

/** The kubelet's node IPs must be of the cluster's families: internalAddress (or address) IPv4, address6 IPv6. */
export const nodeIpFamilies: Rule = {
  name: 'node-ip-families',
  check(spec) {
    const stack = ipStack(spec);
    if (subnetFamilies.check(spec).length) return []; // the subnets are wrong first: one error, at them
    const k = spec.kubernetes;
    const issues: Omit<RuleIssue, 'rule'>[] = [];
    const v6Nets = [...parseCidrs(k.podSubnet), ...parseCidrs(k.serviceSubnet)].filter((c) => c.family === 6);
    const seen = new Map<string, number>();
    spec.hosts.forEach((host, i) => {
      const field = host.internalAddress ? 'internalAddress' : 'address';
      const nodeIp = host.internalAddress ?? host.address;
      if (parseIp(nodeIp)?.family === 6) {
        issues.push(
          error(
            [...HOSTS, i, field],
            `node IP ${nodeIp} is IPv6 but the cluster's primary family is IPv4 (podSubnet ${k.podSubnet}); set internalAddress to the host's IPv4 address${stack === 'dual' ? ' and address6 to this one' : ''}`,
          ),
        );
      }
      const path = [...HOSTS, i, 'address6'];
      if (host.address6 === undefined) {
        if (stack === 'dual')
          issues.push(
            error(
              [...HOSTS, i],
              `dual-stack (podSubnet ${k.podSubnet}) needs address6 on every host: the node's IPv6 address, the kubelet's second node IP`,
            ),
          );
        return;
      }
      const ip = parseIp(host.address6);
      if (ip?.family !== 6) return void issues.push(error(path, `address6 must be an IPv6 address, got ${host.address6}`));
      if (stack !== 'dual') {
        return void issues.push(
          error(
            path,
            `address6 only applies to dual-stack clusters: set podSubnet and serviceSubnet to IPv4,IPv6 pairs (e.g. ${k.podSubnet},fd00:10:244::/56), or remove address6`,
          ),
        );
      }
      const key = ip.value.toString();
      const first = seen.get(key);
      if (first !== undefined)
        issues.push(error(path, `${host.address6} is already spec.hosts[${first}].address6; every host needs its own address`));
      else seen.set(key, i);
      for (const net of v6Nets) {
        if (contains(net, host.address6))
          issues.push(
            error(path, `${host.address6} lies inside the cluster's IPv6 pod or service subnet; cluster routes would hide this address`),
          );
      }
    });
    return issues;
  },
};

export const NETWORK_RULES: readonly Rule[] = [subnetFamilies, subnetSizes, nodeIpFamilies];
