/** What `kubesmith endpoint migrate|plan` passes to its tasks through ctx.options, and what they share. */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import type { TaskContext } from '../../engine/types.js';
import { parseEndpoint } from '../../inventory/derived.js';

export interface EndpointRunOptions {
  /** host:port every node and kubeconfig will use ([v6]:port for an IPv6 address). */
  target: string;
  /** Seconds the API server manifest stays out when it is restarted (the kubelet's fileCheckFrequency, default 20). */
  offSeconds: number;
  /** Wait this long for a restarted API server, the new endpoint or a node to be healthy. */
  healthTimeoutSeconds: number;
  /** Filled by the tasks: what was done on each node, for the final report. */
  states: Map<string, string>;
}

export function endpointOptions(ctx: Pick<TaskContext, 'options'>): EndpointRunOptions {
  const o = ctx.options.endpoint as EndpointRunOptions | undefined;
  if (!o) throw new Error('endpoint tasks run only from `kubesmith endpoint migrate|plan` (missing run options)');
  return o;
}

/** Add to what the report says was done on a node. */
export function note(o: EndpointRunOptions, node: string, text: string): void {
  const before = o.states.get(node);
  o.states.set(node, before ? `${before}; ${text}` : text);
}

/** https://host:port of the target. */
export const targetServer = (o: EndpointRunOptions): string => `https://${o.target}`;

/** The host part of the target: the name or address the API server certificate must carry. */
export const targetHost = (o: EndpointRunOptions): string => parseEndpoint(o.target).host;

/** Whether a PEM certificate names `host` (an IP SAN for an address, a DNS SAN for a name). */
export function certificateNames(pem: string, host: string): boolean {
  const cert = new X509Certificate(pem);
  return (isIP(host) ? cert.checkIP(host) : cert.checkHost(host, { wildcards: true })) !== undefined;
}

/** Every `server:` line of a kubeconfig pointed at `server` (one cluster per kubeadm kubeconfig). */
export function withServer(kubeconfig: string, server: string): string {
  return kubeconfig.replace(/^(\s*server:\s*)\S+\s*$/gm, `$1${server}`);
}

/** The `server:` values of a kubeconfig. */
export const serversOf = (kubeconfig: string): string[] => [...kubeconfig.matchAll(/^\s*server:\s*(\S+)\s*$/gm)].map((m) => m[1]!);
