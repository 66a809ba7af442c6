/** Lab helpers for the reset/recover/etcd e2e tests: a cluster whose etcd is Debian's real etcd (3.4). */
import { join } from 'node:path';
import { labUp, type Lab, type Os } from '../lab/lab.js';
import { REAL_BIN_DIR } from '../lab/hosts.js';
import { kubesmith, seedAptKeys } from './helpers.js';
import { bridgeIp, startLabRegistry, type LabRegistry } from './registry.js';

export const ADMIN = '/etc/kubernetes/admin.conf';
const TLS =
  '--cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt --key=/etc/kubernetes/pki/etcd/healthcheck-client.key';

/**
 * The test's own etcdctl on a control plane against its local member: the etcd image's real binary in the lab's
 * real-bin directory (the hosts have no etcdctl on their PATH, as stock hosts do not).
 */
export function etcdctl(lab: Lab, host: string, args: string, endpoint = 'https://127.0.0.1:2379') {
  return lab.exec(host, `${REAL_BIN_DIR}/etcdctl --endpoints=${endpoint} ${TLS} --command-timeout=15s ${args}`, { timeoutMs: 60_000 });
}

/** etcd tools a host offers on its PATH (root's and the kube user's): none on a stock host. */
export async function etcdToolsOnPath(lab: Lab, host: string): Promise<string[]> {
  const found: string[] = [];
  for (const user of ['root', 'kube'] as const) {
    const r = await lab.exec(host, 'for t in etcd etcdctl etcdutl; do command -v "$t"; done; true', user === 'kube' ? { user } : {});
    found.push(
      ...r.stdout
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean),
    );
  }
  return [...new Set(found)];
}

/** Retry a write/read as against real hosts: after a leader crash the first request may time out. */
export async function etcdctlRetry(lab: Lab, host: string, args: string, tries = 6) {
  let r = await etcdctl(lab, host, args);
  for (let i = 1; i < tries && r.code !== 0; i++) {
    await new Promise((res) => setTimeout(res, 3000));
    r = await etcdctl(lab, host, args);
  }
  return r;
}

/** Wait until `etcdctl endpoint health` passes on the host. */
export async function waitEtcd(lab: Lab, host: string, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const r = await etcdctl(lab, host, 'endpoint health');
    if (r.code === 0) return;
    if (Date.now() > end)
      throw new Error(`etcd on ${host} not healthy: ${r.stderr}\n${lab.readFile(host, '/var/log/lab/etcd.log')?.slice(-3000)}`);
    await new Promise((res) => setTimeout(res, 1000));
  }
}

export interface EtcdLab {
  lab: Lab;
  inv: string;
  cps: string[];
  workers: string[];
  registry: LabRegistry;
  down(): Promise<void>;
}

/** Control planes + workers (6 in upgrade-ha), real etcd opted in on every host, inventory written; `os`: per host. */
export async function upEtcdLab(name: string, cps: string[], workers: string[], os: Partial<Record<string, Os>> = {}): Promise<EtcdLab> {
  // Real etcd on (the point of these tests); containerd stays emulated whatever the host count, so image pulls
  // are the lab's fast emulated ones (the real-containerd path is tested by its owner).
  const lab = await labUp({
    name,
    hosts: [...cps, ...workers].map((n) => ({ name: n, ...(os[n] ? { os: os[n] } : {}) })),
    env: { LAB_REAL_ETCD: '1', LAB_REAL_CONTAINERD: '0' },
  });
  await seedAptKeys(lab);
  await Promise.all(lab.hosts.map((h) => lab.exec(h.name, 'mkdir -p /etc/lab && touch /etc/lab/real-etcd')));
  const inv = join(lab.root, 'inventory.yaml');
  const cp1 = lab.hosts.find((h) => h.name === cps[0])!.ip;
  const registry = await startLabRegistry(bridgeIp(lab.subnet));
  const extra = {
    kubernetes: { version: '1.34.1', podSubnet: '10.244.0.0/16', ...(cps.length > 1 ? { controlPlaneEndpoint: `${cp1}:6443` } : {}) },
    network: { plugin: 'flannel', flannel: { backend: 'vxlan' } },
    containerRuntime: { registryMirrors: { 'registry.k8s.io': [registry.url], 'ghcr.io': [registry.url] } },
  };
  lab.writeInventory(inv, { controlPlanes: cps, workers, extra });
  return {
    lab,
    inv,
    cps,
    workers,
    registry,
    down: async () => {
      await registry.close();
      await lab.down();
    },
  };
}

export async function applyCluster(e: EtcdLab, cwd: string): Promise<void> {
  const run = await kubesmith(['apply', '-i', e.inv, '--output', 'json'], cwd);
  if (run.code !== 0) throw new Error(`apply failed:\n${run.stdout.slice(-4000)}\n${run.stderr.slice(-2000)}`);
}

/** Member names of the real etcd cluster as seen from a host. */
export async function memberNames(lab: Lab, host: string): Promise<string[]> {
  const r = await etcdctlRetry(lab, host, 'member list -w json');
  if (r.code !== 0) throw new Error(`member list on ${host}: ${r.stderr}`);
  const data = JSON.parse(r.stdout.replace(/"ID":(\d+)/g, '"ID":"$1"')) as { members: { name: string }[] };
  return data.members.map((m) => m.name).sort();
}
