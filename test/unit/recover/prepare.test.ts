/** recover.prepare: picks its inputs, keeps them on the first control plane, and resumes an interrupted recovery. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { harness } from '../tasks/helpers/context.js';
import { haHosts, makeInventory } from '../tasks/helpers/inventory.js';
import { recoverPrepare } from '../../../src/tasks/recover/prepare.js';
import { IMAGE_RUN } from './etcd-image.js';

const STAMP = '20260102T030405Z';

function setup(options: Record<string, unknown>) {
  const h = harness(makeInventory({}, haHosts()), {
    options: { stamp: STAMP, adminDir: mkdtempSync(join(tmpdir(), 'ks-prep-')), ...options },
  });
  return h;
}

describe('recover.prepare', () => {
  it('--from-snapshot: uploads it with its recorded workload count, archives the live PKI, records the recovery id', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-snap-'));
    const snap = join(dir, '20260101T000000Z-cp1.db');
    writeFileSync(snap, 'snapshot bytes');
    writeFileSync(snap.replace(/\.db$/, '.json'), JSON.stringify({ workloads: 3 }));
    const h = setup({ fromSnapshot: snap });
    const t = h
      .t('cp1')
      .allow(/^test -e \/var\/lib\/kubesmith\/recover\/20260102T030405Z\//, { code: 1 })
      .allow('test -e /etc/kubernetes/pki/ca.crt')
      .allow(new RegExp(`${IMAGE_RUN.source}etcdctl version$`), { stdout: 'etcdctl version: 3.4.23\nAPI version: 3.4\n' })
      .allow(new RegExp(`${IMAGE_RUN.source}etcdutl version$`), {
        code: 1,
        stderr:
          'ctr: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "etcdutl": executable file not found in $PATH: unknown\n',
      });
    const check = await recoverPrepare.check(h.ctx('cp1'));
    expect(check.status).toBe('change');
    const summary = check.status === 'change' ? check.changes[0]!.summary : '';
    expect(summary).toContain(`--from-snapshot ${snap}`);
    expect(summary).toContain('/etc/kubernetes as it is now');
    expect(h.run.get('recover.id')).toBe(STAMP);
    expect(t.calls.filter((c) => c.kind !== 'exec' && c.kind !== 'readFile')).toEqual([]);

    t.expect(`install -d -m 0700 /var/lib/kubesmith/recover/${STAMP}`)
      .expect(new RegExp(`${IMAGE_RUN.source}etcdctl snapshot status /var/lib/kubesmith/recover/${STAMP}/snapshot.db -w json$`), {
        stdout: '{"hash":1,"revision":9,"totalKey":40,"totalSize":20480}\n',
      })
      .expect(`tar -czf /var/lib/kubesmith/recover/${STAMP}/etc-kubernetes.tgz -C / etc/kubernetes`);
    await recoverPrepare.apply(h.ctx('cp1'), check.status === 'change' ? check.changes : []);
    t.assertDone();
    expect(t.fileText(`/var/lib/kubesmith/recover/${STAMP}/snapshot.db`)).toBe('snapshot bytes');
    expect(t.fileText(`/var/lib/kubesmith/recover/${STAMP}/expected-workloads`)).toBe('3\n');
    expect(t.fileText('/var/lib/kubesmith/recover/current')).toBe(`${STAMP}\n`);
  });

  it('an interrupted recovery is resumed: same id, nothing to do', async () => {
    const h = setup({});
    const t = h
      .t('cp1')
      .setFile('/var/lib/kubesmith/recover/current', '20250101T000000Z\n')
      .allow(/^test -e \/var\/lib\/kubesmith\/recover\/20250101T000000Z\/(snapshot\.db|etc-kubernetes\.tgz)$/);
    expect(await recoverPrepare.check(h.ctx('cp1'))).toEqual({ status: 'ok' });
    expect(h.run.get('recover.id')).toBe('20250101T000000Z');
    expect(t.commands).toHaveLength(2);
  });

  it('refuses a recovery id that is not one (it reaches shell text)', async () => {
    const h = setup({});
    h.t('cp1').setFile('/var/lib/kubesmith/recover/current', '$(reboot)\n');
    await expect(recoverPrepare.check(h.ctx('cp1'))).rejects.toThrow(/not a recovery id/);
  });

  it('no snapshot anywhere and etcd unhealthy everywhere: asks for --from-snapshot', async () => {
    const h = setup({});
    for (const cp of ['cp1', 'cp2', 'cp3']) h.t(cp).allow(/^test -[ef] /, { code: 1 });
    await expect(recoverPrepare.check(h.ctx('cp1'))).rejects.toThrow(/pass --from-snapshot FILE/);
  });
});
