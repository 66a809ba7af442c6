import { describe, expect, it } from 'vitest';
import { cli, tempDir, writeInventory } from '../cli/helpers.js';

describe('kubesmith kubeconfig', () => {
  it('prints admin.conf read from the first control plane only', async () => {
    const dir = tempDir();
    const inv = writeInventory(dir);
    const r = await cli(['kubeconfig', '-i', inv], {
      prepare: (t) => t.setFile('/etc/kubernetes/admin.conf', 'apiVersion: v1\nkind: Config\n'),
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('apiVersion: v1\nkind: Config\n');
    expect([...r.transports.keys()]).toEqual(['cp1']);
  });

  it('fails with a hint when the cluster does not exist yet', async () => {
    const dir = tempDir();
    const inv = writeInventory(dir);
    const r = await cli(['kubeconfig', '-i', inv]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cp1: /etc/kubernetes/admin.conf does not exist; run `kubesmith apply');
  });
});
