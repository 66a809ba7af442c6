/**
 * The inventory schema (layer 1: shape, and layer 2: defaults). Cross-field rules live in rules.ts.
 * Field names under `spec` are a public contract: add fields, never rename.
 * Strings that reach a remote shell are constrained here so no shell metacharacter can get in.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { z } from 'zod';
import { CA_VALIDITY_LIMIT, durationSeconds, GO_DURATION, LEAF_VALIDITY_LIMIT } from './validity.js';

const RFC1123 = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const HOSTNAME_RE = '(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*';
const HOSTNAME = new RegExp(`^${HOSTNAME_RE}$`);
const IPV4_RE = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}';
/** Loose IPv6 shape for the JSON Schema; node:net's isIPv6 decides. */
const IPV6_RE = '[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(%[A-Za-z0-9_.-]+)?';
const IP = new RegExp(`^(${IPV4_RE}|${IPV6_RE})$`);
const ADDRESS = new RegExp(`^(${IPV4_RE}|${IPV6_RE}|${HOSTNAME_RE})$`);
const VERSION = /^v?\d{1,3}\.\d{1,3}\.\d{1,3}$/;
/** No leading '-' (it would read as an option), no spaces, no shell metacharacters; '~' only as '~' or '~/'. */
const SAFE_PATH = /^(~(?=\/|$)|[A-Za-z0-9_./@+])[A-Za-z0-9_./@+-]*$/;
const USER = /^[a-z_][a-z0-9_.-]{0,31}$/;
const IFACE = /^[A-Za-z0-9_.:-]{1,15}$/;
const IMAGE_REPO = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d+)?(\/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)*$/;
const IMAGE_REF = /^[a-z0-9][a-z0-9./:_@-]*$/;
/** http(s) URL without quotes, spaces, fragments or shell metacharacters ($ ; & | \ ( ) `). */
const URL_SAFE = /^https?:\/\/[A-Za-z0-9._~:/?@%=+,[\]-]+$/;
const ENDPOINT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9.-]*)(:\d{1,5})?$/;
const REGISTRY_HOST = /^[A-Za-z0-9][A-Za-z0-9.:-]*$/;

/** An endpoint's explicit port, when there is one, is 1-65535. */
const endpointPortOk = (s: string): boolean => {
  const port = /:(\d+)$/.exec(s.replace(/^\[[^\]]*\]/, ''))?.[1];
  return port === undefined || (Number(port) >= 1 && Number(port) <= 65535);
};
const isIp = (s: string): boolean => isIPv4(s) || isIPv6(s.replace(/%.*$/, ''));
/** A dotted all-numeric string is meant as IPv4 (999.1.1.1 is not a host name). */
const isAddress = (s: string): boolean => (/^[\d.]+$/.test(s) || s.includes(':') ? isIp(s) : HOSTNAME.test(s));

export const address = z
  .string()
  .regex(ADDRESS, { message: 'expected an IP address or hostname', abort: true })
  .refine(isAddress, { message: 'expected an IP address or hostname' });
export const ipAddress = z
  .string()
  .regex(IP, { message: 'expected an IP address', abort: true })
  .refine(isIp, { message: 'expected an IP address' });
export const cidr = z
  .string()
  .regex(/^[0-9A-Fa-f:.]+\/\d{1,3}$/, { message: 'expected a CIDR such as 10.244.0.0/16', abort: true })
  .refine(
    (s) => {
      const [ip = '', bits = ''] = s.split('/');
      if (isIPv4(ip)) return Number(bits) <= 32;
      return isIPv6(ip) && Number(bits) <= 128;
    },
    { message: 'expected a CIDR such as 10.244.0.0/16' },
  );
/** One CIDR, or kubeadm's dual-stack form: an IPv4 and an IPv6 CIDR separated by a comma (families are checked in network-rules.ts). */
export const cidrList = z
  .string()
  .regex(/^[0-9A-Fa-f:.]+\/\d{1,3}(,[0-9A-Fa-f:.]+\/\d{1,3})?$/, {
    message: 'expected a CIDR such as 10.244.0.0/16, or an IPv4 and an IPv6 CIDR separated by a comma (dual-stack)',
    abort: true,
  })
  .refine((s) => s.split(',').every((c) => cidr.safeParse(c).success), {
    message: 'expected a CIDR such as 10.244.0.0/16, or an IPv4 and an IPv6 CIDR separated by a comma (dual-stack)',
  });
