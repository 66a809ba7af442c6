/**
 * Destructive commands select exactly what was named (issue 13, finding 1): a host may not be named like a role or
 * selector word (validate: exit 2 with file:line:col), `node remove NAME` / `recover --node NAME` run on that host
 * by name only and refuse --limit, and --limit prints the hosts it selected before anything runs.
 */
import { describe, expect, it } from 'vitest';
import { scope } from '../../../src/engine/runner.js';
import type { HostSpec } from '../../../src/inventory/schema.js';
import { Host, Hosts } from '../../../src/model/host.js';
import { cli, tempDir, writeInventory } from './helpers.js';

const FOUR = `apiVersion: kubesmith.io/v1alpha1
kind: Cluster
metadata:
  name: demo
spec:
  kubernetes:
    controlPlaneEndpoint: 10.199.0.10:6443
  hosts:
    - name: cp1
      address: 10.199.0.10
      roles: [control-plane]
    - name: cp2
      address: 10.199.0.11
      roles: [control-plane]
    - name: w1
      address: 10.199.0.12
      roles: [worker]
    - name: w2
      address: 10.199.0.13
      roles: [worker]
`;

/** Every word --limit or a playbook's `hosts:` understands as a group, and the plurals an operator might type. */
const SELECTOR_WORDS = [
  'all',
  'control-plane',
  'control-planes',
  'worker',
  'workers',
  'first-control-plane',
  'other-control-planes',
  'workers-only',
  'admin',
];

interface HostEvent {
  type: string;
  host?: string;
}
const touched = (stdout: string) =>
  new Set(
    stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as HostEvent)
      .filter((e) => e.type === 'task.host')
      .map((e) => e.host),
  );

describe('a host named like a role or selector word', () => {
  it.each(SELECTOR_WORDS)('validate refuses a host named "%s": exit 2, file:line:col, the rule named', async (word) => {
    const file = writeInventory(tempDir(), FOUR.replace('name: w2', `name: ${word}`));
    const r = await cli(['validate', '-i', file]);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(`${file.replace(/[.]/g, '\\.')}:18:7 spec\\.hosts\\[3\\]\\.name: host name "${word}" is a word that selects a group`),
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const json = await cli(['validate', '-i', file, '--output', 'json']);
    const issues = (JSON.parse(json.stdout.trim()) as { issues: { rule?: string; line: number; col: number }[] }).issues;
    expect(issues.find((i) => i.rule === 'host-name-not-selector')).toMatchObject({ line: 18, col: 7 });
  });

  it('node remove worker (w1 and a host named worker are workers): refused at load, no host contacted', async () => {
    const file = writeInventory(tempDir(), FOUR.replace('name: w2', 'name: worker'));
    for (const argv of [
      ['node', 'remove', 'worker'],
      ['recover', '--node', 'worker'],
      ['reset', '--limit', 'worker'],
    ]) {
      const r = await cli([...argv, '-i', file, '--yes', '--output', 'json']);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.transports.size, argv.join(' ')).toBe(0);
    }
  });
});

describe('what destructive commands select', () => {
  it('node remove w1 runs on w1 alone (API calls through cp1 are not host steps) and says so first', async () => {
    const file = writeInventory(tempDir(), FOUR);
    const r = await cli(['node', 'remove', 'w1', '-i', file, '--output', 'json']);
    expect(r.code, r.stderr).toBe(2);
    expect(touched(r.stdout)).toEqual(new Set(['w1']));
    expect(r.stderr).toMatch(/^host name w1 selects: w1\n/m);
    expect(r.stderr).toMatch(/nothing was changed/);
  });

  it('recover --node cp2 runs on cp2 alone', async () => {
    const file = writeInventory(tempDir(), FOUR);
    const r = await cli(['recover', '--node', 'cp2', '-i', file, '--output', 'json']);
    expect(r.code, r.stderr).toBe(2);
    expect(touched(r.stdout)).toEqual(new Set(['cp2']));
    expect(r.stderr).toMatch(/^host name cp2 selects: cp2\n/m);
  });

  it('node remove and recover --node refuse --limit (the name alone says what they touch)', async () => {
    const file = writeInventory(tempDir(), FOUR);
    for (const argv of [
      ['node', 'remove', 'w1', '--limit', 'w2'],
      ['recover', '--node', 'w1', '--limit', 'worker'],
    ]) {
      const r = await cli([...argv, '-i', file, '--yes']);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr, argv.join(' ')).toMatch(/touches only the host it names: drop --limit/);
      expect(r.transports.size).toBe(0);
    }
  });

  it('reset --limit worker prints the hosts it selected, and runs on exactly those', async () => {
    const file = writeInventory(tempDir(), FOUR);
    const r = await cli(['reset', '--limit', 'worker', '-i', file, '--output', 'json']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^--limit worker selects: w1, w2\n/m);
    expect(touched(r.stdout)).toEqual(new Set(['w1', 'w2']));
  });
});

describe('scope(): a NAME is a host name, never a role', () => {
  it('only: [worker] is the host named worker, not every worker (even if an inventory slipped past validate)', () => {
    const host = (name: string, role: 'worker' | 'control-plane') =>
      new Host({ name, address: `10.0.0.${name.length}`, roles: [role] } as HostSpec);
    const hosts = new Hosts([host('cp1', 'control-plane'), host('worker', 'worker'), host('w22', 'worker')]);
    expect(scope({ hosts, only: ['worker'] }).all.map((h) => h.name)).toEqual(['worker']);
    expect(scope({ hosts, limit: ['worker'] }).all.map((h) => h.name)).toEqual(['worker', 'w22']);
  });
});
