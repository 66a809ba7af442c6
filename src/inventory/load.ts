/**
 * Reading an inventory: the only place that touches the file system or parses YAML.
 * Layers: YAML (one document, a mapping, unique keys, bounded aliases) → shape and defaults (schema.ts)
 * → cross-field rules (rules.ts). Every problem becomes an Issue at file:line:col; any error throws InventoryError.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseAllDocuments, visit, type Document, type YAMLError } from 'yaml';
import { InventoryError, fileIssue, formatPath, type Issue, type PathSegment, type Severity } from './issues.js';
import { checkTextLimits, LIMITS } from './guard.js';
import { nodeAt, pathAt, positionOf } from './locate.js';
import { explain } from './messages.js';
import { derived } from './derived.js';
import { ALL_RULES, checkRules, type Rule } from './rules.js';
import { localFileRules, type LocalFileChecks } from './local-files.js';
import { inventorySchema, type Inventory } from './schema.js';

export const MAX_INVENTORY_BYTES = LIMITS.bytes;
/** Shape problems reported at most (a file of 10 000 unknown keys gets 50 lines, then a count). */
export const MAX_REPORTED = 50;
/** yaml's limit on alias expansion (weighted by the size of what each alias repeats). */
export const MAX_ALIAS_COUNT = 100;

export interface LoadedInventory {
  inventory: Inventory;
  warnings: Issue[];
  /** The path as given (how issues name it). */
  file: string;
  /** Absolute directory of the file, to resolve relative paths such as offline.bundle. */
  dir: string;
}

/** `files`: also check the local files the inventory names (SSH keys, the offline bundle); see local-files.ts. */
export async function loadInventory(path: string, options: { files?: LocalFileChecks } = {}): Promise<LoadedInventory> {
  const file = path;
  let bytes: Buffer;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new InventoryError(file, [fileIssue(file, 'is not a regular file')]);
    if (info.size > MAX_INVENTORY_BYTES) throw tooLarge(file, info.size);
    bytes = await readFile(path);
  } catch (err) {
    if (err instanceof InventoryError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new InventoryError(file, [fileIssue(file, `cannot read the inventory: ${reason}`)]);
  }
  if (bytes.length > MAX_INVENTORY_BYTES) throw tooLarge(file, bytes.length);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new InventoryError(file, [fileIssue(file, 'is not UTF-8 text')]);
  }
  const dir = dirname(resolve(path));
  return { ...parseInventory(text, file, localFileRules(dir, options.files ?? {})), file, dir };
}

function tooLarge(file: string, size: number): InventoryError {
  const mib = (size / 1024 / 1024).toFixed(1);
  return new InventoryError(file, [fileIssue(file, `is ${mib} MiB; an inventory must be at most 1 MiB (is this the right file?)`)]);
}

/** Parse and validate inventory text; `file` only names it in issues. Throws InventoryError. */
export function parseInventory(text: string, file: string, extraRules: readonly Rule[] = []): { inventory: Inventory; warnings: Issue[] } {
  const limit = checkTextLimits(text, file);
  if (limit) throw new InventoryError(file, [limit]);
  const { doc, lines, yamlWarnings } = oneYamlMapping(text, file);
  const data = plainData(doc, lines, file);
  const located = (path: PathSegment[], message: string, severity: Severity, rule?: string): Issue => ({
    file,
    ...positionOf(doc, lines, path),
    path: formatPath(path),
    message,
    severity,
    ...(rule ? { rule } : {}),
  });

  const parsed = inventorySchema.safeParse(data, { reportInput: true });
  if (!parsed.success) {
    const problems = parsed.error.issues.flatMap(explain);
    const shape = problems.slice(0, MAX_REPORTED).map((p) => located(p.path, withQuoteHint(doc, text, p.path, p.message), 'error'));
    if (problems.length > MAX_REPORTED) shape.push(fileIssue(file, `... and ${problems.length - MAX_REPORTED} more problems`));
    throw new InventoryError(file, [...shape, ...yamlWarnings]);
  }

  const ruled = checkRules(parsed.data, [...ALL_RULES, ...extraRules]).map((r) => located(r.path, r.message, r.severity, r.rule));
  const issues = [...ruled, ...yamlWarnings];
  if (issues.some((i) => i.severity === 'error')) throw new InventoryError(file, issues);
  derived(parsed.data); // computed once, here: every later layer reads these values
  return { inventory: parsed.data, warnings: issues };
}

