/** Recovery steps over recording transports: restore tool and flags by etcd version, progress records, member removal. */
import { describe, expect, it } from 'vitest';
import { harness } from '../tasks/helpers/context.js';
import { haHosts, makeInventory } from '../tasks/helpers/inventory.js';
import { recoverEtcd, recoverReset } from '../../../src/tasks/recover/steps.js';
import { nodeEtcdRemove } from '../../../src/tasks/node/etcd-remove.js';
import type { RecordingTransport } from '../../../src/transport/recording.js';
import { IMAGE_RUN } from './etcd-image.js';

const ID = '20260101T000000Z';
const ETCD_ID = 'a'.repeat(64);

const runc = (p: string) => ({
  code: 1,
  stderr: `ctr: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "${p}": executable file not found in $PATH: unknown\n`,
});

function tools(t: RecordingTransport, o: { etcdctl?: string; etcdutl?: string; bump?: boolean }): RecordingTransport {
  const run = (argv: string) => new RegExp(`${IMAGE_RUN.source}${argv}$`);
  return t
    .allow(run('etcdctl version'), o.etcdctl ? { stdout: `etcdctl version: ${o.etcdctl}\nAPI version: 3.4\n` } : runc('etcdctl'))
    .allow(run('etcdutl version'), o.etcdutl ? { stdout: `etcdutl version: ${o.etcdutl}\nAPI version: 3.6\n` } : runc('etcdutl'))
    .allow(run('etcdutl snapshot restore --help'), {
      stdout: o.bump ? '      --bump-revision uint  How much to increase the latest revision after restore\n' : '',
    });
}

function setup() {
  const h = harness(makeInventory({}, haHosts()));
  h.run.set('recover.id', ID);
  return h;
}

