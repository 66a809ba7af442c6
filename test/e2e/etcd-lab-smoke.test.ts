/** The lab's real etcd: kubeadm init/join start Debian's etcd from the static pod manifest; members follow joins and resets. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labDown } from '../lab/lab.js';
import { labReady } from './helpers.js';
import { applyCluster, etcdctl, memberNames, upEtcdLab, waitEtcd, type EtcdLab } from './etcd-lab.js';

const NAME = 'e2e-etcd-smoke';

describe.skipIf(!labReady())('lab: real etcd behind the etcd static pod', () => {
  let e: EtcdLab;
  beforeAll(async () => {
    e = await upEtcdLab(NAME, ['cp1', 'cp2', 'cp3'], []);
  }, 120_000);
  afterAll(async () => {
    if (e) await e.down();
    else await labDown(NAME).catch(() => {});
  }, 120_000);

  it('init + control-plane join give a 3-member real etcd; a crash and boot bring the member back with its data', async () => {
    await applyCluster(e, mkdtempSync(join(tmpdir(), 'ks-etcd-smoke-')));
    await waitEtcd(e.lab, 'cp1');
    expect(await memberNames(e.lab, 'cp1')).toEqual(['cp1', 'cp2', 'cp3']);
    expect((await etcdctl(e.lab, 'cp1', 'put /registry/deployments/default/web v1')).code).toBe(0);
    await e.lab.crash('cp2');
    await e.lab.boot('cp2');
    await waitEtcd(e.lab, 'cp2');
    expect((await etcdctl(e.lab, 'cp2', 'get /registry/deployments/default/web --print-value-only')).stdout.trim()).toBe('v1');
  }, 900_000);
});
