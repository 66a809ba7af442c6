/**
 * etcd tools on stock hosts (issue 12 item 1): lab hosts offer what their cloud image offers (no etcd client), so the
 * only etcdctl/etcdutl are the etcd image's. The flow: etcd-stock-flow.ts. The lab registry is shut after apply:
 * nothing after it can pull (the hosts have no route out anyway).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { labDown } from '../lab/lab.js';
import { labReady } from './helpers.js';
import { upEtcdLab, type EtcdLab } from './etcd-lab.js';
import { backupResetRecover } from './etcd-stock-flow.js';

const NAME = 'e2e-etcd-stock';

describe.skipIf(!labReady())("etcd backup / reset / recover on stock hosts (the etcd image's tools only)", () => {
  let e: EtcdLab;
  beforeAll(async () => {
    e = await upEtcdLab(NAME, ['cp1'], ['w1']);
  }, 300_000);
  afterAll(async () => {
    if (e) await e.down();
    else await labDown(NAME).catch(() => {});
  }, 120_000);

  it('apply → etcd backup → workload → reset --yes → recover --from-snapshot --yes: cluster and workload back', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'ks-etcd-stock-'));
    await backupResetRecover({ lab: e.lab, inv: e.inv, cwd, hosts: ['cp1', 'w1'], afterApply: () => e.registry.close() });
  }, 2_400_000);
});