describe('recover.etcd', () => {
  it('etcd 3.4 (Debian, the lab): etcdctl snapshot restore into a staging dir named for this member, then swapped in and recorded; nothing removed', async () => {
    const h = setup();
    const t = tools(h.t('cp1'), { etcdctl: '3.4.23' });
    t.expect(`test -e /var/lib/kubesmith/recover/${ID}/restored.done`, { code: 1 });
    const check = await recoverEtcd.check(h.ctx('cp1'));
    expect(check.status).toBe('change');
    t.expect(`test -e /var/lib/kubesmith/recover/${ID}/restored.done`, { code: 1 })
      .expect(/^set -e\n\[ -e \/var\/lib\/etcd\.restore-20260101T000000Z \] \|\| exit 0\n/)
      .expect(new RegExp(`${IMAGE_RUN.source}etcdctl snapshot restore `))
      .expect(/^if \[ -n "\$\(ls -A \/var\/lib\/etcd .*then \(set -e\n.*mv -- \/var\/lib\/etcd "\$d"\/\n/s)
      .expect(`mv -- /var/lib/etcd.restore-${ID} /var/lib/etcd`)
      .expect('chmod 0700 /var/lib/etcd')
      .expect(`install -d -m 0700 /var/lib/kubesmith/recover/${ID}`)
      .expect(`touch /var/lib/kubesmith/recover/${ID}/restored.done`);
    await recoverEtcd.apply(h.ctx('cp1'), check.status === 'change' ? check.changes : []);
    t.assertDone();
    expect(t.commands.filter((c) => /\brm -[a-z]*r/.test(c))).toEqual([]);
    const restore = t.commands.find((c) => c.includes(' etcdctl snapshot restore'))!.replace(IMAGE_RUN, '');
    expect(restore).toBe(
      `etcdctl snapshot restore /var/lib/kubesmith/recover/${ID}/snapshot.db --data-dir=/var/lib/etcd.restore-${ID} --name=cp1 --initial-cluster=cp1=https://10.0.0.11:2380 --initial-advertise-peer-urls=https://10.0.0.11:2380`,
    );
  });

  it('etcd 3.6 with etcdutl: etcdutl with --bump-revision and --mark-compacted', async () => {
    const h = setup();
    const t = tools(h.t('cp1'), { etcdctl: '3.6.5', etcdutl: '3.6.5', bump: true }).allow(/test -e \S+restored\.done/, { code: 1 });
    const check = await recoverEtcd.check(h.ctx('cp1'));
    expect(check.status === 'change' && check.changes[0]!.summary).toMatch(/with etcdutl/);
    t.allow(/.*/);
    await recoverEtcd.apply(h.ctx('cp1'), check.status === 'change' ? check.changes : []);
    const restore = t.commands.find((c) => c.includes(' etcdutl snapshot restore /'))!;
    expect(restore).toMatch(IMAGE_RUN);
    expect(restore).toContain('--bump-revision=1000000000 --mark-compacted');
  });

  it('etcdctl 3.6 alone cannot restore: a clear error, nothing run', async () => {
    const h = setup();
    tools(h.t('cp1'), { etcdctl: '3.6.5' }).allow(/restored\.done/, { code: 1 });
    await expect(recoverEtcd.check(h.ctx('cp1'))).rejects.toThrow(/removed in 3\.6/);
  });

  it('already restored in this recovery: nothing to do (an interrupted recover re-runs safely)', async () => {
    const h = setup();
    h.t('cp1').expect(`test -e /var/lib/kubesmith/recover/${ID}/restored.done`);
    expect(await recoverEtcd.check(h.ctx('cp1'))).toEqual({ status: 'ok' });
  });
});

describe('recover.reset', () => {
  it('a host reset earlier in this recovery is not reset again', async () => {
    const h = setup();
    h.t('w1').expect(`test -e /var/lib/kubesmith/recover/${ID}/reset.done`);
    expect(await recoverReset.check(h.ctx('w1'))).toEqual({ status: 'ok' });
    expect(h.t('w1').commands).toHaveLength(1);
  });
});

describe('node.etcd-remove', () => {
  const members =
    '{"header":{"cluster_id":1,"member_id":2},"members":[{"ID":13668033151171901709,"name":"cp1","peerURLs":["https://10.0.0.11:2380"],"clientURLs":["https://10.0.0.11:2379"]},{"ID":2,"name":"cp3","peerURLs":["https://10.0.0.13:2380"],"clientURLs":["https://10.0.0.13:2379"]}]}';
  it("removes the lost node's member by hex id through a healthy other control plane; the lost node runs nothing", async () => {
    const h = setup();
    const cp1 = h
      .t('cp1')
      .allow("crictl --runtime-endpoint unix:///var/run/containerd/containerd.sock ps --name '^etcd$' -q", { stdout: `${ETCD_ID}\n` })
      .allow('test -f /etc/kubernetes/pki/etcd/healthcheck-client.crt')
      .allow(new RegExp(`^crictl --runtime-endpoint \\S+ exec ${ETCD_ID} etcdctl .*endpoint health`), {
        stdout: '[{"endpoint":"https://127.0.0.1:2379","health":true}]',
      })
      .allow(new RegExp(`^crictl --runtime-endpoint \\S+ exec ${ETCD_ID} etcdctl .*member list -w json`), { stdout: members });
    const check = await nodeEtcdRemove.check(h.ctx('cp3'));
    expect(check.status === 'change' && check.changes[0]!.summary).toBe('remove etcd member 2 (cp3, https://10.0.0.13:2380) via cp1');
    cp1.expect(new RegExp(`^crictl --runtime-endpoint \\S+ exec ${ETCD_ID} etcdctl .*member remove 2$`));
    await nodeEtcdRemove.apply(h.ctx('cp3'), check.status === 'change' ? check.changes : []);
    cp1.assertDone();
    expect(h.t('cp3').calls).toEqual([]);
  });
  it('workers have no member', async () => {
    const h = setup();
    expect((await nodeEtcdRemove.check(h.ctx('w1'))).status).toBe('skip');
  });
});
