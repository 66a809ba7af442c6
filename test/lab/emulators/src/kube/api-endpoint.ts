// Which address:port reaches a cluster's API, and whether TLS to it verifies: shared by kubectl, the kubelet's status
// posting (node-state.ts) and kubeadm join's discovery, so a kubeconfig pointing at an address nobody serves, or at
// one the serving API server certificate does not name, fails the same way everywhere.
import { isIP } from 'node:net';
import type { Cluster, ControlPlaneMember } from './cluster-state.js';
import { certInfo } from './pki.js';
import { etcdLinkProblem } from './trust.js';

/** host:port of a kubeconfig `server:` URL (https://[v6]:port/path too). */
export function hostPortOf(server: string): string {
  return server.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
}

/** The host part of host:port ([v6]:port included). */
export function hostOfPort(hostPort: string): string {
  const v6 = /^\[([^\]]+)\]/.exec(hostPort);
  if (v6) return v6[1]!;
  const i = hostPort.lastIndexOf(':');
  return i > 0 && !hostPort.slice(0, i).includes(':') ? hostPort.slice(0, i) : hostPort;
}

/** A control plane's API server as the cluster records it: address, and the expiry and SANs of the certificate it serves. */
export function apiMember(node: { name: string; address: string; bindPort: number }, apiserverPem: string): ControlPlaneMember {
  const api = certInfo(apiserverPem);
  return {
    name: node.name,
    advertiseAddress: node.address,
    bindPort: node.bindPort,
    apiserverNotAfter: api.notAfter,
    apiserverSans: { dnsNames: api.dnsNames, ips: api.ips },
  };
}

/**
 * The member answering at host:port: a control plane's own address, the node holding a kube-vip VIP (published by
 * lab-node-sync only while its kubelet runs the kube-vip static pod), or — for the endpoint the cluster was initialised
 * with (the load balancer the lab does not model) — the first member.
 */
export function servingMember(c: Cluster, hostPort: string): ControlPlaneMember | undefined {
  const members = Object.values(c.controlPlane);
  const own = members.find((m) => `${m.advertiseAddress}:${m.bindPort}` === hostPort);
  if (own) return own;
  const holders = Object.values(c.nodes)
    .filter((n) => (n.status.vips ?? []).includes(hostPort))
    .map((n) => c.controlPlane[n.name])
    .filter((m): m is ControlPlaneMember => !!m)
    .sort((a, b) => a.name.localeCompare(b.name));
  if (holders.length) return holders[0];
  return c.endpoint === hostPort ? members[0] : undefined;
}

/** Go's crypto/x509 HostnameError text for a certificate that does not name `host`. */
export function hostnameError(host: string, sans: { dnsNames: string[]; ips: string[] }): string | undefined {
  const ip = isIP(host) !== 0;
  if (ip ? sans.ips.includes(host.toLowerCase()) : sans.dnsNames.includes(host)) return undefined;
  if (ip && sans.ips.length === 0) return `x509: cannot validate certificate for ${host} because it doesn't contain any IP SANs`;
  const valid = (ip ? sans.ips : sans.dnsNames).join(', ');
  if (!valid) return `x509: certificate is not valid for any names, but wanted to match ${host}`;
  return `x509: certificate is valid for ${valid}, not ${host}`;
}

export type ApiProblem = { kind: 'refused' } | { kind: 'tls'; message: string };

/** Why host:port does not answer as this cluster's API with a certificate naming it (undefined: it does). */
export function apiProblem(c: Cluster, hostPort: string): ApiProblem | undefined {
  const m = servingMember(c, hostPort);
  if (!m) return { kind: 'refused' };
  if (etcdLinkProblem(m)) return { kind: 'refused' }; // its API server cannot use its etcd (trust.ts)
  if (!m.apiserverSans) return undefined; // recorded since kubeadm writes it; older states: not checked
  const message = hostnameError(hostOfPort(hostPort), m.apiserverSans);
  return message ? { kind: 'tls', message } : undefined;
}
