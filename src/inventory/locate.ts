/**
 * Maps field paths to positions in the YAML source, and positions back to field paths.
 * A path that exists points at its key (or sequence item); a missing field points at its parent.
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { PathSegment } from './issues.js';

export interface Position {
  line: number;
  col: number;
}

type Yaml = Node | null | undefined;

function deref(doc: Document, node: Yaml): Yaml {
  return isAlias(node) ? (node.resolve(doc) as Yaml) : node;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}

/** Offset of the deepest node along `path` (its key for mapping entries). */
export function offsetOf(doc: Document, path: readonly PathSegment[]): number {
  return walk(doc, path).offset;
}

/** The value node at `path`, when the whole path exists. */
export function nodeAt(doc: Document, path: readonly PathSegment[]): Node | undefined {
  const { node, complete } = walk(doc, path);
  return complete && node ? node : undefined;
}

function walk(doc: Document, path: readonly PathSegment[]): { offset: number; node: Yaml; complete: boolean } {
  let node = deref(doc, doc.contents as Yaml);
  let offset = node?.range?.[0] ?? 0;
  let depth = 0;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => keyText(p.key) === String(seg));
      if (!pair) break;
      offset = (pair.key as Node).range?.[0] ?? offset;
      node = deref(doc, pair.value as Yaml);
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as Yaml;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = deref(doc, item);
    } else break;
    depth++;
  }
  return { offset, node, complete: depth === path.length };
}

export function positionOf(doc: Document, lines: LineCounter, path: readonly PathSegment[]): Position {
  const { line, col } = lines.linePos(offsetOf(doc, path));
  return { line, col };
}

/** The field path of the innermost mapping entry or sequence item containing `offset` (for YAML syntax errors). */
export function pathAt(doc: Document, offset: number): PathSegment[] {
  const path: PathSegment[] = [];
  let node = doc.contents as Yaml;
  const inside = (n: Yaml) => !!n?.range && n.range[0] <= offset && offset < Math.max(n.range[2], n.range[0] + 1);
  for (let depth = 0; depth < 100; depth++) {
    if (isMap(node)) {
      const pair = node.items.find((p) => {
        const k = p.key as Yaml;
        const v = p.value as Yaml;
        return inside(k) || inside(v);
      });
      const key = pair && keyText(pair.key);
      if (!pair || key === undefined) break;
      path.push(key);
      if (inside(pair.key as Yaml)) break;
      node = pair.value as Yaml;
    } else if (isSeq(node)) {
      const index = node.items.findIndex((item) => inside(item as Yaml));
      if (index < 0) break;
      path.push(index);
      node = node.items[index] as Yaml;
    } else break;
  }
  return path;
}
