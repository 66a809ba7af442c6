/**
 * No field without an effect: the test walks the inventory schema (zod 4) and, for every leaf field, sets a
 * distinctive value on a small inventory and shows that something kubesmith renders or plans changes. Fields whose
 * effect is the SSH transport (not a rendered file or a remote command) are in TRANSPORT_FIELDS with the test that
 * proves them. A new field without an entry fails here: give it an effect, or justify it in an allow-list.
 */
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { z } from 'zod';
import { existsSync, readFileSync } from 'node:fs';
import { parseInventory, type Inventory } from '../../../src/inventory/index.js';
import { inventorySchema } from '../../../src/inventory/schema.js';
import * as r from '../../../src/render/index.js';
import { hostsBlock } from '../../../src/tasks/hostprep/etchosts.js';
import { imageSet } from '../../../src/bundle/image-set.js';
import { loadPlaybook } from '../../../src/engine/playbook.js';
import { TaskRegistry } from '../../../src/engine/registry.js';
import { allTasks } from '../../../src/tasks/index.js';
import { harness } from '../tasks/helpers/context.js';
import { hostsOf } from '../tasks/helpers/inventory.js';
import { baseInventory } from './helpers.js';

type Edit = (inv: Record<string, any>) => void;

/** The leaf fields of a zod schema, as dotted paths ("spec.hosts[].labels"); records and literals are leaves. */
function leafPaths(schema: z.ZodType, path = ''): string[] {
  const def = (schema as any)._zod.def;
  switch (def.type) {
    case 'optional':
    case 'default':
    case 'nullable':
      return leafPaths(def.innerType, path);
    case 'pipe':
      return leafPaths(def.in, path);
    case 'object':
      return Object.entries(def.shape as Record<string, z.ZodType>).flatMap(([k, v]) => leafPaths(v, path ? `${path}.${k}` : k));
    case 'array': {
      const element = (def.element as any)._zod.def.type;
      return element === 'object' ? leafPaths(def.element, `${path}[]`) : [path];
    }
    default:
      return [path];
  }
}

const JOIN = { token: 'abcdef.0123456789abcdef', caCertHash: 'sha256:' + 'a'.repeat(64) };
const registry = new TaskRegistry(allTasks);
const apply = loadPlaybook('apply', registry);

/** What the inventory's tasks decide in a dry run over hosts that answer every command with success and (mostly) no output. */
async function plannedWork(inv: Inventory): Promise<unknown[]> {
  const h = harness(inv);
  for (const t of h.transports.values()) {
    // a registered Node without labels or taints (core/v1 shape), so node.metadata plans what the inventory asks
    t.allow(/ get node \S+ -o json$/, { stdout: '{"apiVersion":"v1","kind":"Node","metadata":{"labels":{}},"spec":{}}' }).allow(/(?:)/, {});
  }
  const out: unknown[] = [];
  for (const step of apply.phases.flatMap((p) => p.steps)) {
    for (const host of h.hosts.select(step.hosts)) {
      const before = h.t(host.name).calls.length;
      const result = await registry
        .require(step.task)
        .check(h.ctx(host.name, { dryRun: true }))
        .catch(() => ({ status: 'error' }));
      out.push({
        task: step.task,
        host: host.name,
        result,
        calls: h
          .t(host.name)
          .calls.slice(before)
          .map((c) => c.command),
      });
    }
  }
  return out;
}

/** A step that refuses this inventory (an image set for a version without pinned tags) counts as one constant. */
function orError<T>(fn: () => T): T | 'error' {
  try {
    return fn();
  } catch {
    return 'error';
  }
}

