import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { collectScript } from '../../../src/certs/collect.js';
import { cli, tempDir, writeInventory, GOOD_INVENTORY } from '../cli/helpers.js';
import { makeCas, tempRoot, writeNodeTree } from './fixture.js';

const cas = makeCas();
const trees = { cp1: tempRoot(), w1: tempRoot() };
writeNodeTree(trees.cp1, { node: 'cp1', ip: '10.199.0.10', cas });
writeNodeTree(trees.w1, { node: 'w1', ip: '10.199.0.11', cas });
const collected = (host: 'cp1' | 'w1') =>
  execFileSync('bash', ['-c', collectScript(host === 'cp1', trees[host]).text], { encoding: 'utf8' });

describe('kubesmith certs (command)', () => {
  it('check: one read-only command per node, the table, exit 0', async () => {
    const inv = writeInventory(tempDir());
    const r = await cli(['certs', 'check', '-i', inv], {
      prepare: (t) => t.expect(/^b64\(\) \{/, { stdout: collected(t.host as 'cp1' | 'w1') }),
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^NODE\s+CERTIFICATE\s+EXPIRES/);
    expect(r.stdout).toMatch(/^w1\s+kubelet-client\s/m);
    for (const t of r.transports.values()) {
      t.assertDone();
      expect(t.calls.filter((c) => c.kind !== 'exec')).toEqual([]); // nothing written, nothing else read
    }
  });

  it('check: an unreachable node is UNKNOWN (3); a broken inventory is UNKNOWN too, not 2', async () => {
    const inv = writeInventory(tempDir());
    const r = await cli(['certs', 'check', '-i', inv], {
      prepare: (t) =>
        t.host === 'w1'
          ? t.expect(/^b64/, { code: 255, stderr: 'ssh: connect to host 10.199.0.11 port 22: Connection refused' })
          : t.expect(/^b64/, { stdout: collected('cp1') }),
    });
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^w1\s+\*.*UNKNOWN/m);
    const bad = await cli(['certs', 'check', '-i', writeInventory(tempDir(), GOOD_INVENTORY.replace('roles: [worker]', 'roles: [bogus]'))]);
    expect(bad.code).toBe(3);
  });

  it('renew --install-timer is refused with the reasons; unknown subcommands are usage errors; help documents the exit codes', async () => {
    const timer = await cli(['certs', 'renew', '--install-timer', '-i', 'x.yaml']);
    expect(timer.code).toBe(2);
    expect(timer.stderr).toMatch(/order across nodes[\s\S]*health gate[\s\S]*cron/);
    expect((await cli(['certs', 'rotate', '-i', 'x.yaml'])).code).toBe(2);
    const help = await cli(['certs', '--help']);
    expect(help.stdout).toContain('0 OK, 1 WARNING (expires within --warn-days), 2 CRITICAL');
    expect(help.stdout).toContain('3 UNKNOWN');
  });
});
