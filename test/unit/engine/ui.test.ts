import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunLog } from '../../../src/engine/logdir.js';
import type { Plan, Recap, RunEvent } from '../../../src/engine/types.js';
import { wantsColor } from '../../../src/cli/main.js';
import { jsonRenderer } from '../../../src/ui/json.js';
import { listrRenderer } from '../../../src/ui/listr.js';
import type { Output } from '../../../src/ui/output.js';
import { plainRenderer } from '../../../src/ui/plain.js';
import { formatPlan } from '../../../src/ui/plan.js';
import { formatRecap } from '../../../src/ui/recap.js';
import { fakeTask, inventory, Journal, manyHosts, playbook, run } from './fakes.js';
import { tempDir } from '../cli/helpers.js';

function sink(isTTY = false, color = false): { out: Output; text: { stdout: string; stderr: string } } {
  const text = { stdout: '', stderr: '' };
  return {
    text,
    out: { stdout: { write: (s: string) => (text.stdout += s) }, stderr: { write: (s: string) => (text.stderr += s) }, isTTY, color },
  };
}

describe('plain renderer', () => {
  it('collapses 100 hosts into one summary line per step and lists failures', async () => {
    const { out, text } = sink();
    const j = new Journal();
    await run(
      [fakeTask(j, { id: 'a', failApplyOn: ['w7'] })],
      playbook(['Prep', [{ task: 'a', hosts: 'all' }]]),
      { listeners: [plainRenderer(out)] },
      inventory(manyHosts(99)),
    );
    const lines = text.stderr.trim().split('\n');
    expect(lines.length).toBeLessThan(8);
    expect(text.stderr).toMatch(/100\/100 hosts · 99 changed · 1 failed/);
    expect(text.stderr).toMatch(/w7 failed: apply broke on w7/);
    expect(text.stderr).toMatch(/changed: cp1, w1, .* \(\+89 more\)/);
    expect(text.stdout).toBe('');
    expect(text.stderr).not.toContain('\u001b[');
  });
});

describe('json renderer', () => {
  it('writes one parseable event per line on stdout only', async () => {
    const { out, text } = sink();
    const j = new Journal();
    await run([fakeTask(j, { id: 'a' })], playbook(['P', [{ task: 'a', hosts: 'all' }]]), { listeners: [jsonRenderer(out)], dryRun: true });
    const events = text.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as RunEvent);
    expect(events.map((e) => e.type)).toEqual([
      'run.start',
      'phase.start',
      'task.start',
      'task.host',
      'task.host',
      'task.host',
      'task.end',
      'phase.end',
      'plan',
      'run.end',
    ]);
    expect(text.stderr).toBe('');
  });
});

describe('listr renderer', () => {
  it('runs alongside the runner and shows one line per step with the host summary', async () => {
    const { out, text } = sink(false);
    const ui = listrRenderer(out);
    const j = new Journal();
    await run(
      [fakeTask(j, { id: 'a' }), fakeTask(j, { id: 'b', failCheckOn: ['cp1'] }), fakeTask(j, { id: 'c' })],
      playbook([
        'P',
        [
          { task: 'a', hosts: 'all' },
          { task: 'b', hosts: 'control-plane' },
          { task: 'c', hosts: 'all' },
        ],
      ]),
      { listeners: [ui.listener] },
    );
    await ui.done();
    expect(text.stderr).toMatch(/Fake \| a — 3\/3 hosts · 3 changed/);
    expect(text.stderr).toMatch(/3\/3 hosts · 3 changed/);
    expect(text.stderr).toMatch(/1\/1 host · 1 failed/);
    expect(text.stderr).toMatch(/not run: stopped after b failed on cp1/);
    expect(text.stdout).toBe('');
  });
});