/** Everything kubesmith renders or plans from an inventory, as one comparable value. */
async function surface(inv: Inventory): Promise<string> {
  const hosts = hostsOf(inv);
  const first = hosts.firstControlPlane;
  const files: Record<string, unknown> = {
    init: r.renderKubeadmInit(inv, first, hosts),
    joins: hosts.all
      .filter((h) => h !== first)
      .map((h) => r.renderKubeadmJoin(inv, h, hosts, h.isControlPlane ? { ...JOIN, certificateKey: 'f'.repeat(64) } : JOIN)),
    containerd: [r.renderContainerdConfig(inv, '1.7.27'), r.renderContainerdConfig(inv, '2.1.4'), [...r.renderRegistryHosts(inv)]],
    crictl: r.renderCrictl(inv),
    docker: [r.renderDockerDaemon(inv), r.renderCriDockerDropIn(inv)],
    modules: r.renderModules(inv),
    flannel: r.renderFlannel(inv),
    cilium: r.renderCiliumValues(inv, hosts),
    kubeVip: inv.spec.kubernetes.loadBalancer?.type === 'kube-vip' ? r.renderKubeVip(inv, first, hosts, false) : null,
    etcHosts: hostsBlock(inv, hosts),
    images: orError(() => imageSet(inv)),
    planned: await plannedWork(inv),
  };
  return JSON.stringify(files);
}

async function load(edit: Edit): Promise<Inventory> {
  const raw = baseInventory();
  edit(raw);
  return parseInventory(stringify(raw), 'field-effects.yaml').inventory;
}

const host =
  (i: number, edit: (h: Record<string, any>) => void): Edit =>
  (inv) =>
    edit(inv.spec.hosts[i]);
const k8s =
  (edit: (k: Record<string, any>) => void): Edit =>
  (inv) =>
    edit(inv.spec.kubernetes);
const set =
  (section: string, value: Record<string, unknown>): Edit =>
  (inv) => {
    inv.spec[section] = { ...(inv.spec[section] ?? {}), ...value };
  };
const kubeVip = k8s((k) => {
  delete k.controlPlaneEndpoint;
  k.loadBalancer = { type: 'kube-vip', vip: '10.199.0.100', interface: 'eth0' };
});
/** Dual-stack subnets and an IPv6 address on every host: the context address6 needs to validate. */
const dualStack: Edit = (inv) => {
  inv.spec.kubernetes = {
    ...inv.spec.kubernetes,
    podSubnet: '10.244.0.0/16,fd00:10:244::/56',
    serviceSubnet: '10.96.0.0/12,fd00:10:96::/112',
  };
  inv.spec.hosts.forEach((h: Record<string, unknown>, i: number) => (h.address6 = `fd00:56::${11 + i}`));
};
const cilium: Edit = (inv) => (inv.spec.network = { plugin: 'cilium' });

/**
 * For each leaf field: `change` sets a distinctive value; `context` (optional) is applied to both sides first, for
 * fields that only matter in some setups (cilium's version with plugin cilium).
 */
