/**
 * Turns zod issues into messages written for the person editing the file:
 * "expected one of iptables, ipvs, nftables; got "ipvss"", "unknown field "adress" (did you mean "address"?)".
 */
import type { z } from 'zod';
import { inventorySchema } from './schema.js';
import { quoteVisible, type PathSegment } from './issues.js';

export interface FieldProblem {
  path: PathSegment[];
  message: string;
}

type Def = { type: string; shape?: Record<string, unknown>; innerType?: unknown; element?: unknown; in?: unknown; valueType?: unknown };
const defOf = (schema: unknown): Def => (schema as { _zod: { def: Def } })._zod.def;

/** The schema found at `path` (through defaults, optionals, transforms, arrays, records), unwrapped; or undefined. */
function schemaAt(path: readonly PathSegment[]): unknown {
  let schema: unknown = inventorySchema;
  const unwrap = () => {
    for (let def = defOf(schema); ; def = defOf(schema)) {
      if (def.innerType) schema = def.innerType;
      else if (def.type === 'pipe' && def.in) schema = def.in;
      else return def;
    }
  };
  for (const seg of path) {
    const def = unwrap();
    if (def.type === 'object' && typeof seg === 'string' && def.shape?.[seg]) schema = def.shape[seg];
    else if (def.type === 'array' && typeof seg === 'number') schema = def.element;
    else if (def.type === 'record') schema = def.valueType;
    else return undefined;
  }
  unwrap();
  return schema;
}

/** The keys of the object schema at `path`, or undefined. */
function objectKeysAt(path: readonly PathSegment[]): string[] | undefined {
  const schema = schemaAt(path);
  const def = schema ? defOf(schema) : undefined;
  return def?.type === 'object' && def.shape ? Object.keys(def.shape) : undefined;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

export function suggest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    const d = distance(word, c);
    if (d < bestScore) [best, bestScore] = [c, d];
  }
  return best !== undefined && bestScore <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

/** Short, quoted description of a value the user wrote. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return Buffer.isBuffer(value) ? 'binary data' : 'a mapping';
  if (typeof value === 'string') {
    // Never echo credentials written into an URL (scheme://user:password@host).
    const masked = value.replace(/^([a-z]+:\/\/)[^/?#]*@/i, '$1***@');
    const shown = masked.length > 60 ? `${masked.slice(0, 57)}...` : masked;
    return quoteVisible(shown);
  }
  return String(value);
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  record: 'a mapping',
};

function list(values: readonly unknown[]): string {
  const shown = values.map((v) => String(v));
  return shown.length === 1 ? shown[0]! : `one of ${shown.join(', ')}`;
}

/** Human messages for one zod issue; unknown keys become one problem per key. */
export function explain(issue: z.core.$ZodIssue): FieldProblem[] {
  const path = issue.path.filter((p): p is PathSegment => typeof p !== 'symbol');
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = objectKeysAt(path) ?? [];
      return issue.keys.map((key) => {
        const hint = suggest(key, allowed);
        const tail = hint ? ` (did you mean "${hint}"?)` : allowed.length ? ` (allowed here: ${allowed.join(', ')})` : '';
        return { path: [...path, key], message: `unknown field${tail}` };
      });
    }
    case 'invalid_type': {
      const expected = TYPE_NAMES[issue.expected] ?? issue.expected;
      if (input === undefined) return [{ path, message: `required field is missing (expected ${expected})` }];
      return [{ path, message: `expected ${expected}, got ${describeValue(input)}` }];
    }
    case 'invalid_value': {
      if (input === undefined) return [{ path, message: `required field is missing (expected ${list(issue.values)})` }];
      const got = input === undefined ? '' : `; got ${describeValue(input)}`;
      return [{ path, message: `expected ${list(issue.values)}${got}` }];
    }
    case 'too_small':
      if (issue.origin === 'array')
        return [{ path, message: issue.message.startsWith('Too small') ? `needs at least ${issue.minimum} item(s)` : issue.message }];
      return [{ path, message: `must be at least ${issue.minimum}, got ${describeValue(input)}` }];
    case 'invalid_key': {
      const inner = issue.issues[0]?.message ?? 'not allowed here';
      const key = path.length ? path[path.length - 1] : undefined;
      return [{ path, message: `invalid key ${describeValue(input ?? key)}: ${inner}` }];
    }
    case 'too_big': {
      // An integer field's safe-integer check fires first for huge numbers: name the field's own maximum instead.
      const own = (schemaAt(path) as { maxValue?: number | null } | undefined)?.maxValue;
      const maximum = typeof own === 'number' && Number.isFinite(own) ? own : issue.maximum;
      return [{ path, message: `must be at most ${maximum}, got ${describeValue(input)}` }];
    }
    case 'invalid_format':
    case 'custom':
    default: {
      const got = typeof input === 'string' ? `, got ${describeValue(input)}` : '';
      return [{ path, message: `${issue.message}${got}` }];
    }
  }
}
