/**
 * loadBalancer local (no VIP): every worker runs haproxy as a static pod on 127.0.0.1:6443 in front of every control
 * plane, and its kubelet reaches the API through it. A control plane added later reaches every worker's proxy; with
 * one control plane's API server stopped the workers stay Ready (the lab's proxy passes connections only to running
 * API servers, read from the haproxy config the product wrote); with all of them stopped a worker goes NotReady.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../lab/lab.js';
import { changedCount, hostOutcomes, kubesmith, labCluster, labReady, type LabCluster } from './helpers.js';

const NAME = 'e2e-lb-local';
const CONFIG = '/etc/kubernetes/apiserver-proxy/haproxy.cfg';
const MANIFEST = '/etc/kubernetes/manifests/apiserver-proxy.yaml';
const APISERVER = '/etc/kubernetes/manifests/kube-apiserver.yaml';

describe.skipIf(!labReady())('apply: loadBalancer local, a health-checked API proxy on every worker', () => {
  let c: LabCluster;
  let lab: Lab;
  let inv: string;
  const ip = (name: string) => lab.hosts.find((h) => h.name === name)!.ip;
  const servers = (config: string | null) => [...(config ?? '').matchAll(/^\s+server \S+ (\S+)$/gm)].map((m) => m[1]);
  /** Ready status per node, asked of one control plane's own API server (the lab does not refuse a direct connection
   *  to a stopped one, so the question goes to one that runs). */
  const ready = async (via = 'cp3'): Promise<Record<string, string>> => {
    const out = await lab.exec(via, `kubectl --kubeconfig /etc/kubernetes/admin.conf --server https://${ip(via)}:6443 get nodes -o json`);
    const items = (JSON.parse(out.stdout) as { items: any[] }).items;
    return Object.fromEntries(items.map((n) => [n.metadata.name, n.status.conditions.find((x: any) => x.type === 'Ready')?.status]));
  };
  const editInventory = (edit: (spec: Record<string, any>) => void) => {
    const doc = parse(readFileSync(inv, 'utf8'));
    edit(doc.spec);
    writeFileSync(inv, stringify(doc, { lineWidth: 0 }));
  };

  beforeAll(async () => {
    c = await labCluster(
      NAME,
      ['cp1', 'cp2', 'cp3', 'w1', 'w2'].map((name) => ({ name })),
    );
    lab = c.lab;
    inv = c.inventory;
    const registry = c.mirrors.containerRuntime.registryMirrors['registry.k8s.io']!;
    lab.writeInventory(inv, {
      controlPlanes: ['cp1', 'cp2'],
      workers: ['w1', 'w2'],
      extra: {
        kubernetes: { loadBalancer: { type: 'local' } },
        // haproxy comes from Docker Hub: the lab registry stands in for it too
        containerRuntime: { registryMirrors: { ...c.mirrors.containerRuntime.registryMirrors, 'docker.io': registry } },
      },
    });
    // cp3 joins on the second apply
    editInventory((spec) => (spec.hosts = spec.hosts.filter((h: { name: string }) => h.name !== 'cp3')));
  }, 120_000);

  afterAll(async () => {
    await c?.down();
  }, 120_000);

  it("two control planes: the worker's kubelet reaches the API through its proxy, kube-proxy through localhost", async () => {
    const run = await kubesmith(['apply', '-i', inv, '--output', 'json']);
    expect(run.code, run.stdout.slice(-5000)).toBe(0);
    expect(lab.readFile('w1', '/etc/kubernetes/kubelet.conf')).toContain('server: https://localhost:6443');
    expect(lab.readFile('cp2', '/etc/kubernetes/kubelet.conf')).not.toContain('localhost');
    expect(servers(lab.readFile('w1', CONFIG))).toEqual([`${ip('cp1')}:6443`, `${ip('cp2')}:6443`]);
    expect(lab.readFile('cp1', MANIFEST)).toBeNull(); // control planes use their own API server
    const cm = async (ns: string, name: string) =>
      JSON.parse((await lab.exec('cp1', `kubectl --kubeconfig /etc/kubernetes/admin.conf -n ${ns} get configmap ${name} -o json`)).stdout)
        .data;
    expect(parse((await cm('kube-system', 'kubeadm-config')).ClusterConfiguration).controlPlaneEndpoint).toBe(`${ip('cp1')}:6443`);
    expect((await cm('kube-system', 'kube-proxy'))['kubeconfig.conf']).toContain('server: https://localhost:6443');
    expect(await ready('cp2')).toEqual({ cp1: 'True', cp2: 'True', w1: 'True', w2: 'True' });
  }, 1_500_000);

  it('a control plane added: every worker proxy lists it (a new config and manifest); the kubelet is left alone', async () => {
    const manifestBefore = lab.readFile('w1', MANIFEST);
    editInventory((spec) => spec.hosts.splice(2, 0, { name: 'cp3', address: ip('cp3'), roles: ['control-plane'] }));
    const run = await kubesmith(['apply', '-i', inv, '--output', 'json']);
    expect(run.code, run.stdout.slice(-5000)).toBe(0);
    const changed = hostOutcomes(run)
      .filter((e) => e.host === 'w1' && e.outcome === 'changed')
      .map((e) => e.task);
    expect(changed).toContain('loadbalancer.proxy');
    expect(changed).not.toContain('loadbalancer.kubelet');
    expect(servers(lab.readFile('w1', CONFIG))).toEqual([`${ip('cp1')}:6443`, `${ip('cp2')}:6443`, `${ip('cp3')}:6443`]);
    expect(lab.readFile('w1', MANIFEST)).not.toBe(manifestBefore); // the config's hash: the kubelet restarts the pod
    expect(await ready()).toEqual({ cp1: 'True', cp2: 'True', cp3: 'True', w1: 'True', w2: 'True' });
  }, 1_500_000);

  it("one control plane's API server stopped: the workers stay Ready through the others; all stopped: NotReady", async () => {
    const stop = (h: string) => lab.exec(h, `mv ${APISERVER} /root/kube-apiserver.yaml && lab-node-sync`);
    const start = (h: string) => lab.exec(h, `mv /root/kube-apiserver.yaml ${APISERVER} && lab-node-sync`);
    const syncWorkers = () => Promise.all(['w1', 'w2'].map((w) => lab.exec(w, 'lab-node-sync'))); // kubelets post status
    // cp1 first: the first server of the proxy's backend and the cluster's registered endpoint
    await stop('cp1');
    await syncWorkers();
    expect(await ready()).toMatchObject({ w1: 'True', w2: 'True' });
    await stop('cp2');
    await stop('cp3');
    await syncWorkers();
    expect(await ready()).toMatchObject({ w1: 'Unknown', w2: 'Unknown' }); // their kubelets post no status
    expect(lab.readFile('w1', '/var/log/lab/kubelet.log')).toContain('Get \\"https://localhost:6443/api/v1/nodes/w1?timeout=10s\\": EOF');
    for (const h of ['cp1', 'cp2', 'cp3']) await start(h);
    await syncWorkers();
    expect(await ready()).toEqual({ cp1: 'True', cp2: 'True', cp3: 'True', w1: 'True', w2: 'True' });
  }, 300_000);

  it('a second apply changes nothing', async () => {
    const again = await kubesmith(['apply', '-i', inv, '--output', 'json']);
    expect(again.code, again.stdout.slice(-3000)).toBe(0);
    expect(changedCount(again)).toBe(0);
  }, 1_500_000);
});
