/** The lab's real etcd: kubeadm init/join start Debian's etcd from the static pod manifest; members follow joins and resets. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labDown } from '../lab/lab.js';
import { labReady } from './helpers.js';
import { ADMIN, applyCluster, etcdctl, etcdToolsOnPath, memberNames, upEtcdLab, waitEtcd, type EtcdLab } from './etcd-lab.js';

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

  it("the etcd tools are the etcd image's: in the pod through crictl/kubectl exec (argv only), never on a host PATH", async () => {
    for (const h of e.cps) expect(await etcdToolsOnPath(e.lab, h)).toEqual([]);
    const id = (await e.lab.exec('cp1', "crictl ps --name '^etcd$' -q")).stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const v = await e.lab.exec('cp1', `crictl exec ${id} etcdctl version`);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toMatch(/^etcdctl version: 3\.\d+\.\d+/m);
    // distroless: no shell in the image
    const sh = await e.lab.exec('cp1', `crictl exec ${id} sh -c 'etcdctl version'`);
    expect(sh.code).not.toBe(0);
    expect(sh.stderr).toContain('exec: "sh": executable file not found in $PATH');
    const k = await e.lab.exec('cp1', `kubectl --kubeconfig ${ADMIN} -n kube-system exec etcd-cp1 -- etcdctl version`);
    expect(k.code, k.stderr).toBe(0);
    expect(k.stdout).toMatch(/^etcdctl version: /m);
    const ks = await e.lab.exec('cp1', `kubectl --kubeconfig ${ADMIN} -n kube-system exec etcd-cp1 -- sh`);
    expect(ks.stderr).toContain(
      'OCI runtime exec failed: exec failed: unable to start container process: exec: "sh": executable file not found in $PATH',
    );
    // a path outside the pod's mounts does not exist inside it
    const outside = await e.lab.exec(
      'cp1',
      `crictl exec ${id} etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt --key=/etc/kubernetes/pki/etcd/healthcheck-client.key snapshot save /root/x.db`,
    );
    expect(outside.code).not.toBe(0);
  }, 300_000);
});
