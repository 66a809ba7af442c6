// A small TOML parser: enough for containerd's config.toml and certs.d hosts.toml (tables, dotted and
// quoted keys, strings, numbers, booleans, arrays, inline tables, arrays of tables). Errors carry
// "(line, column)" like go-toml's, so a broken config fails the way containerd reports it.
export type TomlValue = string | number | boolean | TomlValue[] | TomlTable;
export interface TomlTable {
  [key: string]: TomlValue;
}

export class TomlError extends Error {
  constructor(
    readonly line: number,
    readonly column: number,
    reason: string,
  ) {
    super(`(${line}, ${column}): ${reason}`);
  }
}

class Parser {
  private pos = 0;
  constructor(private readonly src: string) {}

  fail(reason: string): never {
    const before = this.src.slice(0, this.pos);
    const line = before.split('\n').length;
    throw new TomlError(line, this.pos - before.lastIndexOf('\n'), reason);
  }
  peek(): string {
    return this.src[this.pos] ?? '';
  }
  eof(): boolean {
    return this.pos >= this.src.length;
  }
  skipSpace(): void {
    while (this.peek() === ' ' || this.peek() === '\t') this.pos++;
  }
  skipComment(): void {
    if (this.peek() === '#') while (!this.eof() && this.peek() !== '\n') this.pos++;
  }
  skipBlank(): void {
    for (;;) {
      this.skipSpace();
      this.skipComment();
      if (this.peek() === '\n' || this.peek() === '\r') {
        this.pos++;
        continue;
      }
      return;
    }
  }
  endOfLine(): void {
    this.skipSpace();
    this.skipComment();
    if (this.peek() === '\r') this.pos++;
    if (!this.eof() && this.peek() !== '\n') this.fail(`expected end of line, found ${JSON.stringify(this.peek())}`);
  }

  key(): string[] {
    const parts: string[] = [];
    for (;;) {
      this.skipSpace();
      const c = this.peek();
      if (c === '"') parts.push(this.basicString());
      else if (c === "'") parts.push(this.literalString());
      else {
        const m = /^[A-Za-z0-9_-]+/.exec(this.src.slice(this.pos));
        if (!m) this.fail(`invalid key character ${JSON.stringify(c)}`);
        parts.push(m[0]);
        this.pos += m[0].length;
      }
      this.skipSpace();
      if (this.peek() !== '.') return parts;
      this.pos++;
    }
  }