describe('recap and plan printers', () => {
  const recap: Recap = {
    hosts: [
      { host: 'cp1', ok: 3, changed: 2, failed: 0, skipped: 1, unknown: 0, durationMs: 1500 },
      {
        host: 'worker1',
        ok: 1,
        changed: 0,
        failed: 1,
        skipped: 0,
        unknown: 0,
        durationMs: 300,
        failure: {
          task: 'kubeadm.join',
          message: '`kubeadm join` exited 1',
          command: 'kubeadm join --token ***',
          exitCode: 1,
          stderrTail: 'error execution phase preflight\ncannot reach 10.0.0.11:6443',
          hint: 'is the API server reachable from this host?',
        },
      },
    ],
    phases: [{ phase: 'Join', durationMs: 2000 }],
  };

  it('prints counts per host, phase times and each first failure in full', () => {
    const text = formatRecap(recap, { color: false });
    expect(text).toContain('  cp1      ok=3  changed=2  failed=0  skipped=1  unknown=0  1.5s');
    expect(text).toContain('phases: Join 2.0s');
    expect(text).toMatch(
      /FAILED worker1: kubeadm.join\n {2}`kubeadm join` exited 1\n {2}command: kubeadm join --token \*\*\*\n {2}exit code: 1\n {2}stderr:\n {4}error execution phase preflight\n {4}cannot reach 10.0.0.11:6443\n {2}hint: is the API server/,
    );
    expect(formatRecap(recap, { color: true })).toContain('\u001b[31m');
  });

  it('prints per host each change with its diff, unknowns with reasons, and "no changes"', () => {
    const plan: Plan = {
      playbook: 'apply',
      hosts: [
        {
          host: 'cp1',
          tasks: [
            {
              task: 'hostprep.sysctl',
              title: 'Host prep | Set sysctls',
              status: 'change',
              changes: [
                {
                  summary: 'write /etc/sysctl.d/k8s.conf',
                  diff: '--- /dev/null\n+++ /etc/sysctl.d/k8s.conf\n@@ -0,0 +1 @@\n+net.ipv4.ip_forward = 1\n',
                },
              ],
            },
            {
              task: 'kubeadm.init',
              title: 'Kubeadm | Init',
              status: 'unknown',
              changes: [],
              reason: 'until runtime.containerd.install runs',
            },
          ],
        },
        { host: 'w1', tasks: [] },
      ],
    };
    const text = formatPlan(plan, { color: false });
    expect(text).toContain('cp1:\n  ~ Host prep | Set sysctls [hostprep.sysctl]\n    - write /etc/sysctl.d/k8s.conf\n      --- /dev/null');
    expect(text).toContain('      +net.ipv4.ip_forward = 1');
    expect(text).toContain('  ? Kubeadm | Init [kubeadm.init]\n    unknown until earlier steps run: until runtime.containerd.install runs');
    expect(text).toContain('w1:\n  no changes');
    expect(text).toContain('1 of 2 hosts would change.');
  });

  it('NO_COLOR turns colors off even on a terminal', () => {
    expect(wantsColor(true, {})).toBe(true);
    expect(wantsColor(true, { NO_COLOR: '1' })).toBe(false);
    expect(wantsColor(true, { NO_COLOR: '' })).toBe(true);
    expect(wantsColor(false, {})).toBe(false);
  });
});

describe('run log folder', () => {
  it('writes one file per host with commands, exit codes and output, masks known secrets, and run.jsonl', () => {
    const dir = join(tempDir(), 'run');
    const log = new RunLog(dir);
    log.addSecrets(['hunter2-password']);
    log.command({ host: 'cp1', command: "echo 'hi'", code: 0, stdout: 'hi\n', stderr: '', durationMs: 4 });
    log.command({ host: 'cp1', command: 'login', code: 1, stdout: '', stderr: 'bad password hunter2-password\n', durationMs: 9 });
    log.hostLine('w1', '[facts.gather] ok');
    log.event({ type: 'phase.start', phase: 'x' });
    log.close();
    const cp1 = readFileSync(join(dir, 'cp1.log'), 'utf8');
    expect(cp1).toMatch(/\$ echo 'hi'\n {2}exit 0 \(4 ms\)\n {2}stdout:\n {4}hi\n/);
    expect(cp1).toMatch(/exit 1 \(9 ms\)\n {2}stderr:\n {4}bad password \*\*\*\n/);
    expect(cp1).not.toContain('hunter2');
    expect(readFileSync(join(dir, 'w1.log'), 'utf8')).toMatch(/# \[facts.gather\] ok/);
    expect(JSON.parse(readFileSync(join(dir, 'run.jsonl'), 'utf8'))).toEqual({ type: 'phase.start', phase: 'x' });
  });
});
