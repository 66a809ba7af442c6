/**
 * Cheap, linear checks on the raw text before the YAML parser sees it. The parser is slow or crashes on
 * pathological input (very deep nesting, huge single lines, tens of thousands of keys); inventories are small
 * and flat, so generous limits here cost users nothing.
 */
import { fileIssue, type Issue } from './issues.js';

export const LIMITS = {
  bytes: 1024 * 1024,
  lines: 20_000,
  lineLength: 16_384,
  indentation: 200,
  flowDepth: 64,
} as const;

function at(file: string, line: number, col: number, message: string): Issue {
  return { file, line, col, path: '', message, severity: 'error' };
}

/** The first limit the text breaks, or undefined. */
export function checkTextLimits(text: string, file: string): Issue | undefined {
  if (text.length > LIMITS.bytes) {
    return fileIssue(
      file,
      `is ${(text.length / 1024 / 1024).toFixed(1)} MiB; an inventory must be at most 1 MiB (is this the right file?)`,
    );
  }
  const lines = text.split(/\r?\n|\r/);
  if (lines.length > LIMITS.lines) return fileIssue(file, `has ${lines.length} lines; an inventory has at most ${LIMITS.lines}`);
  let depth = 0;
  let quote: string | undefined;
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!;
    if (line.length > LIMITS.lineLength)
      return at(file, n + 1, 1, `line is ${line.length} characters long; at most ${LIMITS.lineLength} are allowed`);
    const indent = /^[ \t-]*/.exec(line)![0].length;
    if (indent > LIMITS.indentation)
      return at(file, n + 1, 1, `nested too deeply (indented ${indent} columns; at most ${LIMITS.indentation})`);
    for (let c = 0; c < line.length; c++) {
      const ch = line[c]!;
      if (quote) {
        if (ch === '\\' && quote === '"') c++;
        else if (ch === quote) quote = undefined;
      } else if (ch === '"' || ch === "'") {
        if (c === 0 || /[\s[{,:]/.test(line[c - 1]!)) quote = ch;
      } else if (ch === '#' && (c === 0 || /\s/.test(line[c - 1]!))) break;
      else if (ch === '[' || ch === '{') {
        if (++depth > LIMITS.flowDepth) return at(file, n + 1, c + 1, `brackets nested more than ${LIMITS.flowDepth} levels deep`);
      } else if ((ch === ']' || ch === '}') && depth > 0) depth--;
    }
  }
  return undefined;
}
