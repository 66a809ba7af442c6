import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileDiff, unifiedDiff } from '../../../src/engine/diff.js';

/** GNU diff -u's hunks for the same inputs, when diff exists: our output must equal it (headers aside). */
function gnuDiff(a: string, b: string): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'ks-diff-'));
  writeFileSync(join(dir, 'a'), a);
  writeFileSync(join(dir, 'b'), b);
  try {
    execFileSync('diff', ['-u', join(dir, 'a'), join(dir, 'b')]);
    return '';
  } catch (err) {
    const out = (err as { stdout?: Buffer; status?: number }).stdout?.toString();
    if ((err as { status?: number }).status !== 1 || out === undefined) return undefined;
    return out.split('\n').slice(2).join('\n');
  }
}

const body = (d: string) => d.split('\n').slice(2).join('\n');

describe('unifiedDiff', () => {
  it('is empty for equal texts', () => {
    expect(unifiedDiff('a\nb\n', 'a\nb\n')).toBe('');
  });

  it('shows a changed line with 3 lines of context', () => {
    const old = 'l1\nl2\nl3\nl4\nl5\nl6\nl7\nl8\n';
    const neu = 'l1\nl2\nl3\nl4\nL5\nl6\nl7\nl8\n';
    expect(unifiedDiff(old, neu, { oldLabel: 'f', newLabel: 'f' })).toBe(
      '--- f\n+++ f\n@@ -2,7 +2,7 @@\n l2\n l3\n l4\n-l5\n+L5\n l6\n l7\n l8\n',
    );
  });

  it('labels a new file /dev/null and counts every line as added', () => {
    expect(fileDiff('/etc/k.conf', null, 'a=1\nb=2\n')).toBe('--- /dev/null\n+++ /etc/k.conf\n@@ -0,0 +1,2 @@\n+a=1\n+b=2\n');
  });

  it('handles removing everything', () => {
    expect(unifiedDiff('x\ny\n', '')).toBe('--- a\n+++ b\n@@ -1,2 +0,0 @@\n-x\n-y\n');
  });

  it('splits distant changes into separate hunks', () => {
    const lines = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`);
    const changed = [...lines];
    changed[2] = 'CHANGED 3';
    changed[25] = 'CHANGED 26';
    const d = unifiedDiff(lines.join('\n') + '\n', changed.join('\n') + '\n');
    expect(d.match(/^@@/gm)).toHaveLength(2);
    expect(d).toContain('@@ -1,6 +1,6 @@');
    expect(d).toContain('@@ -23,7 +23,7 @@');
  });

  const cases: [string, string, string][] = [
    ['insert in middle', 'a\nb\nc\nd\n', 'a\nb\nX\nc\nd\n'],
    ['swap blocks', 'a\nb\nc\nd\ne\nf\n', 'd\ne\nf\na\nb\nc\n'],
    [
      'mixed edits',
      'one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\nten\n',
      'zero\none\nthree\nFOUR\nfive\nsix\nseven\neight\nnine\nten\neleven\n',
    ],
    ['repeated lines', 'x\nx\ny\nx\nx\n', 'x\ny\ny\nx\n'],
  ];
  for (const [name, a, b] of cases) {
    it(`agrees with GNU diff -u: ${name}`, () => {
      const gnu = gnuDiff(a, b);
      if (gnu === undefined) return; // no diff(1) on this machine
      const ours = body(unifiedDiff(a, b));
      // Same hunk headers and the same old/new line sets (LCS choices may order ties differently).
      const headers = (s: string) => s.split('\n').filter((l) => l.startsWith('@@'));
      const side = (s: string, c: string) =>
        s
          .split('\n')
          .filter((l) => l.startsWith(c) || l.startsWith(' '))
          .map((l) => l.slice(1));
      expect(headers(ours)).toEqual(headers(gnu));
      expect(side(ours, '-')).toEqual(side(gnu, '-'));
      expect(side(ours, '+')).toEqual(side(gnu, '+'));
    });
  }
});
