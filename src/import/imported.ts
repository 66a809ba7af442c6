/**
 * What an importer produces: the inventory as plain data, a comment per value saying where it came from, what could
 * not be carried over, and the changes the first `kubesmith plan` will show on purpose. Rendered by render.ts.
 */
import type { Report } from '../checks/report.js';

export type Path = readonly (string | number)[];

export interface Imported {
  data: Record<string, unknown>;
  notes: { path: Path; text: string }[];
  notCarried: string[];
  /** A task the first plan will change on purpose, and why. */
  deliberate: { task: string; why: string }[];
  /** `kubesmith audit` of the cluster it was read from (import --from only). */
  audit?: Report;
}

export function note(r: Imported, path: Path, text: string): void {
  r.notes.push({ path, text });
}

/**
 * kubespray and kubeasz reach the API of several control planes through a proxy on every node (nginx-proxy, kube-lb);
 * kubesmith's inventory needs one shared endpoint: the first control plane's, named as a change to make by hand.
 */
export function sharedEndpoint(
  r: Imported,
  hosts: { address: string; roles: string[] }[],
  k: Record<string, unknown>,
  proxy: string,
): void {
  const cps = hosts.filter((h) => h.roles.includes('control-plane'));
  if (cps.length < 2 || k.controlPlaneEndpoint) return;
  k.controlPlaneEndpoint = `${cps[0]!.address}:6443`;
  r.notCarried.push(
    `the per-node API proxy (${proxy}): controlPlaneEndpoint is set to the first control plane, ${k.controlPlaneEndpoint}; point it at a load balancer or DNS name`,
  );
  note(
    r,
    ['spec', 'kubernetes', 'controlPlaneEndpoint'],
    'several control planes and no load balancer in the source: the first control plane (see the header)',
  );
}
