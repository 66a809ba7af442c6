/**
 * `kubesmith plan` end to end against a real OpenSSH sshd on 127.0.0.1 (the contract tests' fixture):
 * connects, gathers facts over SSH, prints a plan and a recap, and writes nothing on the host.
 * The playbook only gathers facts (read-only), because the "host" here is this machine.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import type { Output } from '../../../src/ui/output.js';
import { SshFixture } from '../../contract/fixture.js';
import type { Sshd } from '../../contract/sshd.js';
import { writePlaybook } from './helpers.js';

const canRun = process.getuid?.() === 0 && existsSync('/usr/sbin/sshd');

describe.skipIf(!canRun)('kubesmith plan over real SSH', () => {
  const fx = new SshFixture();
  let sshd: Sshd;
  beforeAll(async () => {
    sshd = await fx.start();
  });
  afterAll(() => fx.stop());

  it('prints a plan and recap, logs the commands, and runs only the facts script', async () => {
    const inv = join(fx.dir, 'inv.yaml');
    writeFileSync(
      inv,
      [
        'apiVersion: kubesmith.io/v1alpha1',
        'kind: Cluster',
        'metadata: {name: sshtest}',
        'spec:',
        `  ssh: {user: root, port: ${sshd.port}, keyPath: ${fx.clientKey}, knownHostsPath: ${fx.knownHosts}}`,
        '  hosts:',
        '    - {name: node1, address: 127.0.0.1, roles: [control-plane, worker]}',
      ].join('\n') + '\n',
    );
    const pb = writePlaybook(fx.dir, ['{task: facts.gather, hosts: all}']);
    let stdout = '';
    let stderr = '';
    const out: Output = {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
      isTTY: false,
      color: false,
    };
    const logs = join(fx.dir, 'logs');
    const code = await main(['plan', '-i', inv, pb, '--log-dir', logs], {
      out,
      env: {},
      cwd: fx.dir,
      signal: new AbortController().signal,
    });
    process.exitCode = undefined;
    expect(stderr).toContain('Planning test on 1 host');
    expect(code).toBe(0);
    expect(stdout).toMatch(/node1:\n {2}no changes/);
    expect(stdout).toMatch(/PLAN RECAP\n {2}node1 +ok=1 +would-change=0 +failed=0/);
    const log = readFileSync(join(logs, 'node1.log'), 'utf8');
    expect(log).toMatch(/exit 0/);
    expect(log).toMatch(/facts: .*\((debian|rhel)\)/);
    // One command for the whole fact gathering: one round trip.
    expect(log.match(/ \$ /g)).toHaveLength(1);
    expect(sshd.accepted()).toBe(1);
  });
});