const EFFECTS: Record<string, { change: Edit; context?: Edit }> = {
  'metadata.name': { change: (inv) => (inv.metadata.name = 'prod-eu') },
  'spec.hosts[].name': { change: host(1, (h) => (h.name = 'worker-a')) },
  'spec.hosts[].address': { change: host(1, (h) => (h.address = '10.199.0.21')) },
  'spec.hosts[].internalAddress': { change: host(1, (h) => (h.internalAddress = '10.199.1.11')) },
  'spec.hosts[].address6': { change: host(1, (h) => (h.address6 = 'fd00:56::99')), context: dualStack },
  'spec.hosts[].roles': { change: host(1, (h) => (h.roles = ['control-plane', 'worker'])) },
  'spec.hosts[].labels': { change: host(1, (h) => (h.labels = { 'example.com/rack': 'r7' })) },
  'spec.hosts[].taints[].key': {
    change: host(1, (h) => (h.taints[0].key = 'example.com/other')),
    context: host(1, (h) => (h.taints = [{ key: 'example.com/gpu', effect: 'NoSchedule' }])),
  },
  'spec.hosts[].taints[].value': {
    change: host(1, (h) => (h.taints[0].value = 'a100')),
    context: host(1, (h) => (h.taints = [{ key: 'example.com/gpu', effect: 'NoSchedule' }])),
  },
  'spec.hosts[].taints[].effect': {
    change: host(1, (h) => (h.taints[0].effect = 'NoExecute')),
    context: host(1, (h) => (h.taints = [{ key: 'example.com/gpu', effect: 'NoSchedule' }])),
  },
  'spec.kubernetes.version': { change: k8s((k) => (k.version = '1.33.4')) },
  'spec.kubernetes.controlPlaneEndpoint': { change: k8s((k) => (k.controlPlaneEndpoint = 'lb.demo.internal:8443')) },
  'spec.kubernetes.imageRepository': { change: k8s((k) => (k.imageRepository = 'registry.example.internal/k8s')) },
  'spec.kubernetes.podSubnet': { change: k8s((k) => (k.podSubnet = '10.32.0.0/16')) },
  'spec.kubernetes.serviceSubnet': { change: k8s((k) => (k.serviceSubnet = '10.100.0.0/16')) },
  'spec.kubernetes.dnsDomain': { change: k8s((k) => (k.dnsDomain = 'cluster.example')) },
  'spec.kubernetes.proxyMode': { change: k8s((k) => (k.proxyMode = 'ipvs')) },
  'spec.kubernetes.certSANs': { change: k8s((k) => (k.certSANs = ['api.example.com'])) },
  'spec.kubernetes.packageRepository': { change: k8s((k) => (k.packageRepository = 'https://mirror.example.internal/k8s')) },
  'spec.kubernetes.loadBalancer.type': {
    change: k8s((k) => (k.loadBalancer.type = 'external')),
    context: k8s((k) => (k.loadBalancer = { type: 'kube-vip', vip: '10.199.0.100', interface: 'eth0' })),
  },
  'spec.kubernetes.loadBalancer.vip': { change: k8s((k) => (k.loadBalancer.vip = '10.199.0.101')), context: kubeVip },
  'spec.kubernetes.loadBalancer.interface': { change: k8s((k) => (k.loadBalancer.interface = 'ens3')), context: kubeVip },
  'spec.kubernetes.loadBalancer.image': {
    change: k8s((k) => (k.loadBalancer.image = 'registry.example.internal/kube-vip:v0.9.0')),
    context: kubeVip,
  },
  'spec.containerRuntime.type': { change: set('containerRuntime', { type: 'docker' }) },
  'spec.containerRuntime.registryMirrors': {
    change: set('containerRuntime', { registryMirrors: { 'docker.io': ['https://mirror.example.internal'] } }),
  },
  'spec.containerRuntime.insecureRegistries': { change: set('containerRuntime', { insecureRegistries: ['reg.example.internal:5000'] }) },
  'spec.network.plugin': { change: (inv) => (inv.spec.network = { plugin: 'none' }) },
  'spec.network.flannel.version': { change: (inv) => (inv.spec.network = { flannel: { version: '0.27.0' } }) },
  'spec.network.flannel.backend': { change: (inv) => (inv.spec.network = { flannel: { backend: 'host-gw' } }) },
  'spec.network.flannel.directRouting': { change: (inv) => (inv.spec.network = { flannel: { directRouting: true } }) },
  'spec.network.flannel.iface': { change: (inv) => (inv.spec.network = { flannel: { iface: 'ens4' } }) },
  'spec.network.cilium.version': { change: (inv) => (inv.spec.network.cilium = { version: '1.18.0' }), context: cilium },
  'spec.network.cilium.kubeProxyReplacement': {
    change: (inv) => (inv.spec.network.cilium = { kubeProxyReplacement: true }),
    context: cilium,
  },
  'spec.hostPrep.swap': { change: set('hostPrep', { swap: 'keep' }) },
  'spec.hostPrep.selinux': { change: set('hostPrep', { selinux: 'keep' }) },
  'spec.hostPrep.firewall': { change: set('hostPrep', { firewall: 'keep' }) },
  'spec.hostPrep.etcHosts': { change: set('hostPrep', { etcHosts: false }) },
  'spec.hostPrep.setHostname': { change: set('hostPrep', { setHostname: false }) },
  'spec.hostPrep.timeSync.servers': { change: set('hostPrep', { timeSync: { servers: ['ntp.example.internal'] } }) },
  'spec.offline.bundle': { change: set('offline', { bundle: 'bundle-1.34' }) },
  'spec.offline.extraImages': { change: set('offline', { extraImages: ['registry.example.internal/app:1.0'] }) },
  'spec.controlPlane.schedulable': { change: set('controlPlane', { schedulable: true }) },
  'spec.kubelet.maxPods': { change: set('kubelet', { maxPods: 64 }) },
  'spec.kubelet.systemReserved.cpu': { change: set('kubelet', { systemReserved: { cpu: '500m' } }) },
  'spec.kubelet.systemReserved.memory': { change: set('kubelet', { systemReserved: { memory: '512Mi' } }) },
  'spec.kubelet.systemReserved.ephemeral-storage': { change: set('kubelet', { systemReserved: { 'ephemeral-storage': '1Gi' } }) },
  'spec.kubelet.systemReserved.pid': { change: set('kubelet', { systemReserved: { pid: '1000' } }) },
  'spec.kubelet.kubeReserved.cpu': { change: set('kubelet', { kubeReserved: { cpu: '250m' } }) },
  'spec.kubelet.kubeReserved.memory': { change: set('kubelet', { kubeReserved: { memory: '256Mi' } }) },
  'spec.kubelet.kubeReserved.ephemeral-storage': { change: set('kubelet', { kubeReserved: { 'ephemeral-storage': '2Gi' } }) },
  'spec.kubelet.kubeReserved.pid': { change: set('kubelet', { kubeReserved: { pid: '500' } }) },
  'spec.kubelet.evictionHard.memory.available': { change: set('kubelet', { evictionHard: { 'memory.available': '300Mi' } }) },
  'spec.kubelet.evictionHard.nodefs.available': { change: set('kubelet', { evictionHard: { 'nodefs.available': '12%' } }) },
  'spec.kubelet.evictionHard.nodefs.inodesFree': { change: set('kubelet', { evictionHard: { 'nodefs.inodesFree': '7%' } }) },
  'spec.kubelet.evictionHard.imagefs.available': { change: set('kubelet', { evictionHard: { 'imagefs.available': '20%' } }) },
  'spec.kubelet.evictionHard.imagefs.inodesFree': { change: set('kubelet', { evictionHard: { 'imagefs.inodesFree': '8%' } }) },
  'spec.kubelet.evictionHard.pid.available': { change: set('kubelet', { evictionHard: { 'pid.available': '5%' } }) },
  'spec.kubelet.extraArgs': { change: set('kubelet', { extraArgs: { v: '4' } }) },
  'spec.kubelet.serverTLSBootstrap': { change: set('kubelet', { serverTLSBootstrap: true }) },
  'spec.certificates.validity': { change: set('certificates', { validity: '2000h' }) },
  'spec.certificates.caValidity': { change: set('certificates', { caValidity: '43800h' }) },
};

