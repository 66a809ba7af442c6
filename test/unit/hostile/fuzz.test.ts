/**
 * Fuzz suite (issue 13, "Done when"): hostile inventories generated from the zod schema itself. The walker visits every
 * field of inventorySchema and breaks it (wrong types, numbers just outside their bounds, Unicode look-alikes such as a
 * Cyrillic 'о' or fullwidth digits, zero-width and bidi characters, unknown keys next to real ones); more generators add
 * role-like host names, huge and deep documents, alias bombs and duplicate keys. Every case must make `validate` exit 2
 * with FILE:LINE:COL naming the broken field, and no stack trace.
 *
 * Deterministic: the sizes, depths and picks come from one seeded generator. Re-run a failure with the seed its
 * message prints: KUBESMITH_FUZZ_SEED=<seed> npx vitest run test/unit/hostile/fuzz.test.ts
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { main } from '../../../src/cli/main.js';
import { formatPath } from '../../../src/inventory/index.js';
import { inventorySchema } from '../../../src/inventory/schema.js';
import type { Output } from '../../../src/ui/output.js';
import { random } from '../../lab/helpers/random.js';

const SEED = Number(process.env.KUBESMITH_FUZZ_SEED ?? 20261207);

/** Host names that are role or --limit selector words: refused by the rule host-name-not-selector. */
const RESERVED_NAMES = ['worker', 'control-plane', 'all', 'admin', 'first-control-plane', 'other-control-planes', 'workers-only'];

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };
type Path = (string | number)[];

interface Case {
  name: string;
  text: string;
  /** The field the error must name (the reported path starts with it); undefined: any located error will do. */
  field?: Path | undefined;
  /** The line an error must be reported on, when the generator knows it. */
  line?: number;
  /** Text the message must contain (a bound the value broke). */
  mentions?: string;
}

/** A valid inventory that sets every field, so each one can be broken in place. */
const BASE: Json = {
  apiVersion: 'kubesmith.io/v1alpha1',
  kind: 'Cluster',
  metadata: { name: 'fuzz' },
  spec: {
    ssh: {
      user: 'kube',
      port: 22,
      keyPath: './keys/id',
      passwordEnv: 'KS_PW',
      knownHostsPath: './known_hosts',
      hostKeyPolicy: 'strict',
      sudo: 'auto',
      bastion: { address: '10.0.0.1', port: 22, user: 'jump', keyPath: './keys/id' },
      connectTimeoutSeconds: 10,
      commandTimeoutSeconds: 600,
      maxChannels: 8,
    },
    hosts: [
      {
        name: 'cp1',
        address: '192.168.56.11',
        internalAddress: '10.0.0.11',
        roles: ['control-plane'],
        ssh: { user: 'ops', port: 2222, keyPath: './keys/id', passwordEnv: 'KS_PW2' },
        labels: { 'example.com/disk': 'ssd' },
      },
      { name: 'cp2', address: '192.168.56.12', internalAddress: '10.0.0.12', roles: ['control-plane'] },
      { name: 'cp3', address: '192.168.56.13', internalAddress: '10.0.0.13', roles: ['control-plane'] },
      { name: 'w1', address: '192.168.56.21', roles: ['worker'] },
    ],
    kubernetes: {
      version: '1.34.1',
      controlPlaneEndpoint: '10.0.0.100:6443',
      imageRepository: 'registry.k8s.io',
      podSubnet: '10.244.0.0/16',
      serviceSubnet: '10.96.0.0/12',
      dnsDomain: 'cluster.local',
      proxyMode: 'iptables',
      certSANs: ['api.fuzz.internal'],
      packageRepository: 'https://mirror.example.com/k8s',
      loadBalancer: { type: 'kube-vip', vip: '10.0.0.100', interface: 'eth0', image: 'ghcr.io/kube-vip/kube-vip:v0.8.9' },
    },
    containerRuntime: {
      type: 'containerd',
      registryMirrors: { 'docker.io': ['https://mirror.example.com'] },
      insecureRegistries: ['reg.example.com:5000'],
    },
    network: {
      plugin: 'flannel',
      flannel: { version: '0.28.9', backend: 'vxlan', directRouting: false, iface: 'eth1' },
      cilium: { version: '1.19.4', kubeProxyReplacement: false },
    },
    hostPrep: { swap: 'disable', selinux: 'permissive', firewall: 'disable', etcHosts: true, setHostname: true },
    offline: { bundle: './bundle', extraImages: ['nginx:1.27'] },
  },
};

