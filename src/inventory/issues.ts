/**
 * Inventory problems, as data (Issue) and as the one line a human reads:
 *   inventory/prod.yaml:14:7 spec.hosts[2].address: expected an IP address or hostname
 * Never a stack trace. line/col are 1-based; line 0 means "the whole file" (unreadable, too large, empty).
 */

export type Severity = 'error' | 'warning';

export interface Issue {
  file: string;
  line: number;
  col: number;
  /** Field path such as spec.hosts[2].address; '' for the document itself. */
  path: string;
  message: string;
  severity: Severity;
  /** Name of the cross-field rule that produced it (rules.ts), when one did. */
  rule?: string;
}

/** A path as zod and the YAML walker see it: keys and sequence indexes. */
export type PathSegment = string | number;

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * A JSON-quoted string with everything outside printable ASCII escaped (\u043e): inventory fields are ASCII, so a
 * look-alike shows as what it is, and a bidi override or zero-width character cannot rearrange or hide a message.
 */
export function quoteVisible(text: string): string {
  return JSON.stringify(text).replace(/[^\x20-\x7e]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** ['spec', 'hosts', 2, 'address'] → spec.hosts[2].address; odd keys are quoted: registryMirrors["docker.io"]. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (PLAIN_KEY.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${quoteVisible(seg)}]`;
  }
  return out;
}

/** One line per issue; warnings say so, errors read exactly like the example above. */
export function formatIssue(issue: Issue): string {
  const where = issue.line > 0 ? `${issue.file}:${issue.line}:${issue.col}` : issue.file;
  const what = issue.path ? `${issue.path}: ` : '';
  const level = issue.severity === 'warning' ? 'warning: ' : '';
  return `${where} ${what}${level}${issue.message}`;
}

/** Errors first, then by position in the file; whole-file remarks (line 0) last. */
export function sortIssues(issues: readonly Issue[]): Issue[] {
  const rank = (i: Issue) => (i.severity === 'error' ? 0 : 1);
  const line = (i: Issue) => (i.line > 0 ? i.line : Infinity);
  return [...issues].sort((a, b) => rank(a) - rank(b) || line(a) - line(b) || a.col - b.col);
}

export function formatIssues(issues: readonly Issue[]): string {
  return sortIssues(issues).map(formatIssue).join('\n');
}

/** The one error loadInventory throws. Its message is the formatted issue list, nothing else. */
export class InventoryError extends Error {
  override readonly name = 'InventoryError';
  readonly issues: Issue[];
  constructor(
    readonly file: string,
    issues: Issue[],
  ) {
    super(formatIssues(issues) || `${file}: invalid inventory`);
    this.issues = sortIssues(issues);
  }

  get errors(): Issue[] {
    return this.issues.filter((i) => i.severity === 'error');
  }
  get warnings(): Issue[] {
    return this.issues.filter((i) => i.severity === 'warning');
  }
}

export function fileIssue(file: string, message: string): Issue {
  return { file, line: 0, col: 0, path: '', message, severity: 'error' };
}