/**
 * Fields whose effect is how kubesmith reaches the hosts, not what it renders or runs there: each names the test
 * that proves the effect against a real sshd (test/contract) or the transport's own unit tests.
 */
const TRANSPORT_FIELDS: Record<string, { why: string; provenBy: string }> = {
  apiVersion: { why: 'format identifier: one value is accepted', provenBy: 'test/unit/inventory/load.test.ts' },
  kind: { why: 'format identifier: one value is accepted', provenBy: 'test/unit/inventory/load.test.ts' },
  'spec.ssh.user': { why: 'SSH login user', provenBy: 'test/contract/ssh.test.ts' },
  'spec.ssh.port': { why: 'SSH port', provenBy: 'test/contract/ssh-connect.test.ts' },
  'spec.ssh.keyPath': { why: 'SSH private key', provenBy: 'test/contract/ssh-connect.test.ts' },
  'spec.ssh.passwordEnv': { why: 'SSH/sudo password source', provenBy: 'test/contract/ssh.test.ts' },
  'spec.ssh.knownHostsPath': { why: 'host key verification', provenBy: 'test/contract/ssh-connect.test.ts' },
  'spec.ssh.hostKeyPolicy': { why: 'host key verification', provenBy: 'test/contract/ssh-connect.test.ts' },
  'spec.ssh.sudo': { why: 'privilege wrapper of every remote command', provenBy: 'test/unit/transport/wrapper.test.ts' },
  'spec.ssh.bastion.address': { why: 'jump host', provenBy: 'test/contract/ssh-connect.test.ts' },
  'spec.ssh.bastion.port': { why: 'jump host', provenBy: 'test/contract/ssh-connect.test.ts' },
  'spec.ssh.bastion.user': { why: 'jump host', provenBy: 'test/contract/ssh-connect.test.ts' },
  'spec.ssh.bastion.keyPath': { why: 'jump host', provenBy: 'test/contract/ssh-connect.test.ts' },
  'spec.ssh.connectTimeoutSeconds': { why: 'per connection attempt', provenBy: 'test/contract/ssh-timeouts.test.ts' },
  'spec.ssh.commandTimeoutSeconds': { why: 'per remote command', provenBy: 'test/contract/ssh-timeouts.test.ts' },
  'spec.ssh.maxChannels': { why: 'channels per connection', provenBy: 'test/contract/ssh-connect.test.ts' },
  'spec.hosts[].ssh.user': { why: 'per-host SSH override', provenBy: 'test/contract/ssh-connect.test.ts' },
  'spec.hosts[].ssh.port': { why: 'per-host SSH override', provenBy: 'test/contract/ssh-connect.test.ts' },
  'spec.hosts[].ssh.keyPath': { why: 'per-host SSH override', provenBy: 'test/contract/ssh-connect.test.ts' },
  'spec.hosts[].ssh.passwordEnv': { why: 'per-host SSH override', provenBy: 'test/contract/ssh.test.ts' },
  // not transport, but likewise nothing rendered or planned: the admin machine refuses an unsigned bundle before any host is reached
  'spec.offline.publicKey': {
    why: 'bundle signature checked before anything is uploaded',
    provenBy: 'test/unit/bundle/bundle-trust.test.ts',
  },
  // likewise: it lets validate accept a validity the guard-rail rule refuses; what is then rendered is validity's effect
  'spec.certificates.acknowledgeLongValidity': {
    why: 'accepts a validity over 5 years (certificates) or 30 years (CAs) that rule certificate-validity-long refuses',
    provenBy: 'test/unit/inventory/certificate-rules.test.ts',
  },
};