const yaml = (v: Json) => stringify(v, { lineWidth: 0 });

function getAt(v: Json, path: Path): Json | undefined {
  let cur: Json | undefined = v;
  for (const k of path) cur = cur !== null && typeof cur === 'object' ? (cur as Record<string | number, Json>)[k] : undefined;
  return cur;
}

/** A copy of `v` with `value` at `path` (missing mappings on the way are created). */
function setAt(v: Json, path: Path, value: Json): Json {
  if (path.length === 0) return value;
  const copy = structuredClone(v) as Record<string | number, Json>;
  let cur = copy;
  path.slice(0, -1).forEach((k, i) => {
    // a missing container becomes a list when the next key is an index (taints[0] on a host without taints)
    if (cur[k] === null || typeof cur[k] !== 'object') cur[k] = typeof path[i + 1] === 'number' ? [] : {};
    cur = cur[k] as Record<string | number, Json>;
  });
  cur[path[path.length - 1]!] = value;
  return copy as Json;
}

// ---- the schema walk ---------------------------------------------------------------------------------------------

type Def = {
  type: string;
  shape?: Record<string, unknown>;
  innerType?: unknown;
  in?: unknown;
  element?: unknown;
  keyType?: unknown;
  valueType?: unknown;
  entries?: Record<string, string>;
  values?: unknown[];
};
type Schema = { _zod: { def: Def }; minValue?: number | null; maxValue?: number | null; isInt?: boolean };
const defOf = (s: unknown): Def => (s as Schema)._zod.def;

/** Through default, optional and pipe (transforms) to the schema that checks the written value. */
function unwrap(s: unknown): Schema {
  let cur = s as Schema;
  for (;;) {
    const def = defOf(cur);
    if (def.innerType) cur = def.innerType as Schema;
    else if (def.type === 'pipe' && def.in) cur = def.in as Schema;
    else return cur;
  }
}

interface Field {
  path: Path;
  schema: Schema;
}

/** Every field of the schema, at the path BASE has it (index 0 of lists, the first key of maps). */
function fields(schema: unknown, path: Path = []): Field[] {
  const s = unwrap(schema);
  const def = defOf(s);
  const here: Field = { path, schema: s };
  if (def.type === 'object') return [here, ...Object.entries(def.shape ?? {}).flatMap(([k, v]) => fields(v, [...path, k]))];
  if (def.type === 'array') return [here, ...fields(def.element, [...path, 0])];
  if (def.type === 'record') {
    const existing = getAt(BASE, path);
    const key = existing && typeof existing === 'object' && !Array.isArray(existing) ? Object.keys(existing)[0] : undefined;
    return key === undefined ? [here] : [here, ...fields(def.valueType, [...path, key])];
  }
  return [here];
}

const CYRILLIC: Record<string, string> = { a: 'а', c: 'с', e: 'е', o: 'о', p: 'р', x: 'х', y: 'у', i: 'і', k: 'к' };
/** The same-looking text with one character swapped for a Unicode look-alike (Cyrillic letter, fullwidth digit). */
function lookAlike(text: string): string | undefined {
  const letter = [...text].findIndex((ch) => CYRILLIC[ch]);
  if (letter >= 0) return text.slice(0, letter) + CYRILLIC[text[letter]!] + text.slice(letter + 1);
  const digit = text.search(/\d/);
  if (digit >= 0) return text.slice(0, digit) + String.fromCharCode(0xff10 + Number(text[digit])) + text.slice(digit + 1);
  return undefined;
}
const fullwidthDigits = (text: string) => text.replace(/\d/g, (d) => String.fromCharCode(0xff10 + Number(d)));
/** A plausible misspelling of a key: two neighbouring letters swapped, or one doubled. */
const typo = (key: string, rnd: () => number) => {
  const i = Math.floor(rnd() * (key.length - 1));
  return rnd() < 0.5 && key[i] !== key[i + 1]
    ? key.slice(0, i) + key[i + 1] + key[i] + key.slice(i + 2)
    : key.slice(0, i + 1) + key[i] + key.slice(i + 1);
};

