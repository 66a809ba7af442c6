import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commands } from '../../../src/cli/commands.js';
import { cli, DEBIAN_FACTS, GOOD_INVENTORY, tempDir, writeInventory, writePlaybook } from './helpers.js';

describe('kubesmith CLI: usage and validate', () => {
  it('validate: a good inventory exits 0 with a summary', async () => {
    const dir = tempDir();
    const r = await cli(['validate', '-i', writeInventory(dir)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/valid — 2 hosts \(1 control plane, 1 worker\), Kubernetes 1\.34\.1/);
  });

  it('validate: a bad inventory exits 2 with file:line:col and field path, no stack trace', async () => {
    const dir = tempDir();
    const bad = GOOD_INVENTORY.replace('address: 10.199.0.11', 'address: "10.199.0.11; rm -rf /"');
    const file = writeInventory(dir, bad);
    const r = await cli(['validate', '-i', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`${file.replace(/[.]/g, '\\.')}:11:\\d+ spec\\.hosts\\[1\\]\\.address: `));
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
  });

  it('validate --output json on a bad inventory: exit 2 and one JSON error line with the issues', async () => {
    const dir = tempDir();
    const r = await cli([
      'validate',
      '-i',
      writeInventory(dir, GOOD_INVENTORY.replace('roles: [worker]', 'roles: [boss]')),
      '--output',
      'json',
    ]);
    expect(r.code).toBe(2);
    const line = JSON.parse(r.stdout.trim());
    expect(line).toMatchObject({ type: 'error', exitCode: 2 });
    expect(line.issues[0].path).toMatch(/spec\.hosts\[1\]\.roles/);
  });

  it('usage errors exit 2: unknown command, unknown flag, bad numbers, missing -i, extra argument', async () => {
    for (const argv of [
      ['frobnicate'],
      ['validate', '-i', 'x.yaml', '--frob'],
      ['plan', '-i', 'x.yaml', '--concurrency', 'many'],
      ['plan', '-i', 'x.yaml', '--output', 'yaml'],
      ['plan'],
      ['apply', '-i', 'x.yaml', 'extra'],
      ['run', '-i', 'x.yaml'],
      [],
    ]) {
      const r = await cli(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr + r.stdout, argv.join(' ')).not.toMatch(/\n\s+at /);
    }
  });

  it('--timeout beyond what a Node timer holds (2^31-1 ms) is refused with exit 2; the largest that fits is accepted', async () => {
    const dir = tempDir();
    const inv = writeInventory(dir);
    const r = await cli(['plan', '-i', inv, '--timeout', '2147484']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--timeout expects at most 2147483 seconds');
    expect(r.stderr + r.stdout).not.toMatch(/\n\s+at /);
    const ok = await cli(['validate', '-i', inv, '--timeout', '2147483']);
    expect(ok.code, ok.stderr).toBe(0);
  });

  it('a missing inventory file exits 2', async () => {
    const r = await cli(['validate', '-i', '/nonexistent/inv.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('/nonexistent/inv.yaml');
  });

  it('--help works for every command and shows examples; --version prints the version', async () => {
    for (const c of commands) {
      const r = await cli([c.name, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: kubesmith ${c.usage}`);
      expect(r.stdout).toMatch(/Examples:\n {2}kubesmith /);
    }
    const top = await cli(['--help']);
    expect(top.stdout).toMatch(/Commands:[\s\S]*validate[\s\S]*Exit codes/);
    const v = await cli(['--version']);
    expect(v.stdout).toMatch(/^kubesmith \d+\.\d+\.\d+\n$/);
  });
});

describe('kubesmith init', () => {
  it('writes a starter inventory that validates, and refuses to overwrite without --force', async () => {
    const dir = tempDir();
    const r = await cli(
      ['init', '--name', 'lab', '--control-plane', '10.0.0.11', '--worker', '10.0.0.21', '--worker', '10.0.0.22', '-o', 'c.yaml'],
      { cwd: dir },
    );
    expect(r.code).toBe(0);
    const text = readFileSync(join(dir, 'c.yaml'), 'utf8');
    expect(text).toContain('10.0.0.22');
    expect((await cli(['validate', '-i', join(dir, 'c.yaml')])).code).toBe(0);
    writeFileSync(join(dir, 'c.yaml'), 'mine');
    const again = await cli(['init', '-o', 'c.yaml'], { cwd: dir });
    expect(again.code).toBe(2);
    expect(readFileSync(join(dir, 'c.yaml'), 'utf8')).toBe('mine');
    expect((await cli(['init', '-o', 'c.yaml', '--force'], { cwd: dir })).code).toBe(0);
    expect(readFileSync(join(dir, 'c.yaml'), 'utf8')).toContain('apiVersion: kubesmith.io/v1alpha1');
  });

  it('a hostile address is refused with exit 2 and no file', async () => {
    const dir = tempDir();
    const r = await cli(['init', '--control-plane', '10.0.0.1; reboot', '-o', 'x.yaml'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/spec\.hosts\[0\]\.address/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('-o - prints to stdout and writes nothing', async () => {
    const dir = tempDir();
    const r = await cli(['init', '-o', '-'], { cwd: dir });
    expect(r.stdout).toContain('kind: Cluster');
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('kubesmith plan / run with recording transports', () => {
  const facts = (t: import('../../../src/transport/recording.js').RecordingTransport) => t.expect('@@ks:', { stdout: DEBIAN_FACTS });

  it('plan gathers facts, writes nothing on hosts, prints plan and recap, logs every command per host', async () => {
    const dir = tempDir();
    const pb = writePlaybook(dir, ['{task: facts.gather, hosts: all}']);
    const r = await cli(['plan', '-i', writeInventory(dir), pb, '--log-dir', join(dir, 'logs')], { prepare: facts });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/cp1:\n {2}no changes/);
    expect(r.stdout).toMatch(/PLAN RECAP\n {2}cp1 +ok=1/);
    for (const t of r.transports.values()) {
      expect(t.calls.filter((c) => c.kind === 'writeFile' || c.kind === 'upload')).toEqual([]);
      t.assertDone();
    }
    expect(readFileSync(join(dir, 'logs', 'cp1.log'), 'utf8')).toMatch(/\$ s\(\) \{[\s\S]*exit 0[\s\S]*Debian GNU\/Linux 12/);
    const events = readFileSync(join(dir, 'logs', 'run.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events[0].type).toBe('run.start');
    expect(events.at(-1).type).toBe('run.end');
    expect(r.stderr).toContain('-> Facts | Gather');
  });

  it('--output json: every stdout line is a JSON event, from run.start to run.end', async () => {
    const dir = tempDir();
    const pb = writePlaybook(dir, ['{task: facts.gather, hosts: all}']);
    const r = await cli(['plan', '-i', writeInventory(dir), pb, '--output', 'json', '--log-dir', join(dir, 'l')], { prepare: facts });
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const events = lines.map((l) => JSON.parse(l) as { type: string });
    expect(events[0]!.type).toBe('run.start');
    expect(events.at(-1)!.type).toBe('run.end');
    expect(events.map((e) => e.type)).toContain('plan');
    expect(events.filter((e) => e.type === 'task.host')).toHaveLength(2);
  });

  it('a failing task exits 1 and the recap names host, task, command, exit code and stderr', async () => {
    const dir = tempDir();
    const pb = writePlaybook(dir, ['{task: facts.gather, hosts: all}']);
    const r = await cli(['run', '-i', writeInventory(dir), pb, '--log-dir', join(dir, 'l')], {
      prepare: (t) => (t.host === 'w1' ? t.expect('@@ks:', { stdout: 'half\n', stderr: 'sh: 1: cannot fork', code: 2 }) : facts(t)),
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAILED w1: facts.gather/);
    expect(r.stdout).toMatch(/exit code: 2/);
    expect(r.stdout).toMatch(/cannot fork/);
    expect(r.stdout).toMatch(/hint: the facts script did not finish/);
  });

  it('--limit with an unknown name exits 2; a playbook with an unknown task exits 2 listing known ids', async () => {
    const dir = tempDir();
    const inv = writeInventory(dir);
    const pb = writePlaybook(dir, ['{task: facts.gather, hosts: all}']);
    const r = await cli(['plan', '-i', inv, pb, '--limit', 'nosuch']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--limit names no host or role: nosuch/);
    const bad = writePlaybook(dir, ['{task: facts.gathr, hosts: all}'], 'bad.yaml');
    const b = await cli(['run', '-i', inv, bad]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/unknown task "facts.gathr"[\s\S]*known tasks: .*facts\.gather/);
  });

  it('the default log dir is .kubesmith/runs/<timestamp>/ under the working directory', async () => {
    const dir = tempDir();
    const pb = writePlaybook(dir, ['{task: facts.gather, hosts: first-control-plane}']);
    const r = await cli(['plan', '-i', writeInventory(dir), pb], { cwd: dir, prepare: facts });
    expect(r.code).toBe(0);
    const runs = readdirSync(join(dir, '.kubesmith', 'runs'));
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatch(/^\d{8}T\d{6}Z$/);
    expect(existsSync(join(dir, '.kubesmith', 'runs', runs[0]!, 'cp1.log'))).toBe(true);
  });
});
