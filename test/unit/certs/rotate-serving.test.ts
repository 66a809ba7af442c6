// The command certs.rotate-serving moves a kubelet's serving pair aside with (src/tasks/certs/rotate-serving.ts), run
// on a scratch directory. Its decisions (servingOwed, planRotation's "serving" steps) are in ca-rotation.test.ts.
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { commandText } from '../../../src/transport/command.js';
import { moveServingAside } from '../../../src/tasks/certs/rotate-serving.js';
import { SERVING_CURRENT } from '../../../src/tasks/certs/rotate-facts.js';

describe('moveServingAside', () => {
  const root = mkdtempSync(join(tmpdir(), 'serving-aside-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  // the script's absolute paths, rebased under the scratch directory
  const run = (backup: string) =>
    execFileSync('sh', ['-c', commandText(moveServingAside(join(root, backup))).replaceAll(SERVING_CURRENT, join(root, SERVING_CURRENT))]);

  it('moves the link and the dated file it names into the backup; nothing else', () => {
    const pki = join(root, '/var/lib/kubelet/pki');
    mkdirSync(pki, { recursive: true });
    writeFileSync(join(pki, 'kubelet-server-2026-01-01-00-00-00.pem'), 'pair');
    writeFileSync(join(pki, 'kubelet-client-current.pem'), 'client');
    symlinkSync('kubelet-server-2026-01-01-00-00-00.pem', join(pki, 'kubelet-server-current.pem'));
    run('b1');
    expect(readdirSync(pki)).toEqual(['kubelet-client-current.pem']);
    expect(readdirSync(join(root, 'b1')).sort()).toEqual(['kubelet-server-2026-01-01-00-00-00.pem', 'kubelet-server-current.pem']);
    expect(lstatSync(join(root, 'b1')).mode & 0o777).toBe(0o700);
  });

  it('with nothing left to move (a re-run) it succeeds and changes nothing', () => {
    run('b2');
    expect(existsSync(join(root, 'b2'))).toBe(true);
    expect(readdirSync(join(root, 'b2'))).toEqual([]);
  });
});
