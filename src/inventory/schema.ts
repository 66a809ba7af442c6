/**
 * The inventory schema (layer 1: shape, and layer 2: defaults). Cross-field rules live in rules.ts.
 * Field names under `spec` are a public contract: add fields, never rename.
 * Strings that reach a remote shell are constrained here so no shell metacharacter can get in.
 */
import { z } from 'zod';

const RFC1123 = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^[0-9A-Fa-f:]+(%[A-Za-z0-9]+)?$/;
const VERSION = /^v?\d+\.\d+\.\d+$/;
const SAFE_PATH = /^[A-Za-z0-9_~./@+-][A-Za-z0-9_./@+-]*$/;
const USER = /^[a-z_][a-z0-9_.-]{0,31}$/;
const IFACE = /^[A-Za-z0-9_.:-]{1,15}$/;
const IMAGE_REPO = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d+)?(\/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)*$/;
const URL_SAFE = /^https?:\/\/[A-Za-z0-9._~:/?#@!$&'()*+,;=%-]+$/;

export const address = z
  .string()
  .refine((s) => IPV4.test(s) || (s.includes(':') && IPV6.test(s)) || HOSTNAME.test(s), {
    message: 'expected an IP address or hostname',
  });
export const ipAddress = z.string().refine((s) => IPV4.test(s) || (s.includes(':') && IPV6.test(s)), {
  message: 'expected an IP address',
});
export const cidr = z.string().refine(
  (s) => {
    const [ip, bits, ...rest] = s.split('/');
    if (rest.length || !ip || bits === undefined || !/^\d+$/.test(bits)) return false;
    return IPV4.test(ip) ? Number(bits) <= 32 : ip.includes(':') && IPV6.test(ip) && Number(bits) <= 128;
  },
  { message: 'expected a CIDR such as 10.244.0.0/16' },
);
const safePath = z.string().regex(SAFE_PATH, 'expected a path without spaces or shell metacharacters');
const port = z.number().int().min(1).max(65535);
const version = z.string().regex(VERSION, 'expected a version such as 1.34.1');
const url = z.string().regex(URL_SAFE, 'expected an http(s) URL without spaces or quotes').refine((s) => !/[`$;'"()\\]/.test(s), {
  message: 'URL contains characters that are not allowed here',
});

export const bastionSchema = z
  .object({
    address: address.describe('Jump host address'),
    port: port.default(22),
    user: z.string().regex(USER, 'expected a Unix user name').optional(),
    keyPath: safePath.optional(),
  })
  .strict();

export const sshSchema = z
  .object({
    user: z.string().regex(USER, 'expected a Unix user name').default('root').describe('SSH login user'),
    port: port.default(22),
    keyPath: safePath.optional().describe('Private key; when absent, the SSH agent and then default keys are tried'),
    passwordEnv: z
      .string()
      .regex(/^[A-Z_][A-Z0-9_]*$/, 'expected an environment variable name')
      .optional()
      .describe('Name of an environment variable holding the SSH/sudo password (never the password itself)'),
    knownHostsPath: safePath.default('~/.ssh/known_hosts'),
    hostKeyPolicy: z.enum(['strict', 'accept-new']).default('strict'),
    sudo: z.enum(['auto', 'always', 'never']).default('auto').describe('auto: use sudo when the user is not root'),
    bastion: bastionSchema.optional(),
    connectTimeoutSeconds: z.number().int().min(1).max(600).default(10),
    commandTimeoutSeconds: z.number().int().min(1).max(86400).default(600),
    maxChannels: z.number().int().min(1).max(64).default(8).describe('Concurrent channels per connection (keep below sshd MaxSessions)'),
  })
  .strict();

export const hostSshSchema = z
  .object({
    user: z.string().regex(USER, 'expected a Unix user name').optional(),
    port: port.optional(),
    keyPath: safePath.optional(),
    passwordEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'expected an environment variable name').optional(),
  })
  .strict();

export const roleSchema = z.enum(['control-plane', 'worker']);

export const hostSchema = z
  .object({
    name: z.string().regex(RFC1123, 'expected an RFC 1123 name: lowercase letters, digits and -').describe('Node name'),
    address: address.describe('Where SSH connects'),
    internalAddress: ipAddress.optional().describe('Node IP / advertise address; defaults to address'),
    roles: z.array(roleSchema).min(1, 'a host needs at least one role'),
    ssh: hostSshSchema.optional(),
    labels: z.record(z.string().regex(/^[A-Za-z0-9./_-]+$/), z.string().regex(/^[A-Za-z0-9._-]*$/)).optional(),
  })
  .strict();

export const loadBalancerSchema = z
  .object({
    type: z.enum(['external', 'kube-vip']),
    vip: ipAddress.optional(),
    interface: z.string().regex(IFACE, 'expected a network interface name').optional(),
    image: z.string().regex(/^[a-z0-9./:_@-]+$/).default('ghcr.io/kube-vip/kube-vip:v0.8.9'),
  })
  .strict();

export const kubernetesSchema = z
  .object({
    version: version.default('1.34.1'),
    controlPlaneEndpoint: z
      .string()
      .regex(/^[A-Za-z0-9.:[\]-]+$/, 'expected host:port')
      .optional()
      .describe('Load balancer, DNS name or VIP with port; required with several control planes'),
    imageRepository: z.string().regex(IMAGE_REPO, 'expected a registry path such as registry.k8s.io').default('registry.k8s.io'),
    podSubnet: cidr.default('10.244.0.0/16'),
    serviceSubnet: cidr.default('10.96.0.0/12'),
    dnsDomain: z.string().regex(HOSTNAME, 'expected a DNS domain').default('cluster.local'),
    proxyMode: z.enum(['iptables', 'ipvs', 'nftables']).default('iptables'),
    certSANs: z.array(address).default([]),
    packageRepository: url.optional().describe('Mirror base URL replacing https://pkgs.k8s.io/core:/stable:'),
    loadBalancer: loadBalancerSchema.optional(),
  })
  .strict();

export const containerRuntimeSchema = z
  .object({
    type: z.enum(['containerd', 'docker']).default('containerd'),
    registryMirrors: z.record(z.string().regex(/^[A-Za-z0-9.:-]+$/, 'expected a registry host'), z.array(url)).default({}),
    insecureRegistries: z.array(z.string().regex(/^[A-Za-z0-9.:-]+$/)).default([]),
  })
  .strict();

export const networkSchema = z
  .object({
    plugin: z.enum(['flannel', 'cilium', 'none']).default('flannel'),
    flannel: z
      .object({
        version: version.default('0.28.9'),
        backend: z.enum(['vxlan', 'host-gw', 'wireguard']).default('vxlan'),
        directRouting: z.boolean().default(false),
        iface: z.string().regex(IFACE, 'expected a network interface name').optional(),
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
  })
  .strict();

export const offlineSchema = z
  .object({
    bundle: safePath.describe('Directory or tar made by `kubesmith bundle create`'),
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
    offline: offlineSchema.optional(),
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
export type InventorySpec = Inventory['spec'];
export type HostSpec = Inventory['spec']['hosts'][number];
export type Role = z.infer<typeof roleSchema>;
