/**
 * An imported inventory as commented YAML: a header naming the source, what was not carried over and the changes
 * the first plan makes on purpose; above each value, where it came from.
 */
import { Document, isMap, isScalar, isSeq, type Node, type Pair } from 'yaml';
import type { Imported, Path } from './imported.js';

function keyOf(p: Pair): unknown {
  return isScalar(p.key) ? p.key.value : p.key;
}

/** Put a comment above the value at path (above its key in a mapping, above the item in a sequence). */
function commentAt(doc: Document, path: Path, text: string): void {
  const parent = path.length > 1 ? doc.getIn(path.slice(0, -1), true) : doc.contents;
  const last = path.at(-1);
  const lines = text
    .split('\n')
    .map((l) => ` ${l}`)
    .join('\n');
  const add = (n: { commentBefore?: string | null }) => (n.commentBefore = n.commentBefore ? `${n.commentBefore}\n${lines}` : lines);
  if (isMap(parent)) {
    const pair = parent.items.find((p) => keyOf(p) === last);
    if (!pair) return;
    if (!isScalar(pair.key)) pair.key = doc.createNode(pair.key) as Node;
    add(pair.key as Node);
  } else if (isSeq(parent) && typeof last === 'number') {
    const item = parent.items[last];
    if (item && typeof item === 'object') add(item as Node);
  }
}

export function renderImported(r: Imported, header: readonly string[]): string {
  const doc = new Document(r.data);
  for (const n of r.notes) commentAt(doc, n.path, n.text);
  const head = [
    ...header,
    '',
    'Not carried over (kubesmith will not manage these; check them by hand):',
    ...(r.notCarried.length ? r.notCarried.map((s) => `  - ${s}`) : ['  - nothing']),
    '',
    'The first `kubesmith plan` changes these on purpose (kubesmith takes over the files it manages):',
    ...(r.deliberate.length ? r.deliberate.map((d) => `  - ${d.task}: ${d.why}`) : ['  - nothing']),
  ];
  doc.commentBefore = head.map((l) => (l ? ` ${l}` : '')).join('\n');
  return doc.toString({ lineWidth: 0 });
}