const safePath = z.string().regex(SAFE_PATH, 'expected a path without spaces or shell metacharacters');
const port = z.number().int().min(1).max(65535);
const version = z
  .string()
  .regex(VERSION, 'expected a version such as 1.34.1')
  .transform((s) => s.replace(/^v/, ''));
/** user:password@ in an URL's authority; such URLs would print the secret in plans, logs and world-readable files. */
const hasUserinfo = (s: string): boolean => /^[a-z]+:\/\/[^/?#]*@/i.test(s);
const url = z
  .string()
  .regex(URL_SAFE, 'expected an http(s) URL without spaces, quotes or shell metacharacters')
  .refine((s) => !hasUserinfo(s), {
    message:
      'must not contain credentials (user:password@): they would show in plans, logs and world-readable files on the hosts; use a mirror that needs none, or an authenticating proxy on the hosts',
  });
const unixUser = z.string().regex(USER, 'expected a Unix user name');
const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'expected an environment variable name');
const iface = z.string().regex(IFACE, 'expected a network interface name');

export const bastionSchema = z
  .object({
    address: address.describe('Jump host address'),
    port: port.default(22).describe('Jump host SSH port (default 22)'),
    user: unixUser.optional().describe('Jump host user; defaults to spec.ssh.user'),
    keyPath: safePath.optional().describe('Private key for the jump host; defaults to spec.ssh.keyPath'),
  })
  .strict();

export const sshSchema = z
  .object({
    user: unixUser.default('root').describe('SSH login user (default root)'),
    port: port.default(22).describe('SSH port (default 22)'),
    keyPath: safePath.optional().describe('Private key; when absent, the SSH agent and then default keys are tried'),
    passwordEnv: envName.optional().describe('Name of an environment variable holding the SSH/sudo password (never the password itself)'),
    knownHostsPath: safePath.default('~/.ssh/known_hosts').describe('known_hosts file (default ~/.ssh/known_hosts)'),
    hostKeyPolicy: z
      .enum(['strict', 'accept-new'])
      .default('strict')
      .describe('strict (default): unknown host keys are refused; accept-new: record first-seen keys. A changed key is always refused'),
    sudo: z.enum(['auto', 'always', 'never']).default('auto').describe('auto (default): use sudo when the user is not root'),
    bastion: bastionSchema.optional().describe('Jump host every connection goes through'),
    connectTimeoutSeconds: z.number().int().min(1).max(600).default(10).describe('Per connection attempt (default 10)'),
    commandTimeoutSeconds: z.number().int().min(1).max(86400).default(600).describe('Per remote command (default 600)'),
    maxChannels: z
      .number()
      .int()
      .min(1)
      .max(64)
      .default(8)
      .describe('Concurrent channels per connection (default 8; keep below sshd MaxSessions)'),
  })
  .strict();

export const hostSshSchema = z
  .object({
    user: unixUser.optional(),
    port: port.optional(),
    keyPath: safePath.optional(),
    passwordEnv: envName.optional(),
  })
  .strict();

export const roleSchema = z.enum(['control-plane', 'worker']);

