/**
 * The commented starter inventory `kubesmith init` writes. The result is parsed back and validated before it
 * is returned, so a hostile or mistyped address comes back as an InventoryError, never as a broken file.
 */
import { parse } from 'yaml';
import { parseInventory } from './load.js';

export interface StarterOptions {
  name: string;
  /** Addresses (IP or DNS name) of the control-plane hosts, in order: the first runs kubeadm init. */
  controlPlanes: string[];
  workers: string[];
  /** Where editors find the JSON Schema (path relative to the written file, or URL); no header when absent. */
  schemaRef?: string;
}

/**
 * A one-line YAML scalar: plain when it reads back as the same string, else double-quoted (JSON escapes are
 * valid YAML), so hostile text stays one inert value and then fails validation.
 */
function scalar(value: string): string {
  const plain = /^[A-Za-z0-9][A-Za-z0-9._:/-]*$/.test(value) && parse(value) === value;
  return plain ? value : JSON.stringify(value);
}

function hostBlock(name: string, address: string, role: string): string {
  return [`    - name: ${scalar(name)}`, `      address: ${scalar(address)}`, `      roles: [${role}]`].join('\n');
}

function endpointLines(name: string, controlPlaneCount: number): string[] {
  if (controlPlaneCount > 1) {
    return [
      '    # Several control planes share one API address: a load balancer or DNS name in front of all of them.',
      '    # TODO: make this name resolve to your load balancer (or use loadBalancer: {type: kube-vip, vip, interface}).',
      `    controlPlaneEndpoint: ${scalar(`api.${name}.internal:6443`)}`,
    ];
  }
  return [
    '    # controlPlaneEndpoint: api.example.internal:6443',
    "    #   Not set: nodes use the control plane's address, and the cluster cannot grow to several control",
    '    #   planes later (kubesmith validate warns). Point a DNS name at the control plane to keep that option.',
  ];
}

export function renderStarterInventory(options: StarterOptions): string {
  const controlPlanes = options.controlPlanes.length ? options.controlPlanes : ['192.168.56.11'];
  const hosts = [
    ...controlPlanes.map((address, i) => hostBlock(`cp${i + 1}`, address, 'control-plane')),
    ...options.workers.map((address, i) => hostBlock(`worker${i + 1}`, address, 'worker')),
  ];
  const text = [
    ...(options.schemaRef ? [`# yaml-language-server: $schema=${options.schemaRef}`, '#'] : []),
    '# kubesmith inventory written by `kubesmith init`. Next steps:',
    '#   kubesmith validate -i <this file>   # check it (no connection is made)',
    '#   kubesmith plan -i <this file>       # connect and show what would change, changing nothing',
    '#   kubesmith apply -i <this file>      # build the cluster',
    '# Commented "# key: value" lines show defaults. inventory/example.yaml documents every setting.',
    '',
    'apiVersion: kubesmith.io/v1alpha1',
    'kind: Cluster',
    'metadata:',
    `  name: ${scalar(options.name)}`,
    '',
    'spec:',
    '  ssh:',
    '    user: root                    # a non-root user works too: kubesmith then uses sudo',
    '    # port: 22',
    '    # keyPath: ~/.ssh/id_ed25519  # default: the SSH agent, then ~/.ssh/id_* keys',
    '    # hostKeyPolicy: strict       # strict refuses unknown host keys; accept-new records first-seen keys',
    '',
    '  hosts:                          # name = node name; address = where SSH connects',
    '                                  # add internalAddress: <ip> when the node IP differs from address',
    ...hosts,
    '',
    '  kubernetes:',
    '    version: 1.34.1               # supported 1.24-1.36',
    ...endpointLines(options.name, controlPlanes.length),
    '    # podSubnet: 10.244.0.0/16    # must not contain any host address',
    '    # serviceSubnet: 10.96.0.0/12',
    '    # proxyMode: iptables         # iptables | nftables | ipvs (deprecated since 1.35)',
    '',
    '  containerRuntime:',
    '    type: containerd              # containerd | docker (via cri-dockerd)',
    '',
    '  network:',
    '    plugin: flannel               # flannel | cilium | none',
    '',
    '  hostPrep:',
    '    swap: disable                 # disable | keep',
    '    # firewall: disable           # disable | open-ports | keep',
    '',
  ].join('\n');
  parseInventory(text, 'starter inventory');
  return text;
}