/** An issue at a character offset of the text, with its line and column. */
function issueAt(lines: LineCounter, file: string, offset: number, path: string, message: string, severity: Severity = 'error'): Issue {
  const { line, col } = lines.linePos(offset);
  return { file, line, col, path, message, severity };
}

const EMPTY = 'is empty; expected a mapping with apiVersion, kind, metadata and spec';

/** The text as exactly one YAML document without errors or duplicate keys, whose top level is a mapping. */
function oneYamlMapping(text: string, file: string): { doc: Document; lines: LineCounter; yamlWarnings: Issue[] } {
  const lines = new LineCounter();
  const fail = (issues: Issue[]): never => {
    throw new InventoryError(file, issues);
  };
  // uniqueKeys is checked below in linear time; yaml's own check is quadratic in the size of a mapping.
  let docs: ReturnType<typeof parseAllDocuments>;
  try {
    docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  } catch (err) {
    return fail([fileIssue(file, `cannot be parsed as YAML: ${(err as Error).message.split('\n')[0]}`)]);
  }
  if (docs.length === 0) return fail([fileIssue(file, EMPTY)]);
  if (docs.length > 1) {
    const second = (docs[1] as Document).range?.[0] ?? 0;
    return fail([
      issueAt(lines, file, second, '', `contains ${docs.length} YAML documents; an inventory is exactly one (remove the --- separator)`),
    ]);
  }
  const doc = docs[0] as Document;
  const yamlIssue = (e: YAMLError, severity: Severity) =>
    issueAt(lines, file, e.pos[0], formatPath(pathAt(doc, e.pos[0])), `YAML: ${e.message}`, severity);
  const yamlWarnings = doc.warnings.map((w) => yamlIssue(w, 'warning'));
  if (doc.errors.length) return fail([...doc.errors.slice(0, MAX_REPORTED).map((e) => yamlIssue(e, 'error')), ...yamlWarnings]);
  const duplicates = duplicateKeyOffsets(doc).map((offset) =>
    issueAt(lines, file, offset, formatPath(pathAt(doc, offset)), 'duplicate key: this field appears twice in the same mapping; keep one'),
  );
  if (duplicates.length) return fail(duplicates);
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return fail([fileIssue(file, EMPTY)]);
  if (!isMap(root)) {
    const found = isSeq(root)
      ? 'a list'
      : isAlias(root)
        ? 'an alias'
        : `the value ${JSON.stringify(String((root as { value?: unknown }).value)).slice(0, 60)}`;
    const message = `the top level must be a mapping with apiVersion, kind, metadata and spec; found ${found}`;
    return fail([issueAt(lines, file, root.range?.[0] ?? 0, '', message)]);
  }
  return { doc, lines, yamlWarnings };
}

/** The document as plain data, aliases expanded within MAX_ALIAS_COUNT (a YAML bomb is refused). */
function plainData(doc: Document, lines: LineCounter, file: string): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const message = /excessive alias count/i.test(reason)
      ? `aliases expand too much (more than ${MAX_ALIAS_COUNT}); refusing what looks like a YAML bomb`
      : `YAML: ${reason.split('\n')[0]}`;
    throw new InventoryError(file, [issueAt(lines, file, firstAliasOffset(doc), '', message)]);
  }
}

/** `version: 1.30` is the number 1.3: when a string was expected, show the text the user wrote, quoted. */
function withQuoteHint(doc: Document, text: string, path: PathSegment[], message: string): string {
  if (!message.startsWith('expected a string, got')) return message;
  const node = nodeAt(doc, path);
  if (!isScalar(node) || !['number', 'boolean'].includes(typeof node.value) || !node.range) return message;
  const written = text.slice(node.range[0], node.range[1]).trim();
  return `expected a string, got ${written}; write it in quotes: "${written}"`;
}

/** Offsets of keys that repeat an earlier key of the same mapping (linear: one Set per mapping). */
function duplicateKeyOffsets(doc: Document): number[] {
  const offsets: number[] = [];
  visit(doc, {
    Map(_, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const key = String(pair.key.value);
        if (seen.has(key)) offsets.push(pair.key.range?.[0] ?? 0);
        seen.add(key);
      }
    },
  });
  return offsets;
}

function firstAliasOffset(doc: Document): number {
  let offset = 0;
  visit(doc, {
    Alias(_, node) {
      offset = node.range?.[0] ?? 0;
      return visit.BREAK;
    },
  });
  return offset;
}
