/** reset.backup's /etc/kubernetes archive: the remote path reaches the shell as one quoted word. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { harness } from '../tasks/helpers/context.js';
import { makeInventory, haHosts } from '../tasks/helpers/inventory.js';
import { backupConfigAction } from '../../../src/tasks/reset/backup.js';
import { quote } from '../../../src/transport/command.js';

describe('backupConfigAction', () => {
  it('archives to a path with shell characters as one word, then copies it to the admin machine', async () => {
    const stamp = 'run 1;$(id)';
    const adminDir = mkdtempSync(join(tmpdir(), 'ks-backup-'));
    const h = harness(makeInventory({}, haHosts()), { options: { adminDir } });
    const remote = `/var/backups/kubesmith/${stamp}/etc-kubernetes.tgz`;
    const t = h
      .t('cp1')
      .expect('install -d -m 0700')
      .expect('tar -czf', () => {
        t.setFile(remote, 'tgz bytes', '0600');
        return {};
      });
    const step = await backupConfigAction(h.ctx('cp1'), stamp);
    await step.run();
    t.assertDone();
    const tar = t.calls.find((c) => c.command.includes('tar -czf'))!;
    expect(tar.text).toContain(`tar -czf ${quote(remote)} -C / etc/kubernetes`);
    expect(readFileSync(join(adminDir, 'backups', stamp, 'cp1', 'etc-kubernetes.tgz'), 'utf8')).toBe('tgz bytes');
    rmSync(adminDir, { recursive: true, force: true });
  });
});
