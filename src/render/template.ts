/**
 * A small, pure template renderer for templates/.
 *
 * Why templates and not documents built in code: operators expect to open templates/kubeadm/v1beta4.yaml
 * and read the file kubesmith writes (kubespray habit). Why this tiny syntax and not a library: we need only
 * three constructs, and the one thing that matters is that NO inventory value can break the document's syntax.
 *
 * Syntax:
 *   {{ path.to.value }}          a value, emitted as a quoted scalar (see `emit`); `.` is the current item
 *   {{#each list}} … {{/each}}   repeat for every item (the item becomes `.`; outer names stay visible)
 *   {{#if x}} … {{else}} … {{/if}}, {{#unless x}} … {{/unless}}   truthiness: not false/null/undefined/''/[]
 * A block tag alone on its line removes the whole line (mustache "standalone" rule), so templates stay readable.
 *
 * Quoting: strings are emitted with JSON.stringify, which is at the same time a valid YAML double-quoted
 * scalar, a valid JSON string and a valid TOML basic string; numbers and booleans as literals; arrays and
 * objects as JSON flow (valid YAML flow, JSON, and — for arrays of strings — TOML arrays). Format `text`
 * (sysctl.d, modules-load.d) emits strings verbatim but refuses newlines. A missing value is an error, never
 * an empty string. YAML and JSON output is parsed back before it is returned, so a broken template fails fast.
 */
import { parseAllDocuments } from 'yaml';

export type TemplateFormat = 'yaml' | 'json' | 'toml' | 'text';

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'value'; path: string }
  | { kind: 'each'; path: string; body: Node[] }
  | { kind: 'if'; path: string; negate: boolean; body: Node[]; else: Node[] };

export class TemplateError extends Error {
  constructor(template: string, message: string) {
    super(`template ${template}: ${message}`);
    this.name = 'TemplateError';
  }
}

const TAG = /\{\{\s*([#/]?)(each|if|unless|else)?\s*([^}]*?)\s*\}\}/g;
const BLOCK_TAG_LINE = /^[ \t]*\{\{\s*(?:#each|#if|#unless|\/each|\/if|\/unless|else)\b[^}]*\}\}[ \t]*\r?\n/gm;

/** Remove the indentation and line break around block tags that stand alone on their line. */
function stripStandalone(source: string): string {
  return source.replace(BLOCK_TAG_LINE, (line) => line.trim());
}

function parse(source: string, name: string): Node[] {
  const root: Node[] = [];
  const stack: { node: Node & { kind: 'each' | 'if' }; inElse: boolean }[] = [];
  const target = (): Node[] => {
    const top = stack[stack.length - 1];
    if (!top) return root;
    if (top.node.kind === 'each') return top.node.body;
    return top.inElse ? top.node.else : top.node.body;
  };
  let last = 0;
  for (const m of source.matchAll(TAG)) {
    const [whole, sigil, keyword, arg] = m;
    if (m.index > last) target().push({ kind: 'text', text: source.slice(last, m.index) });
    last = m.index + whole.length;
    if (sigil === '#') {
      if (keyword === 'each') {
        const node: Node = { kind: 'each', path: arg ?? '', body: [] };
        target().push(node);
        stack.push({ node, inElse: false });
      } else if (keyword === 'if' || keyword === 'unless') {
        const node: Node = { kind: 'if', path: arg ?? '', negate: keyword === 'unless', body: [], else: [] };
        target().push(node);
        stack.push({ node, inElse: false });
      } else throw new TemplateError(name, `unknown block {{#${keyword ?? arg}}}`);
    } else if (sigil === '/') {
      const top = stack.pop();
      const expected = top?.node.kind === 'each' ? 'each' : top ? ((top.node as { negate: boolean }).negate ? 'unless' : 'if') : undefined;
      if (!top || keyword !== expected) throw new TemplateError(name, `unexpected {{/${keyword}}}`);
    } else if (keyword === 'else') {
      const top = stack[stack.length - 1];
      if (!top || top.node.kind !== 'if') throw new TemplateError(name, '{{else}} outside {{#if}}');
      top.inElse = true;
    } else {
      target().push({ kind: 'value', path: (keyword ?? '') + (arg ?? '') });
    }
  }
  if (stack.length) throw new TemplateError(name, `unclosed {{#${stack[stack.length - 1]!.node.kind}}}`);
  if (last < source.length) root.push({ kind: 'text', text: source.slice(last) });
  return root;
}

function lookup(scopes: readonly unknown[], path: string): unknown {
  if (path === '.' || path === 'this') return scopes[scopes.length - 1];
  const parts = path.split('.');
  for (let i = scopes.length - 1; i >= 0; i--) {
    let value: unknown = scopes[i];
    if (value === null || typeof value !== 'object' || !(parts[0]! in (value as object))) continue;
    for (const part of parts) {
      value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
    }
    return value;
  }
  return undefined;
}

function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  return value !== undefined && value !== null && value !== false && value !== '';
}

function emit(value: unknown, format: TemplateFormat, name: string, path: string): string {
  if (value === undefined || value === null) throw new TemplateError(name, `no value for {{ ${path} }}`);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (format === 'text') {
    const s = String(value);
    if (/[\r\n]/.test(s)) throw new TemplateError(name, `{{ ${path} }} contains a line break`);
    return s;
  }
  return JSON.stringify(value);
}

function evaluate(nodes: readonly Node[], scopes: unknown[], format: TemplateFormat, name: string): string {
  let out = '';
  for (const node of nodes) {
    switch (node.kind) {
      case 'text':
        out += node.text;
        break;
      case 'value':
        out += emit(lookup(scopes, node.path), format, name, node.path);
        break;
      case 'each': {
        const list = lookup(scopes, node.path);
        if (list === undefined || list === null) break;
        if (!Array.isArray(list)) throw new TemplateError(name, `{{#each ${node.path}}} is not a list`);
        for (const item of list) out += evaluate(node.body, [...scopes, item], format, name);
        break;
      }
      case 'if': {
        const yes = truthy(lookup(scopes, node.path)) !== node.negate;
        out += evaluate(yes ? node.body : node.else, scopes, format, name);
        break;
      }
    }
  }
  return out;
}

/** Render a template source with a view. `name` is only used in error messages. */
export function renderTemplate(source: string, view: object, format: TemplateFormat, name = 'template'): string {
  const output = evaluate(parse(stripStandalone(source), name), [view], format, name);
  if (format === 'yaml') {
    for (const doc of parseAllDocuments(output)) {
      const err = doc.errors[0];
      if (err) throw new TemplateError(name, `rendered YAML is invalid: ${err.message}`);
    }
  } else if (format === 'json') {
    try {
      JSON.parse(output);
    } catch (e) {
      throw new TemplateError(name, `rendered JSON is invalid: ${(e as Error).message}`);
    }
  }
  return output;
}