function breakField(f: Field, rnd: () => number): { what: string; value: Json; at?: Path; mentions?: string }[] {
  const def = defOf(f.schema);
  const current = getAt(BASE, f.path);
  const out: { what: string; value: Json; at?: Path; mentions?: string }[] = [];
  const asText = typeof current === 'string' ? current : undefined;
  switch (def.type) {
    case 'object': {
      if (f.path.length) out.push({ what: 'a string for a mapping', value: 'just text' }, { what: 'a list for a mapping', value: ['a'] });
      const keys = Object.keys(def.shape ?? {});
      const key = keys[Math.floor(rnd() * keys.length)]!;
      const wrong = typo(key, rnd);
      if (!keys.includes(wrong))
        out.push({
          what: `unknown key ${wrong}`,
          value: { ...((current as Record<string, Json>) ?? {}), [wrong]: 'x' },
          at: [...f.path, wrong],
        });
      break;
    }
    case 'array':
      out.push({ what: 'a string for a list', value: 'one, two' }, { what: 'a mapping for a list', value: { a: 1 } });
      break;
    case 'record':
      out.push({ what: 'a list for a mapping', value: ['x'] }, { what: 'a key with a space', value: { 'bad key': 'x' } });
      break;
    case 'string':
      out.push(
        { what: 'a number', value: [7, 12345, 0.5][Math.floor(rnd() * 3)]! },
        { what: 'null', value: null },
        { what: 'a list', value: [asText ?? 'x'] },
        { what: 'a mapping', value: { v: asText ?? 'x' } },
      );
      if (asText) {
        const alike = lookAlike(asText);
        if (alike) out.push({ what: `look-alike ${JSON.stringify(alike)}`, value: alike });
        const mid = Math.max(1, Math.floor(asText.length / 2));
        out.push({ what: 'a zero-width space inside', value: asText.slice(0, mid) + '\u200b' + asText.slice(mid) });
        out.push({ what: 'a right-to-left override inside', value: asText.slice(0, mid) + '\u202e' + asText.slice(mid) });
        out.push({ what: 'a leading space', value: ` ${asText}` });
      }
      break;
    case 'number': {
      const s = f.schema;
      out.push({ what: 'a word', value: 'twenty-two' }, { what: 'true', value: true }, { what: 'null', value: null });
      const min = typeof s.minValue === 'number' && Number.isFinite(s.minValue) ? s.minValue : undefined;
      const max = typeof s.maxValue === 'number' && Number.isFinite(s.maxValue) ? s.maxValue : undefined;
      if (min !== undefined) out.push({ what: `min-1 (${min - 1})`, value: min - 1, mentions: `at least ${min}` });
      if (max !== undefined) out.push({ what: `max+1 (${max + 1})`, value: max + 1, mentions: `at most ${max}` });
      if (s.isInt) out.push({ what: 'a fraction', value: (min ?? 0) + 1.5 });
      out.push(
        { what: 'infinity', value: Infinity },
        { what: 'NaN', value: NaN },
        { what: 'a huge number', value: 1e21, ...(max !== undefined ? { mentions: `at most ${max}` } : {}) },
      );
      break;
    }
    case 'boolean':
      out.push(
        { what: '"yes"', value: 'yes' },
        { what: '"true" as a string', value: 'true' },
        { what: '1', value: 1 },
        { what: 'null', value: null },
      );
      break;
    case 'enum': {
      const first = Object.values(def.entries ?? {})[0]!;
      // the first letter's case flipped (an enum of capitalised words, like taint effects, gets a lower-case one)
      const flipped = (first[0] === first[0]!.toUpperCase() ? first[0]!.toLowerCase() : first[0]!.toUpperCase()) + first.slice(1);
      out.push({ what: 'case flipped', value: flipped }, { what: 'a suffix', value: `${first}x` }, { what: 'a number', value: 7 });
      const alike = lookAlike(first);
      if (alike) out.push({ what: `look-alike ${JSON.stringify(alike)}`, value: alike });
      break;
    }
    case 'literal': {
      const value = String(def.values?.[0]);
      out.push({ what: 'another value', value: 'v1' }, { what: 'a number', value: 1 });
      const alike = lookAlike(value);
      if (alike) out.push({ what: `look-alike ${JSON.stringify(alike)}`, value: alike });
      break;
    }
  }
  return out;
}

