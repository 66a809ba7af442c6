/** Broken files: every case fails with an InventoryError whose lines read file:line:col path: message. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InventoryError, loadInventory, MAX_INVENTORY_BYTES, parseInventory } from '../../../src/inventory/index.js';
import { FILE, inventoryYaml, issuesOf } from './helpers.js';

const HEAD = 'apiVersion: kubesmith.io/v1alpha1\nkind: Cluster\nmetadata: {name: demo}\n';
const HOSTS = 'spec:\n  hosts:\n    - {name: cp1, address: 10.0.0.1, roles: [control-plane]}\n';

function billionLaughs(levels: number): string {
  let text = `${HEAD}${HOSTS}x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n`;
  for (let i = 1; i <= levels; i++) {
    const prev = `*a${i - 1}`;
    text += `x${i}: &a${i} [${Array(10).fill(prev).join(', ')}]\n`;
  }
  return text;
}

// [case, text, expected line (0 = whole file), message fragment]
const BROKEN: [string, string, number, RegExp][] = [
  ['empty file', '', 0, /is empty/],
  ['only comments', '# nothing here\n# at all\n', 0, /is empty/],
  ['only a document marker', '---\n', 0, /is empty/],
  ['explicit null', 'null\n', 0, /is empty/],
  ['a list at the top', '- a\n- b\n', 1, /top level must be a mapping.*found a list/],
  ['a scalar at the top', 'hello\n', 1, /top level must be a mapping.*"hello"/],
  ['a number at the top', '42\n', 1, /top level must be a mapping/],
  ['two documents', `${HEAD}${HOSTS}---\n${HEAD}${HOSTS}`, 7, /contains 2 YAML documents/],
  ['three documents', `a: 1\n---\nb: 2\n---\nc: 3\n`, 2, /contains 3 YAML documents/],
  ['duplicate top-level key', `${HEAD}kind: Cluster\n${HOSTS}`, 4, /duplicate key/],
  ['duplicate nested key', `${HEAD}${HOSTS}  ssh:\n    user: a\n    user: b\n`, 9, /duplicate key/],
  [
    'duplicate key in a flow mapping',
    `${HEAD}spec:\n  hosts:\n    - {name: a, name: b, address: 10.0.0.1, roles: [worker]}\n`,
    6,
    /duplicate key/,
  ],
  ['YAML bomb (billion laughs)', billionLaughs(9), 8, /YAML bomb/],
  ['tab indentation', `${HEAD}spec:\n\thosts: []\n`, 5, /./],
  ['unclosed quote (reported where the file ends)', `${HEAD}spec:\n  hosts: "oops\n`, 6, /./],
  ['unclosed flow sequence (reported where the file ends)', `${HEAD}spec:\n  hosts: [a, b\n`, 6, /./],
  ['bad indentation', `${HEAD}spec:\n  hosts:\n    - name: a\n   address: b\n`, 7, /./],
  ['unknown top-level field', `${HEAD}${HOSTS}extra: 1\n`, 7, /unknown field/],
  ['merge key is just an unknown field', `${HEAD}${HOSTS}  <<: {ssh: {}}\n`, 7, /unknown field/],
  ['wrong apiVersion', `apiVersion: v1\nkind: Cluster\nmetadata: {name: a}\n${HOSTS}`, 1, /expected kubesmith\.io\/v1alpha1; got "v1"/],
  ['wrong kind', `apiVersion: kubesmith.io/v1alpha1\nkind: Pod\nmetadata: {name: a}\n${HOSTS}`, 2, /expected Cluster/],
  ['missing spec.hosts', `${HEAD}spec: {}\n`, 4, /spec\.hosts|required/],
  ['empty hosts list', `${HEAD}spec:\n  hosts: []\n`, 5, /at least one host/],
  ['hosts is a mapping', `${HEAD}spec:\n  hosts: {cp1: 10.0.0.1}\n`, 5, /expected a list, got a mapping/],
  ['a host without roles', `${HEAD}spec:\n  hosts:\n    - {name: a, address: 10.0.0.1, roles: []}\n`, 6, /at least one role/],
  [
    'an unknown role',
    `${HEAD}spec:\n  hosts:\n    - {name: a, address: 10.0.0.1, roles: [master]}\n`,
    6,
    /expected one of control-plane, worker; got "master"/,
  ],
  ['port as a string', `${HEAD}${HOSTS}  ssh: {port: "22"}\n`, 7, /expected a number, got "22"/],
  ['port out of range', `${HEAD}${HOSTS}  ssh: {port: 70000}\n`, 7, /at most 65535/],
  ['fractional port', `${HEAD}${HOSTS}  ssh: {port: 22.5}\n`, 7, /integer/],
  ['boolean as yes', `${HEAD}${HOSTS}  hostPrep: {etcHosts: yes}\n`, 7, /expected true or false, got "yes"/],
  ['binary data', `${HEAD}${HOSTS}  offline: {bundle: !!binary aGVsbG8=}\n`, 7, /expected a string, got binary data/],
  [
    'unknown field in a host, with a suggestion',
    `${HEAD}spec:\n  hosts:\n    - {name: a, adress: 10.0.0.1, roles: [worker]}\n`,
    6,
    /did you mean "address"/,
  ],
  ['hostKeyPolicy typo', `${HEAD}${HOSTS}  ssh: {hostKeyPolicy: strikt}\n`, 7, /expected one of strict, accept-new/],
  ['null value for a mapping', `${HEAD}${HOSTS}  kubernetes:\n`, 7, /expected a mapping, got null/],
  ['more than 20000 lines', `${HEAD}${HOSTS}${'# padding\n'.repeat(20_000)}`, 0, /has 20007 lines; an inventory has at most 20000/],
  ['a 20 KiB line', `${HEAD}${HOSTS}  offline: {bundle: ${'a'.repeat(20_000)}}\n`, 7, /line is 20021 characters long/],
  ['a million unclosed brackets (crashes the YAML parser unguarded)', `x: ${'['.repeat(1_000_000)}`, 1, /line is 1000003 characters/],
  ['brackets nested 65 deep', `${HEAD}${HOSTS}x: ${'['.repeat(65)}${']'.repeat(65)}\n`, 7, /nested more than 64 levels/],
  ['brackets in quotes and comments do not count', `${HEAD}${HOSTS}x: "${'['.repeat(100)}" # ${'{'.repeat(100)}\n`, 7, /unknown field/],
  [
    'indentation deeper than 200 columns',
    `a:\n${Array.from({ length: 120 }, (_, i) => `${' '.repeat(2 * i + 2)}k:`).join('\n')}\n`,
    102,
    /nested too deeply/,
  ],
  ['an alias to an anchor that does not exist', `${HEAD}${HOSTS}  ssh: {user: *nobody}\n`, 7, /YAML: .*nobody/],
  ['a self-referencing alias', `${HEAD}spec: &s\n  hosts: *s\n`, 5, /expected a list, got a mapping/],
  ['missing apiVersion and kind', `metadata: {name: a}\n${HOSTS}`, 1, /required field is missing \(expected kubesmith\.io\/v1alpha1\)/],
  ['metadata name with capitals', `apiVersion: kubesmith.io/v1alpha1\nkind: Cluster\nmetadata: {name: Demo}\n${HOSTS}`, 3, /RFC 1123/],
];

describe('broken and hostile inventory files', () => {
  it.each(BROKEN)('%s', (_name, text, line, message) => {
    const errors = issuesOf(text).filter((i) => i.severity === 'error');
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]!.line).toBe(line);
    expect(errors.map((e) => e.message).join('\n')).toMatch(message);
  });

  it('the InventoryError message is the formatted issue list, without a stack frame', () => {
    const text = `${HEAD}spec:\n  hosts:\n    - {name: a, address: "x y", roles: [worker]}\n`;
    const err = thrown(() => parseInventory(text, FILE));
    expect(err).toBeInstanceOf(InventoryError);
    expect(err.message).toBe(`${FILE}:6:17 spec.hosts[0].address: expected an IP address or hostname, got "x y"`);
    expect(err.message).not.toMatch(/\n\s+at /);
  });

  // How long these take is bench material (no timed tests); what they must do is below.
  it('a YAML bomb is refused at the first alias, without expanding it', () => {
    const [issue] = issuesOf(billionLaughs(12));
    expect(issue).toMatchObject({ line: 8, col: 10, severity: 'error' });
  });

  it('a mapping with 19 000 unknown keys is reported briefly', () => {
    const text = `${HEAD}${HOSTS}${Array.from({ length: 19_000 }, (_, i) => `k${i}: v`).join('\n')}\n`;
    const issues = issuesOf(text);
    expect(issues).toHaveLength(51);
    expect(issues[50]?.message).toBe('... and 18950 more problems');
  });

  it('finds duplicate keys in every mapping of a large file', () => {
    const text = `${HEAD}${HOSTS}  ssh:\n${Array.from({ length: 15_000 }, (_, i) => `    k${i % 14_999}: v`).join('\n')}\n`;
    const issues = issuesOf(text);
    expect(issues).toEqual([
      expect.objectContaining({ line: 15_007, path: 'spec.ssh.k0', message: expect.stringMatching(/^duplicate key/) }),
    ]);
  });

  it('a few small aliases are fine', () => {
    const text = inventoryYaml().replace('spec:\n', 'x-anchor: &who root\nspec:\n  ssh: {user: *who}\n');
    // x-anchor is an unknown field, but the alias itself resolves: the only error is the unknown field.
    expect(issuesOf(text).map((i) => i.path)).toEqual(['x-anchor']);
  });

  it('deep nesting fails cleanly', () => {
    const text = `${HEAD}${HOSTS}x: ${'['.repeat(20000)}${']'.repeat(20000)}\n`;
    const issues = issuesOf(text);
    expect(issues.some((i) => i.severity === 'error')).toBe(true);
  });

  it('unknown tags are reported as warnings next to the errors', () => {
    const issues = issuesOf(`${HEAD}${HOSTS}  ssh: {user: !custom root}\n`);
    expect(issues.some((i) => i.severity === 'warning' && /Unresolved tag/.test(i.message))).toBe(true);
  });

  it('CRLF line endings keep line numbers right', () => {
    const text = `${HEAD}spec:\n  hosts:\n    - {name: a, address: "x;y", roles: [worker]}\n`.replace(/\n/g, '\r\n');
    expect(issuesOf(text)[0]).toMatchObject({ line: 6, path: 'spec.hosts[0].address' });
  });

  it('a byte-order mark is accepted', () => {
    expect(issuesOf(`\uFEFF${inventoryYaml()}`)).toEqual([]);
  });
});

function thrown(fn: () => unknown): InventoryError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InventoryError) return err;
    throw err;
  }
  throw new Error('expected InventoryError');
}

describe('loadInventory (files)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubesmith-inv-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, content: string | Buffer) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  const failure = (path: string) =>
    loadInventory(path).then(
      () => Promise.reject(new Error('expected InventoryError')),
      (err: unknown) => (err instanceof InventoryError ? err : Promise.reject(err)),
    );

  it('loads a valid file and reports file and absolute dir', async () => {
    const path = write('ok.yaml', inventoryYaml());
    const loaded = await loadInventory(path);
    expect(loaded.file).toBe(path);
    expect(loaded.dir).toBe(dir);
    expect(loaded.inventory.spec.hosts).toHaveLength(3);
    expect(loaded.inventory.spec.ssh.hostKeyPolicy).toBe('strict');
    expect(loaded.warnings).toEqual([]);
  });
  it('refuses a file over 1 MiB without parsing it', async () => {
    const path = write('huge.yaml', `${inventoryYaml()}# ${'x'.repeat(MAX_INVENTORY_BYTES)}\n`);
    const err = await failure(path);
    expect(err.message).toBe(`${path} is 1.0 MiB; an inventory must be at most 1 MiB (is this the right file?)`);
  });
  it('a missing file', async () => {
    expect((await failure(join(dir, 'nope.yaml'))).message).toMatch(/nope\.yaml cannot read the inventory: no such file$/);
  });
  it('a directory', async () => {
    mkdirSync(join(dir, 'sub'));
    expect((await failure(join(dir, 'sub'))).message).toMatch(/sub is not a regular file$/);
  });
  it('a binary (non UTF-8) file', async () => {
    expect((await failure(write('bin.yaml', Buffer.from([0xff, 0xfe, 0x00, 0x80])))).message).toMatch(/is not UTF-8 text$/);
  });
  it('names the file as given in every issue', async () => {
    const path = write(
      'bad.yaml',
      inventoryYaml((i) => (i.spec.hosts[0].address = '$(reboot)')),
    );
    const err = await failure(path);
    expect(err.issues.every((i) => i.file === path)).toBe(true);
    expect(err.errors).toHaveLength(1);
  });
});