  basicString(): string {
    if (this.src.startsWith('"""', this.pos)) return this.multiline('"""');
    this.pos++;
    let out = '';
    for (;;) {
      const c = this.peek();
      if (c === '' || c === '\n') this.fail('unterminated basic string');
      this.pos++;
      if (c === '"') return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.peek();
      this.pos++;
      const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', '"': '"', '\\': '\\' };
      if (simple[e] !== undefined) out += simple[e];
      else if (e === 'u' || e === 'U') {
        const len = e === 'u' ? 4 : 8;
        const hex = this.src.slice(this.pos, this.pos + len);
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) this.fail('invalid unicode escape');
        out += String.fromCodePoint(Number.parseInt(hex, 16));
        this.pos += len;
      } else this.fail(`invalid escape sequence \\${e}`);
    }
  }
  literalString(): string {
    if (this.src.startsWith("'''", this.pos)) return this.multiline("'''");
    const end = this.src.indexOf("'", this.pos + 1);
    const nl = this.src.indexOf('\n', this.pos);
    if (end === -1 || (nl !== -1 && nl < end)) this.fail('unterminated literal string');
    const s = this.src.slice(this.pos + 1, end);
    this.pos = end + 1;
    return s;
  }
  multiline(quote: string): string {
    const end = this.src.indexOf(quote, this.pos + 3);
    if (end === -1) this.fail('unterminated multi-line string');
    const s = this.src.slice(this.pos + 3, end).replace(/^\r?\n/, '');
    this.pos = end + 3;
    return s;
  }

  value(): TomlValue {
    this.skipSpace();
    const c = this.peek();
    if (c === '"') return this.basicString();
    if (c === "'") return this.literalString();
    if (c === '[') return this.array();
    if (c === '{') return this.inlineTable();
    const m = /^[^\s,\]}#]+/.exec(this.src.slice(this.pos));
    if (!m) this.fail('expected a value');
    const word = m[0];
    this.pos += word.length;
    if (word === 'true') return true;
    if (word === 'false') return false;
    const num = word.replace(/_/g, '');
    if (/^[+-]?(0x[0-9a-fA-F]+|0o[0-7]+|0b[01]+|\d+)$/.test(num)) return Number(num.replace(/^\+/, ''));
    if (/^[+-]?(\d+(\.\d+)?([eE][+-]?\d+)?|inf|nan)$/.test(num)) return Number(num);
    this.pos -= word.length;
    return this.fail(`no value can start with ${word[0]}`);
  }
  array(): TomlValue[] {
    this.pos++;
    const out: TomlValue[] = [];
    for (;;) {
      this.skipBlank();
      if (this.peek() === ']') {
        this.pos++;
        return out;
      }
      out.push(this.value());
      this.skipBlank();
      if (this.peek() === ',') {
        this.pos++;
        continue;
      }
      if (this.peek() === ']') {
        this.pos++;
        return out;
      }
      this.fail('expected , or ] in array');
    }
  }
  inlineTable(): TomlTable {
    this.pos++;
    const table: TomlTable = {};
    this.skipSpace();
    if (this.peek() === '}') {
      this.pos++;
      return table;
    }
    for (;;) {
      const key = this.key();
      if (this.peek() !== '=') this.fail('expected = after key');
      this.pos++;
      this.assign(table, key, this.value());
      this.skipSpace();
      if (this.peek() === ',') {
        this.pos++;
        continue;
      }
      if (this.peek() === '}') {
        this.pos++;
        return table;
      }
      this.fail('expected , or } in inline table');
    }
  }

  assign(table: TomlTable, key: string[], value: TomlValue): void {
    const target = this.descend(table, key.slice(0, -1), false);
    const last = key[key.length - 1]!;
    if (last in target) this.fail(`duplicate key ${JSON.stringify(key.join('.'))}`);
    target[last] = value;
  }
  descend(table: TomlTable, path: string[], arrayLast: boolean): TomlTable {
    let cur = table;
    path.forEach((part, i) => {
      let next = cur[part];
      if (next === undefined) {
        next = arrayLast && i === path.length - 1 ? [] : {};
        cur[part] = next;
      }
      if (Array.isArray(next)) {
        if (arrayLast && i === path.length - 1) {
          const t: TomlTable = {};
          next.push(t);
          cur = t;
          return;
        }
        const lastItem = next[next.length - 1];
        if (typeof lastItem !== 'object' || Array.isArray(lastItem)) this.fail(`key ${part} is not a table`);
        cur = lastItem as TomlTable;
        return;
      }
      if (typeof next !== 'object') this.fail(`key ${JSON.stringify(part)} is already defined as a value`);
      cur = next;
    });
    return cur;
  }

  document(): TomlTable {
    const root: TomlTable = {};
    let current = root;
    const seen = new Set<string>();
    for (;;) {
      this.skipBlank();
      if (this.eof()) return root;
      if (this.peek() === '[') {
        const isArray = this.src.startsWith('[[', this.pos);
        this.pos += isArray ? 2 : 1;
        const keyStart = this.pos;
        const path = this.key();
        if (!this.src.startsWith(isArray ? ']]' : ']', this.pos)) {
          this.pos = keyStart;
          this.fail('unexpected token unclosed table key, was expecting a table key');
        }
        this.pos += isArray ? 2 : 1;
        const id = JSON.stringify(path);
        if (!isArray && seen.has(id)) this.fail(`table ${path.join('.')} already exists`);
        seen.add(id);
        current = this.descend(root, path, isArray);
        this.endOfLine();
        continue;
      }
      const key = this.key();
      if (this.peek() !== '=') this.fail(`expected = after key ${JSON.stringify(key.join('.'))}`);
      this.pos++;
      this.assign(current, key, this.value());
      this.endOfLine();
    }
  }
}

export function parseToml(text: string): TomlTable {
  return new Parser(text).document();
}

/** Walks nested tables: get(doc, 'plugins', 'io.containerd.grpc.v1.cri', 'sandbox_image'). */
export function tomlGet(table: TomlTable | undefined, ...path: string[]): TomlValue | undefined {
  let cur: TomlValue | undefined = table;
  for (const part of path) {
    if (cur === undefined || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as TomlTable)[part];
  }
  return cur;
}