/** YAML text for a value, with non-finite numbers written as YAML writes them. */
const yamlOf = (v: Json) => yaml(v);

function schemaCases(rnd: () => number): Case[] {
  return fields(inventorySchema).flatMap((f) =>
    breakField(f, rnd).map((b) => ({
      name: `${formatPath(f.path) || '(document)'}: ${b.what}`,
      text: yamlOf(setAt(BASE, f.path, b.value)),
      field: b.at ?? f.path,
      ...(b.mentions ? { mentions: b.mentions } : {}),
    })),
  );
}

// ---- generators beyond the schema walk ---------------------------------------------------------------------------

const between = (rnd: () => number, lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));

function extraCases(rnd: () => number): Case[] {
  const out: Case[] = [];
  const host = (i: number): Json => ({ name: `n${i}`, address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, roles: ['worker'] });

  // role-like host names and selector words
  for (const word of RESERVED_NAMES) {
    out.push({
      name: `host named like a selector: ${word}`,
      text: yaml(setAt(BASE, ['spec', 'hosts', 3, 'name'], word)),
      field: ['spec', 'hosts', 3, 'name'],
    });
  }
  // look-alikes of those words, and fullwidth digits in every IP field
  out.push({
    name: 'host named wоrker (Cyrillic о)',
    text: yaml(setAt(BASE, ['spec', 'hosts', 3, 'name'], 'wоrker')),
    field: ['spec', 'hosts', 3, 'name'],
  });
  out.push({
    name: 'role cоntrol-plane (Cyrillic о)',
    text: yaml(setAt(BASE, ['spec', 'hosts', 0, 'roles', 0], 'cоntrol-plane')),
    field: ['spec', 'hosts', 0, 'roles', 0],
  });
  const ipFields: Path[] = [
    ['spec', 'hosts', 1, 'address'],
    ['spec', 'hosts', 1, 'internalAddress'],
    ['spec', 'kubernetes', 'loadBalancer', 'vip'],
    ['spec', 'kubernetes', 'controlPlaneEndpoint'],
    ['spec', 'kubernetes', 'podSubnet'],
    ['spec', 'kubernetes', 'serviceSubnet'],
    ['spec', 'ssh', 'bastion', 'address'],
  ];
  for (const path of ipFields) {
    out.push({
      name: `fullwidth digits in ${formatPath(path)}`,
      text: yaml(setAt(BASE, path, fullwidthDigits(String(getAt(BASE, path))))),
      field: path,
    });
  }

  // deep block nesting under a label value: beyond the indentation limit the guard stops it, below it the schema does
  for (let n = 0; n < 4; n++) {
    const depth = between(rnd, 20, 140);
    let nested: Json = 'leaf';
    for (let d = 0; d < depth; d++) nested = { [`k${d}`]: nested };
    const path = ['spec', 'hosts', 0, 'labels', 'example.com/disk'];
    out.push({
      name: `labels value nested ${depth} mappings deep`,
      text: yaml(setAt(BASE, path, nested)),
      field: depth * 2 + 10 > 200 ? undefined : path,
    });
  }
  // deep flow nesting: over the bracket limit, and just under it (then a list where a string belongs)
  for (let n = 0; n < 3; n++) {
    const depth = between(rnd, 65, 5000);
    out.push({
      name: `metadata.name nested in ${depth} brackets`,
      text: yaml(BASE).replace('name: fuzz', `name: ${'['.repeat(depth)}${']'.repeat(depth)}`),
    });
  }
  for (let n = 0; n < 2; n++) {
    const depth = between(rnd, 2, 60);
    out.push({
      name: `metadata.name as ${depth} nested lists`,
      text: yaml(BASE).replace('name: fuzz', `name: ${'['.repeat(depth)}x${']'.repeat(depth)}`),
      field: ['metadata', 'name'],
    });
  }
  // huge documents: thousands of valid hosts and one broken one somewhere among them
  for (let n = 0; n < 3; n++) {
    const count = between(rnd, 500, 2500);
    const bad = between(rnd, 0, count - 1);
    const hosts = [...(getAt(BASE, ['spec', 'hosts']) as Json[]), ...Array.from({ length: count }, (_, i) => host(i + 1))];
    const index = 4 + bad;
    const broken = setAt(setAt(BASE, ['spec', 'hosts'], hosts), ['spec', 'hosts', index, 'address'], `10.0.0.${between(rnd, 256, 999)}`);
    out.push({
      name: `${count + 4} hosts, hosts[${index}].address broken`,
      text: yaml(broken),
      field: ['spec', 'hosts', index, 'address'],
    });
  }
  out.push({
    name: 'a line longer than the limit',
    text: yaml(setAt(BASE, ['metadata', 'name'], 'a'.repeat(between(rnd, 16_400, 60_000)))),
  });
  out.push({
    name: 'a long name under the line limit',
    text: yaml(setAt(BASE, ['metadata', 'name'], 'a'.repeat(between(rnd, 300, 16_000)))),
    field: ['metadata', 'name'],
  });
  const many = between(rnd, 500, 3000);
  out.push({
    name: `${many} unknown keys in spec`,
    text: yaml(
      setAt(BASE, ['spec'], {
        ...(getAt(BASE, ['spec']) as Record<string, Json>),
        ...Object.fromEntries(Array.from({ length: many }, (_, i) => [`extra${i}`, i])),
      }),
    ),
    field: ['spec'],
  });

  // alias bombs: each level repeats the one before `width` times
  for (let n = 0; n < 4; n++) {
    const width = between(rnd, 3, 10);
    const depth = between(rnd, 4, 9);
    const lines = [`a0: &a0 [${Array(width).fill('"lol"').join(', ')}]`];
    for (let d = 1; d < depth; d++)
      lines.push(
        `a${d}: &a${d} [${Array(width)
          .fill(`*a${d - 1}`)
          .join(', ')}]`,
      );
    // at the top level, or nested inside a host's labels (each level one more label)
    const where = n % 2 === 0 ? 'at the top level' : 'inside hosts[0].labels';
    const text = n % 2 === 0 ? yaml(BASE) + lines.join('\n') + '\n' : yaml(BASE).replace('example.com/disk: ssd', lines.join('\n        '));
    out.push({ name: `alias bomb ${width}^${depth} ${where}`, text });
  }
  out.push({
    name: 'hosts as an alias of a huge list',
    text:
      `big: &big [${Array(200).fill('{name: x, address: 10.0.0.1, roles: [worker]}').join(', ')}]\n` +
      yaml(BASE).replace(
        /hosts:\n(?: {2,}.*\n)+?(?= {2}kubernetes:)/,
        'hosts: [*big, *big, *big, *big, *big, *big, *big, *big, *big, *big, *big, *big, *big, *big, *big, *big, *big, *big, *big, *big]\n',
      ),
  });

  // duplicate keys: a scalar line of the valid file, written twice
  const lines = yaml(BASE).split('\n');
  const candidates = lines.map((l, i) => ({ l, i })).filter(({ l }) => /^ *[A-Za-z"][^:]*: \S/.test(l) && !/^ *- /.test(l));
  for (let n = 0; n < 12; n++) {
    const { l, i } = candidates[Math.floor(rnd() * candidates.length)]!;
    const copy = [...lines];
    copy.splice(i + 1, 0, l);
    out.push({ name: `duplicate key on line ${i + 2}: ${l.trim()}`, text: copy.join('\n'), line: i + 2 });
  }
  out.push({
    name: 'merge key bringing a hostile user',
    text: yaml(BASE).replace('metadata:', 'base: &b { user: "$(id)" }\nmetadata:').replace('  ssh:\n', '  ssh:\n    <<: *b\n'),
  });
  return out;
}

// ---- running them -------------------------------------------------------------------------------------------------

const dir = mkdtempSync(join(tmpdir(), 'ks-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, 'keys'));
writeFileSync(join(dir, 'keys', 'id'), 'key\n');
mkdirSync(join(dir, 'bundle'));

async function validate(file: string): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const out: Output = {
    stdout: { write: () => undefined },
    stderr: { write: (s: string) => void (stderr += s) },
    isTTY: false,
    color: false,
  };
  const code = await main(['validate', '-i', file], {
    out,
    env: { PATH: process.env.PATH ?? '' },
    cwd: dir,
    signal: new AbortController().signal,
  });
  process.exitCode = undefined;
  return { code, stderr };
}

const STACK = /\n\s+at .+:\d+:\d+|TypeError|RangeError|ReferenceError|Maximum call stack|Cannot read propert|undefined is not/;
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** What a case's output must show: exit 2, no stack trace, FILE:LINE:COL on a real line, the field named. */
function check(c: Case, file: string, r: { code: number; stderr: string }, via: string): void {
  const shown = `seed ${SEED} (KUBESMITH_FUZZ_SEED=${SEED}), ${via}, case "${c.name}": exit ${r.code}\n${r.stderr.slice(0, 1500)}`;
  expect(r.code, shown).toBe(2);
  expect(r.stderr, shown).not.toMatch(STACK);
  // what the input smuggled in is shown escaped: no bidi override or zero-width character reaches the terminal
  expect(r.stderr, shown).not.toMatch(/[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/);
  const located = [...r.stderr.matchAll(new RegExp(`^${escapeRegExp(file)}:(\\d+):(\\d+) (\\S*)`, 'gm'))];
  const lineCount = c.text.split(/\r?\n|\r/).length;
  expect(located.length, `${shown}\n(no FILE:LINE:COL)`).toBeGreaterThan(0);
  for (const [, line, col] of located) {
    expect(Number(line), shown).toBeGreaterThanOrEqual(1);
    expect(Number(line), shown).toBeLessThanOrEqual(lineCount);
    expect(Number(col), shown).toBeGreaterThanOrEqual(1);
  }
  if (c.mentions !== undefined) expect(r.stderr, shown).toContain(c.mentions);
  if (c.line !== undefined)
    expect(
      located.map(([, line]) => Number(line)),
      `${shown}\n(expected an error on line ${c.line})`,
    ).toContain(c.line);
  if (c.field) {
    const want = formatPath(c.field);
    const names = located.some(([, , , path]) => path === `${want}:` || path!.startsWith(`${want}.`) || path!.startsWith(`${want}[`));
    expect(names, `${shown}\n(expected an error at ${want})`).toBe(true);
  }
}

describe(`fuzz: hostile inventories generated from the schema (seed ${SEED})`, () => {
  const rnd = random(SEED);
  const all = [...schemaCases(rnd), ...extraCases(rnd)];

  it('the base inventory every case breaks is itself valid', async () => {
    const file = join(dir, 'base.yaml');
    writeFileSync(file, yaml(BASE));
    const r = await validate(file);
    expect(r.code, r.stderr).toBe(0);
  });

  it('generates at least 200 cases, the same ones for the same seed', () => {
    expect(all.length).toBeGreaterThanOrEqual(200);
    const r2 = random(SEED);
    const again = [...schemaCases(r2), ...extraCases(r2)];
    expect(again.map((c) => c.name + c.text.length)).toEqual(all.map((c) => c.name + c.text.length));
  });

  const table = all.map((c, i) => [i, c.name] as const);

  it.each(table)('#%i %s', async (i) => {
    const c = all[i]!;
    const file = join(dir, `case-${i}.yaml`);
    writeFileSync(file, c.text);
    check(c, file, await validate(file), 'in-process validate');
  });

  it('a seeded sample also fails the same way through the real bin/kubesmith', () => {
    const bin = resolve(import.meta.dirname, '..', '..', '..', 'bin', 'kubesmith');
    const pick = random(SEED ^ 0x5eed);
    const sample = new Set<number>();
    while (sample.size < 4) {
      const i = Math.floor(pick() * all.length);
      sample.add(i);
    }
    for (const i of sample) {
      const c = all[i]!;
      const file = join(dir, `bin-${i}.yaml`);
      writeFileSync(file, c.text);
      const r = spawnSync(process.execPath, [bin, 'validate', '-i', file], {
        cwd: dir,
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '' },
      });
      check(c, file, { code: r.status ?? -1, stderr: r.stderr }, 'bin/kubesmith validate');
    }
  });
});
