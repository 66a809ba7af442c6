/**
 * Commands that reach a remote shell. This is the ONE place where values are quoted.
 *
 * - `quote(value)` makes any string a single POSIX-shell word.
 * - `sh\`...\`` is a tagged template: every interpolated value is quoted; arrays become several words;
 *   `secret(x)` values are quoted in the real text and masked as *** in the display text;
 *   `raw(x)` inserts trusted shell text (constants written in our own source, never inventory values).
 * - A `Command` is either an argv array or a script built by `sh`. Nothing else is accepted by a transport.
 */

const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quote one value as a single POSIX shell word. */
export function quote(value: string | number): string {
  const s = String(value);
  if (s === '') return "''";
  if (SAFE_WORD.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A secret: its value reaches the remote shell, its text never reaches a log, a plan or an error. */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return '***';
  }
  toJSON(): string {
    return '***';
  }
}

export function secret(value: string): Secret {
  return new Secret(value);
}

/** Trusted shell text, written in our own source code. Never wrap an inventory value in raw(). */
export class RawShell {
  constructor(readonly text: string) {}
}

export function raw(text: string): RawShell {
  return new RawShell(text);
}

export interface ShellScript {
  readonly kind: 'script';
  /** The exact text the remote shell runs (secrets revealed). */
  readonly text: string;
  /** The same text with every secret replaced by ***: safe for logs, plans and errors. */
  readonly display: string;
  /** The secret values used, so transports can also mask them in output. */
  readonly secrets: readonly string[];
}

export type Command = readonly string[] | ShellScript;

type Interpolation = string | number | Secret | RawShell | ShellScript | readonly (string | number | Secret)[];

function render(value: Interpolation, secrets: string[]): { text: string; display: string } {
  if (value instanceof Secret) {
    secrets.push(value.reveal());
    return { text: quote(value.reveal()), display: '***' };
  }
  if (value instanceof RawShell) return { text: value.text, display: value.text };
  if (typeof value === 'object' && !Array.isArray(value) && (value as ShellScript).kind === 'script') {
    const script = value as ShellScript;
    secrets.push(...script.secrets);
    return { text: script.text, display: script.display };
  }
  if (Array.isArray(value)) {
    const parts = value.map((v) => render(v as Interpolation, secrets));
    return { text: parts.map((p) => p.text).join(' '), display: parts.map((p) => p.display).join(' ') };
  }
  const q = quote(value as string | number);
  return { text: q, display: q };
}

/** Build a shell script; every interpolation is quoted (see module comment). */
export function sh(strings: TemplateStringsArray, ...values: Interpolation[]): ShellScript {
  // a tagged template with an invalid escape (`\1`, `\x`) has no cooked text there: it would silently drop the rest
  const bad = strings.findIndex((s) => s === undefined);
  if (bad !== -1)
    throw new Error(`sh\`…\`: invalid escape sequence in ${JSON.stringify(strings.raw[bad]?.slice(0, 60))} (write \\ for a backslash)`);
  const secrets: string[] = [];
  let text = strings[0] ?? '';
  let display = strings[0] ?? '';
  values.forEach((value, i) => {
    const r = render(value, secrets);
    text += r.text + (strings[i + 1] ?? '');
    display += r.display + (strings[i + 1] ?? '');
  });
  return { kind: 'script', text, display, secrets };
}

export function isScript(cmd: Command): cmd is ShellScript {
  return !Array.isArray(cmd) && (cmd as ShellScript).kind === 'script';
}

/** The shell text a command runs as. argv arrays are quoted word by word. */
export function commandText(cmd: Command): string {
  return isScript(cmd) ? cmd.text : (cmd as readonly string[]).map(quote).join(' ');
}

/** The text safe to show a human (secrets masked). */
export function commandDisplay(cmd: Command): string {
  return isScript(cmd) ? cmd.display : (cmd as readonly string[]).map(quote).join(' ');
}

export function commandSecrets(cmd: Command): readonly string[] {
  return isScript(cmd) ? cmd.secrets : [];
}

/** Replace every occurrence of any secret in text by ***. */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    if (s.length >= 4) out = out.split(s).join('***');
  }
  return out;
}
