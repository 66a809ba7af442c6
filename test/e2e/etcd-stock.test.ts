/**
 * etcd tools on stock hosts (issue 12 item 1): lab hosts offer what their cloud image offers (no etcd client), so the
 * only etcdctl/etcdutl are the etcd image's. `apply` → `etcd backup` → a workload (a Deployment and a ConfigMap
 * applied with kubectl, stored in the real etcd) → `reset --yes` → `recover --from-snapshot --yes` with the snapshot
 * reset took: the cluster and the workload are back; at no point is an etcd tool on a host's PATH.
 */
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labDown } from '../lab/lab.js';
import { kubesmith, labReady } from './helpers.js';
import { ADMIN, applyCluster, etcdToolsOnPath, etcdctlRetry, upEtcdLab, waitEtcd, type EtcdLab } from './etcd-lab.js';

const NAME = 'e2e-etcd-stock';
const WORKLOAD = `apiVersion: v1
kind: ConfigMap
metadata:
  name: shop-config
  namespace: default
data:
  greeting: hello from before the reset
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
  namespace: default
spec:
  replicas: 1
  selector:
    matchLabels: { app: shop }
  template:
    metadata:
      labels: { app: shop }
    spec:
      containers:
        - name: shop
          image: registry.k8s.io/pause:3.10
`;

describe.skipIf(!labReady())('etcd backup / reset / recover on stock hosts (the etcd image\'s tools only)', () => {
  let e: EtcdLab;
  let cwd: string;
  const hosts = ['cp1', 'w1'];
  const noToolsAnywhere = async (when: string) => {
    for (const h of hosts) expect(await etcdToolsOnPath(e.lab, h), `${when}: ${h}`).toEqual([]);
  };
  beforeAll(async () => {
    e = await upEtcdLab(NAME, ['cp1'], ['w1']);
    cwd = mkdtempSync(join(tmpdir(), 'ks-etcd-stock-'));
  }, 300_000);
  afterAll(async () => {
    if (e) await e.down();
    else await labDown(NAME).catch(() => {});
  }, 120_000);

  it('apply → etcd backup → workload → reset --yes → recover --from-snapshot --yes: cluster and workload back', async () => {
    await noToolsAnywhere('fresh hosts');
    await applyCluster(e, cwd);
    await waitEtcd(e.lab, 'cp1');
    await noToolsAnywhere('after apply');

    const backup = await kubesmith(['etcd', 'backup', '-i', e.inv], cwd);
    expect(backup.code, backup.stdout.slice(-3000) + backup.stderr).toBe(0);
    const dir = join(cwd, '.kubesmith', e.lab.name, 'etcd');
    const first = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
    expect(first).toHaveLength(1);
    const rec = JSON.parse(readFileSync(join(dir, first[0]!), 'utf8')) as { status: { hash: number; revision: number; totalKey: number }; sha256: string; workloads: number };
    expect(rec.status.totalKey).toBeGreaterThan(0);
    expect(rec.status.revision).toBeGreaterThan(0);
    expect(typeof rec.status.hash).toBe('number');
    expect(rec.sha256).toMatch(/^[0-9a-f]{64}$/);
    // how the tools were reached: crictl exec into the etcd pod, the etcd image run for the offline check
    const journal = e.lab.journal('cp1');
    expect(journal.some((l) => / crictl --runtime-endpoint \S+ exec [0-9a-f]{64} etcdctl .*snapshot save /.test(l))).toBe(true);
    expect(journal.some((l) => / ctr -n k8s\.io run --rm .*registry\.k8s\.io\/etcd:\S+ kubesmith-etcd-[0-9a-f]+ etcdctl snapshot status /.test(l))).toBe(true);

    const applied = await e.lab.exec('cp1', `kubectl --kubeconfig ${ADMIN} apply -f -`, { input: WORKLOAD });
    expect(applied.code, applied.stderr).toBe(0);
    // the API's storage is etcd: the objects are there under the apiserver's keys
    expect((await etcdctlRetry(e.lab, 'cp1', 'get /registry/deployments/default/shop --keys-only')).stdout.trim()).toBe('/registry/deployments/default/shop');

    const reset = await kubesmith(['reset', '-i', e.inv, '--yes'], cwd);
    expect(reset.code, reset.stdout.slice(-4000)).toBe(0);
    expect((await e.lab.exec('cp1', 'ls -A /var/lib/etcd 2>/dev/null; test -e /etc/kubernetes/manifests/etcd.yaml && echo manifest; true')).stdout.trim()).toBe('');
    const dbs = readdirSync(dir).filter((f) => f.endsWith('.db')).sort();
    expect(dbs).toHaveLength(2);
    const resetSnapshot = join(dir, dbs[1]!);
    const resetRec = JSON.parse(readFileSync(resetSnapshot.replace(/\.db$/, '.json'), 'utf8')) as { workloads: number };
    expect(resetRec.workloads).toBeGreaterThan(rec.workloads);
    await noToolsAnywhere('after reset');
    // the lab's API state forgot the cluster with its last control plane: only etcd can bring the workload back
    expect(readFileSync(join(e.lab.clusterDir, 'state.json'), 'utf8')).not.toContain('shop-config');

    const recover = await kubesmith(['recover', '-i', e.inv, '--from-snapshot', resetSnapshot, '--yes', '--output', 'json'], cwd);
    expect(recover.code, recover.stdout.slice(-5000)).toBe(0);
    // no etcd ran during the restore: the image's tool restored the data dir
    expect(e.lab.journal('cp1').some((l) => / ctr -n k8s\.io run --rm .* etcdctl snapshot restore \/var\/lib\/kubesmith\/recover\//.test(l))).toBe(true);
    await waitEtcd(e.lab, 'cp1');
    const got = await e.lab.exec('cp1', `kubectl --kubeconfig ${ADMIN} get deployment shop -o jsonpath='{.metadata.name}'; echo; kubectl --kubeconfig ${ADMIN} get configmap shop-config -o jsonpath='{.data.greeting}'`);
    expect(got.code, got.stderr).toBe(0);
    expect(got.stdout).toBe('shop\nhello from before the reset');
    const nodes = await e.lab.exec('cp1', `kubectl --kubeconfig ${ADMIN} get nodes -o name`);
    expect(nodes.stdout.trim().split('\n').sort()).toEqual(['node/cp1', 'node/w1']);
    await noToolsAnywhere('after recover');
  }, 2_400_000);
});