describe('every inventory field has an effect', () => {
  const leaves = leafPaths(inventorySchema);

  it('the schema walk finds every field, and each has an effect or a justified allow-list entry', () => {
    expect(leaves).toContain('spec.hosts[].taints[].effect');
    expect(leaves).toContain('spec.kubelet.evictionHard.memory.available');
    const unaccounted = leaves.filter((p) => !(p in EFFECTS) && !(p in TRANSPORT_FIELDS));
    expect(unaccounted, 'fields with neither an effect test nor an allow-list entry').toEqual([]);
    const stale = [...Object.keys(EFFECTS), ...Object.keys(TRANSPORT_FIELDS)].filter((p) => !leaves.includes(p));
    expect(stale, 'entries for fields the schema does not have').toEqual([]);
  });

  it('the surface is deterministic: the same inventory gives the same value', async () => {
    expect(await surface(await load(() => {}))).toBe(await surface(await load(() => {})));
  });

  it.each(Object.keys(EFFECTS))('%s changes what kubesmith renders or plans', async (path) => {
    const { change, context = () => {} } = EFFECTS[path]!;
    const before = await surface(await load(context));
    const after = await surface(
      await load((inv) => {
        context(inv);
        change(inv);
      }),
    );
    expect(after).not.toBe(before);
  });

  it('transport fields name a test that exercises them', () => {
    for (const [path, { provenBy }] of Object.entries(TRANSPORT_FIELDS)) {
      expect(existsSync(provenBy), `${path}: ${provenBy}`).toBe(true);
      const field = path.split('.').pop()!.replace('[]', '');
      expect(readFileSync(provenBy, 'utf8'), `${provenBy} never mentions ${field}`).toContain(field);
    }
  });
});
