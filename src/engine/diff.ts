/**
 * A small unified diff of two texts, for tasks to show in check() what a file write would change.
 * Line based, longest-common-subsequence, 3 lines of context, output like `diff -u`.
 */

type Op = { kind: ' ' | '-' | '+'; line: string; oldNo: number; newNo: number };

export interface DiffOptions {
  /** Label of the old side (default: the path or "a"). */
  oldLabel?: string;
  newLabel?: string;
  /** Lines of context around each change (default 3). */
  context?: number;
}

/** Above this many cells the LCS table gets too big: show the whole file as replaced. */
const MAX_CELLS = 4_000_000;

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function editScript(a: string[], b: string[]): Op[] {
  // Trim the common prefix and suffix first: most config edits are small.
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const ops: Op[] = [];
  for (let i = 0; i < start; i++) ops.push({ kind: ' ', line: a[i]!, oldNo: i, newNo: i });

  const midA = a.slice(start, endA);
  const midB = b.slice(start, endB);
  const n = midA.length;
  const m = midB.length;
  if (n * m > MAX_CELLS) {
    midA.forEach((line, i) => ops.push({ kind: '-', line, oldNo: start + i, newNo: start }));
    midB.forEach((line, j) => ops.push({ kind: '+', line, oldNo: endA, newNo: start + j }));
  } else {
    // lcs[i][j] = length of the LCS of midA[i..] and midB[j..]
    const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i]![j] = midA[i] === midB[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && midA[i] === midB[j]) {
        ops.push({ kind: ' ', line: midA[i]!, oldNo: start + i, newNo: start + j });
        i++;
        j++;
      } else if (j < m && (i >= n || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) {
        ops.push({ kind: '+', line: midB[j]!, oldNo: start + i, newNo: start + j });
        j++;
      } else {
        ops.push({ kind: '-', line: midA[i]!, oldNo: start + i, newNo: start + j });
        i++;
      }
    }
  }
  for (let k = 0; k < a.length - endA; k++) {
    ops.push({ kind: ' ', line: a[endA + k]!, oldNo: endA + k, newNo: endB + k });
  }
  // Within a run of changes, show removals before additions, as diff -u does.
  return normalizeRuns(ops);
}

function normalizeRuns(ops: Op[]): Op[] {
  const out: Op[] = [];
  let removed: Op[] = [];
  let added: Op[] = [];
  const flush = () => {
    out.push(...removed, ...added);
    removed = [];
    added = [];
  };
  for (const op of ops) {
    if (op.kind === '-') removed.push(op);
    else if (op.kind === '+') added.push(op);
    else {
      flush();
      out.push(op);
    }
  }
  flush();
  // Renumber: each op's position on both sides after reordering.
  let oldPos = 0;
  let newPos = 0;
  for (const op of out) {
    op.oldNo = oldPos;
    op.newNo = newPos;
    if (op.kind !== '+') oldPos++;
    if (op.kind !== '-') newPos++;
  }
  return out;
}

function range(start: number, count: number): string {
  // diff -u: a hunk with no lines on one side names the line before it.
  const first = count === 0 ? start : start + 1;
  return count === 1 ? `${first}` : `${first},${count}`;
}

/**
 * Unified diff of old → new text; '' when they are equal.
 * A missing file is old text ''. Texts not ending in a newline are compared line by line all the same.
 */
export function unifiedDiff(oldText: string, newText: string, opts: DiffOptions = {}): string {
  if (oldText === newText) return '';
  const context = opts.context ?? 3;
  const ops = editScript(splitLines(oldText), splitLines(newText));
  const changed = ops.map((op, i) => (op.kind !== ' ' ? i : -1)).filter((i) => i >= 0);
  if (changed.length === 0) {
    // Only a trailing newline differs.
    return `--- ${opts.oldLabel ?? 'a'}\n+++ ${opts.newLabel ?? 'b'}\n\\ trailing newline differs\n`;
  }

  // Group changes whose context windows touch into hunks.
  const hunks: [number, number][] = [];
  for (const idx of changed) {
    const lo = Math.max(0, idx - context);
    const hi = Math.min(ops.length - 1, idx + context);
    const last = hunks[hunks.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else hunks.push([lo, hi]);
  }

  const lines = [`--- ${opts.oldLabel ?? 'a'}`, `+++ ${opts.newLabel ?? 'b'}`];
  for (const [lo, hi] of hunks) {
    const slice = ops.slice(lo, hi + 1);
    const oldCount = slice.filter((o) => o.kind !== '+').length;
    const newCount = slice.filter((o) => o.kind !== '-').length;
    const first = slice[0]!;
    lines.push(`@@ -${range(first.oldNo, oldCount)} +${range(first.newNo, newCount)} @@`);
    for (const op of slice) lines.push(`${op.kind}${op.line}`);
  }
  return lines.join('\n') + '\n';
}

/** Diff of a file write: labels the sides with the path (old side /dev/null when the file is new). */
export function fileDiff(path: string, oldText: string | null, newText: string): string {
  return unifiedDiff(oldText ?? '', newText, { oldLabel: oldText === null ? '/dev/null' : path, newLabel: path });
}