/** A label key or taint key: an optional DNS-subdomain prefix and "/", then a name (Kubernetes qualified name). */
export const QUALIFIED_NAME =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;
export const LABEL_VALUE = /^([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$/;

export const taintSchema = z
  .object({
    key: z.string().regex(QUALIFIED_NAME, 'expected a taint key such as example.com/dedicated').describe('Taint key'),
    value: z
      .string()
      .regex(LABEL_VALUE, 'expected a taint value: letters, digits, . _ - (at most 63)')
      .optional()
      .describe('Taint value (optional)'),
    effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).describe('NoSchedule, PreferNoSchedule or NoExecute'),
  })
  .strict();

export const hostSchema = z
  .object({
    name: z.string().regex(RFC1123, 'expected an RFC 1123 name: lowercase letters, digits and -').describe('Node name (RFC 1123)'),
    address: address.describe('Where SSH connects'),
    internalAddress: ipAddress.optional().describe('Node IP / advertise address; defaults to address'),
    address6: ipAddress
      .optional()
      .describe(
        "Dual-stack: the node's IPv6 address, the second kubelet node-ip next to internalAddress (needs IPv4,IPv6 podSubnet and serviceSubnet)",
      ),
    roles: z.array(roleSchema).min(1, 'a host needs at least one role').describe('control-plane and/or worker'),
    ssh: hostSshSchema.optional().describe('Per-host overrides of spec.ssh'),
    labels: z
      .record(
        z.string().regex(/^[A-Za-z0-9][A-Za-z0-9./_-]*$/, 'expected a label key such as example.com/role'),
        z.string().regex(/^[A-Za-z0-9._-]*$/, 'expected a label value: letters, digits, . _ -'),
      )
      .optional()
      .describe(
        'Node labels: set by the kubelet at registration (--node-labels) and kept by `kubectl label`; node-role.kubernetes.io/* only by kubectl',
      ),
    taints: z
      .array(taintSchema)
      .optional()
      .describe('Node taints: kubeadm nodeRegistration.taints at init/join, and `kubectl taint` on nodes that exist'),
  })
  .strict();

export const loadBalancerSchema = z
  .object({
    type: z
      .enum(['external', 'kube-vip', 'local'])
      .describe(
        'external: you run the load balancer; kube-vip: a VIP on the control planes; local: a health-checked haproxy static pod on every worker at 127.0.0.1:6443 (no VIP)',
      ),
    vip: ipAddress.optional().describe('kube-vip: the virtual IP (required with kube-vip)'),
    interface: iface.optional().describe('kube-vip: the interface carrying the VIP (required with kube-vip)'),
    image: z
      .string()
      .regex(IMAGE_REF, 'expected an image reference')
      .optional()
      .describe(
        'The image to run: kube-vip (default ghcr.io/kube-vip/kube-vip:v0.8.9) or, with local, haproxy (default docker.io/library/haproxy:3.1.7-alpine)',
      ),
  })
  .strict();

export const kubernetesSchema = z
  .object({
    version: version.default('1.34.1').describe('Kubernetes version (default 1.34.1; supported 1.24-1.36)'),
    controlPlaneEndpoint: z
      .string()
      .regex(ENDPOINT, 'expected host:port, e.g. lb.example.internal:6443')
      .refine((s) => endpointPortOk(s), { message: 'the port must be between 1 and 65535' })
      .optional()
      .describe('Load balancer, DNS name or VIP with port; required with several control planes'),
    imageRepository: z.string().regex(IMAGE_REPO, 'expected a registry path such as registry.k8s.io').default('registry.k8s.io'),
    podSubnet: cidrList
      .default('10.244.0.0/16')
      .describe('Pod network (default 10.244.0.0/16); dual-stack: "IPv4-CIDR,IPv6-CIDR", e.g. 10.244.0.0/16,fd00:10:244::/56'),
    serviceSubnet: cidrList
      .default('10.96.0.0/12')
      .describe('Service network (default 10.96.0.0/12); dual-stack: "IPv4-CIDR,IPv6-CIDR", e.g. 10.96.0.0/12,fd00:10:96::/112'),
    dnsDomain: z.string().regex(HOSTNAME, 'expected a DNS domain').default('cluster.local'),
    proxyMode: z.enum(['iptables', 'ipvs', 'nftables']).default('iptables').describe('kube-proxy mode (default iptables)'),
    certSANs: z.array(address).default([]).describe('Extra names/IPs in the API server certificate'),
    packageRepository: url.optional().describe('Mirror base URL replacing https://pkgs.k8s.io/core:/stable:'),
    loadBalancer: loadBalancerSchema.optional().describe('How the controlPlaneEndpoint is served'),
  })
  .strict();

export const containerRuntimeSchema = z
  .object({
    type: z.enum(['containerd', 'docker']).default('containerd').describe('containerd (default) or docker (via cri-dockerd)'),
    registryMirrors: z
      .record(z.string().regex(REGISTRY_HOST, 'expected a registry host'), z.array(url))
      .default({})
      .describe('Registry host -> mirror URLs tried in order'),
    insecureRegistries: z.array(z.string().regex(REGISTRY_HOST, 'expected a registry host')).default([]),
  })
  .strict();

export const networkSchema = z
  .object({
    plugin: z.enum(['flannel', 'cilium', 'none']).default('flannel').describe('CNI plugin (default flannel)'),
    flannel: z
      .object({
        version: version.default('0.28.9'),
        backend: z.enum(['vxlan', 'host-gw', 'wireguard']).default('vxlan'),
        directRouting: z.boolean().default(false),
        iface: iface.optional(),
      })
      .strict()
      .default({ version: '0.28.9', backend: 'vxlan', directRouting: false }),
    cilium: z
      .object({
        version: version.default('1.19.4'),
        kubeProxyReplacement: z.boolean().default(false),
      })
      .strict()
      .default({ version: '1.19.4', kubeProxyReplacement: false }),
  })
  .strict();

export const hostPrepSchema = z
  .object({
    swap: z.enum(['disable', 'keep']).default('disable'),
    selinux: z.enum(['permissive', 'keep']).default('permissive'),
    firewall: z.enum(['disable', 'open-ports', 'keep']).default('disable'),
    etcHosts: z.boolean().default(true),
    setHostname: z.boolean().default(true),
    timeSync: z
      .object({
        servers: z.array(address).min(1).describe('NTP servers (names or addresses) every host syncs its clock from'),
      })
      .strict()
      .optional()
      .describe(
        "Keep every host's clock in sync with chrony from these servers (certificates and etcd break on skewed clocks); unset: the hosts' own time sync is left alone",
      ),
  })
  .strict();

export const offlineSchema = z
  .object({
    bundle: safePath
      .optional()
      .describe(
        'Directory or tar made by `kubesmith bundle create`, relative to the inventory file; when set, apply installs from it and never reaches the internet',
      ),
    extraImages: z
      .array(z.string().regex(IMAGE_REF, 'expected an image reference'))
      .default([])
      .describe("More images (an application's) that `kubesmith bundle create` adds to the bundle and apply loads on every node"),
    publicKey: safePath
      .optional()
      .describe(
        "ed25519 public key (PEM, relative to the inventory file) the bundle's manifest must be signed with (`kubesmith bundle create --sign KEY`; `kubesmith bundle keygen -o KEY` writes KEY and KEY.pub); checked before anything is uploaded",
      ),
  })
  .strict();

/** Kubernetes resource quantity (500m, 1Gi, 100Mi, 2). */
const QUANTITY = /^\d+(\.\d+)?(m|k|Ki|M|Mi|G|Gi|T|Ti)?$/;
const quantity = z.string().regex(QUANTITY, 'expected a quantity such as 500m, 100Mi or 1Gi');
/** An eviction threshold: a quantity or a percentage. */
const threshold = z
  .string()
  .regex(/^(\d+(\.\d+)?%|\d+(\.\d+)?(k|Ki|M|Mi|G|Gi|T|Ti)?)$/, 'expected a quantity such as 100Mi or a percentage such as 10%');

export const reservedSchema = z
  .object({
    cpu: quantity.optional(),
    memory: quantity.optional(),
    'ephemeral-storage': quantity.optional(),
    pid: z.string().regex(/^\d+$/, 'expected a number of process IDs').optional(),
  })
  .strict();

export const kubeletSchema = z
  .object({
    maxPods: z.number().int().min(1).max(2500).optional().describe('KubeletConfiguration maxPods (kubelet default 110)'),
    systemReserved: reservedSchema.optional().describe('KubeletConfiguration systemReserved: resources kept for the OS'),
    kubeReserved: reservedSchema.optional().describe('KubeletConfiguration kubeReserved: resources kept for the kubelet and runtime'),
    evictionHard: z
      .object({
        'memory.available': threshold.optional(),
        'nodefs.available': threshold.optional(),
        'nodefs.inodesFree': threshold.optional(),
        'imagefs.available': threshold.optional(),
        'imagefs.inodesFree': threshold.optional(),
        'pid.available': threshold.optional(),
      })
      .strict()
      .optional()
      .describe('KubeletConfiguration evictionHard thresholds (a signal left out keeps the kubelet default)'),
    serverTLSBootstrap: z
      .boolean()
      .optional()
      .describe(
        'KubeletConfiguration serverTLSBootstrap: kubelets request serving certificates from the cluster CA; kubesmith approves only those matching the inventory',
      ),
    extraArgs: z
      .record(
        z.string().regex(/^[a-z][a-z0-9-]*$/, 'expected a kubelet flag name without the leading --, e.g. v'),
        z.string().regex(/^[A-Za-z0-9_.,:=/@+%-]*$/, 'expected a flag value without spaces, quotes or shell metacharacters'),
      )
      .optional()
      .describe('More kubelet flags (kubeadm nodeRegistration.kubeletExtraArgs, written to kubeadm-flags.env)'),
  })
  .strict();

export const controlPlaneSchema = z
  .object({
    schedulable: z
      .boolean()
      .default(false)
      .describe('true: control planes run workloads (no node-role.kubernetes.io/control-plane:NoSchedule taint); default false'),
  })
  .strict();

const validityPeriod = z
  .string()
  .regex(GO_DURATION, { message: 'expected a duration in hours, minutes and seconds, e.g. 8760h or 720h30m', abort: true })
  .refine((s) => durationSeconds(s) > 0, { message: 'must be longer than 0s' });

export const certificatesSchema = z
  .object({
    validity: validityPeriod
      .optional()
      .describe(
        "Validity of the certificates kubeadm issues (kubeadm v1beta4 certificateValidityPeriod, Kubernetes 1.31+), e.g. 8760h; unset: kubeadm's one year",
      ),
    caValidity: validityPeriod
      .optional()
      .describe(
        "Validity of the CAs kubeadm creates at init (kubeadm v1beta4 caCertificateValidityPeriod, Kubernetes 1.31+), e.g. 87600h; unset: kubeadm's ten years",
      ),
    acknowledgeLongValidity: z
      .boolean()
      .default(false)
      .describe(
        `true: accept a validity over ${LEAF_VALIDITY_LIMIT} (5 years) for certificates or over ${CA_VALIDITY_LIMIT} (30 years) for CAs; refused otherwise`,
      ),
  })
  .strict();

export const specSchema = z
  .object({
    ssh: sshSchema.default(sshSchema.parse({})),
    hosts: z.array(hostSchema).min(1, 'at least one host is required'),
    kubernetes: kubernetesSchema.default(kubernetesSchema.parse({})),
    containerRuntime: containerRuntimeSchema.default(containerRuntimeSchema.parse({})),
    network: networkSchema.default(networkSchema.parse({})),
    hostPrep: hostPrepSchema.default(hostPrepSchema.parse({})),
    offline: offlineSchema.optional().describe('Install from a bundle instead of the internet'),
    controlPlane: controlPlaneSchema.default(controlPlaneSchema.parse({})).describe('How control-plane nodes are used'),
    kubelet: kubeletSchema.default({}).describe('Kubelet settings for every node (KubeletConfiguration and flags kubeadm applies)'),
    certificates: certificatesSchema
      .default(certificatesSchema.parse({}))
      .describe('Validity periods of the certificates and CAs kubeadm issues'),
  })
  .strict();

export const inventorySchema = z
  .object({
    apiVersion: z.literal('kubesmith.io/v1alpha1'),
    kind: z.literal('Cluster'),
    metadata: z.object({ name: z.string().regex(RFC1123, 'expected an RFC 1123 name') }).strict(),
    spec: specSchema,
  })
  .strict();

export type Inventory = z.infer<typeof inventorySchema>;
export type InventoryInput = z.input<typeof inventorySchema>;
export type InventorySpec = Inventory['spec'];
export type HostSpec = Inventory['spec']['hosts'][number];
export type Role = z.infer<typeof roleSchema>;
export type Taint = z.infer<typeof taintSchema>;
