/**
 * The stock-host proof of issue 12 item 1, shared by the online and the air-gapped variant: `apply` → `etcd backup`
 * (verified: hash, revision, keys) → a workload (a Deployment and a ConfigMap applied with kubectl, stored in the real
 * etcd) → `reset --yes` → `recover --from-snapshot --yes` with the snapshot reset took: cluster and workload back,
 * and at no point an etcd tool on a host's PATH.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Lab } from '../lab/lab.js';
import { kubesmith } from './helpers.js';
import { ADMIN, etcdToolsOnPath, etcdctlRetry, waitEtcd } from './etcd-lab.js';

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

export interface StockFlow {
  lab: Lab;
  inv: string;
  cwd: string;
  hosts: string[];
  /** called once apply succeeded (e.g. to shut the lab registry) */
  afterApply?: () => Promise<void>;
}

export async function backupResetRecover(f: StockFlow): Promise<void> {
  const e = { lab: f.lab, inv: f.inv };
  const { cwd, hosts } = f;
  const noToolsAnywhere = async (when: string) => {
    for (const h of hosts) expect(await etcdToolsOnPath(e.lab, h), `${when}: ${h}`).toEqual([]);
  };
  await noToolsAnywhere('fresh hosts');
  const apply = await kubesmith(['apply', '-i', e.inv, '--output', 'json'], cwd);
  expect(apply.code, apply.stdout.slice(-4000) + apply.stderr.slice(-2000)).toBe(0);
  await waitEtcd(e.lab, 'cp1');
  await noToolsAnywhere('after apply');
  await f.afterApply?.();

  const backup = await kubesmith(['etcd', 'backup', '-i', e.inv], cwd);
  expect(backup.code, backup.stdout.slice(-3000) + backup.stderr).toBe(0);
  const dir = join(cwd, '.kubesmith', e.lab.name, 'etcd');
  const first = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  expect(first).toHaveLength(1);
  const rec = JSON.parse(readFileSync(join(dir, first[0]!), 'utf8')) as {
    status: { hash: number; revision: number; totalKey: number };
    sha256: string;
    workloads: number;
  };
  expect(rec.status.totalKey).toBeGreaterThan(0);
  expect(rec.status.revision).toBeGreaterThan(0);
  expect(typeof rec.status.hash).toBe('number');
  expect(rec.sha256).toMatch(/^[0-9a-f]{64}$/);
  // how the tools were reached: crictl exec into the etcd pod, the etcd image run for the offline check
  const journal = e.lab.journal('cp1');
  expect(journal.some((l) => / crictl --runtime-endpoint \S+ exec [0-9a-f]{64} etcdctl .*snapshot save /.test(l))).toBe(true);
  expect(
    journal.some((l) => / ctr -n k8s\.io run --rm .*registry\.k8s\.io\/etcd:\S+ kubesmith-etcd-[0-9a-f]+ etcdctl snapshot status /.test(l)),
  ).toBe(true);

  const applied = await e.lab.exec('cp1', `kubectl --kubeconfig ${ADMIN} apply -f -`, { input: WORKLOAD });
  expect(applied.code, applied.stderr).toBe(0);
  // the API's storage is etcd: the objects are there under the apiserver's keys
  expect((await etcdctlRetry(e.lab, 'cp1', 'get /registry/deployments/default/shop --keys-only')).stdout.trim()).toBe(
    '/registry/deployments/default/shop',
  );

  const reset = await kubesmith(['reset', '-i', e.inv, '--yes'], cwd);
  expect(reset.code, reset.stdout.slice(-4000)).toBe(0);
  expect(
    (
      await e.lab.exec('cp1', 'ls -A /var/lib/etcd 2>/dev/null; test -e /etc/kubernetes/manifests/etcd.yaml && echo manifest; true')
    ).stdout.trim(),
  ).toBe('');
  const dbs = readdirSync(dir)
    .filter((f) => f.endsWith('.db'))
    .sort();
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
  expect(
    e.lab.journal('cp1').some((l) => / ctr -n k8s\.io run --rm .* etcdctl snapshot restore \/var\/lib\/kubesmith\/recover\//.test(l)),
  ).toBe(true);
  await waitEtcd(e.lab, 'cp1');
  const got = await e.lab.exec(
    'cp1',
    `kubectl --kubeconfig ${ADMIN} get deployment shop -o jsonpath='{.metadata.name}'; echo; kubectl --kubeconfig ${ADMIN} get configmap shop-config -o jsonpath='{.data.greeting}'`,
  );
  expect(got.code, got.stderr).toBe(0);
  expect(got.stdout).toBe('shop\nhello from before the reset');
  const nodes = await e.lab.exec('cp1', `kubectl --kubeconfig ${ADMIN} get nodes -o name`);
  expect(nodes.stdout.trim().split('\n').sort()).toEqual(hosts.map((h) => `node/${h}`).sort());
  await noToolsAnywhere('after recover');
}
