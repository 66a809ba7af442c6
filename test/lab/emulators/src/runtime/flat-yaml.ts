// A reader for flat YAML mappings (one `key: scalar` a line, like /etc/crictl.yaml), so crictl does not load the
// `yaml` package (~25 ms) on every call. Anything it is not sure to read exactly as yaml.parse() would (nesting,
// flow style, escapes, comments after a value, special plain scalars, duplicate keys...) returns undefined:
// the caller then parses with the `yaml` package.

const LINE = /^([A-Za-z_][A-Za-z0-9_-]*):(?: +(.*))?$/;
const PLAIN_STRING = /^[A-Za-z_/][A-Za-z0-9_./:@-]*$/;

/** yaml.parse(text) for a flat mapping of simple scalars; null for an empty document; undefined when not sure. */
export function parseFlatYaml(text: string): Record<string, unknown> | null | undefined {
  const doc: Record<string, unknown> = {};
  let keys = 0;
  for (const line of text.split('\n')) {
    if (/^[ ]*(#.*)?$/.test(line)) continue;
    const m = LINE.exec(line);
    if (!m) return undefined;
    const key = m[1]!;
    if (/^(null|true|false|__proto__)$/i.test(key) || Object.hasOwn(doc, key)) return undefined;
    const value = scalar(m[2] ?? '');
    if (value === undefined) return undefined;
    doc[key] = value.v;
    keys++;
  }
  return keys ? doc : null;
}

function scalar(raw: string): { v: unknown } | undefined {
  if (raw === '' || raw === '~' || raw === 'null' || raw === 'Null' || raw === 'NULL') return { v: null };
  if (raw === 'true' || raw === 'True' || raw === 'TRUE') return { v: true };
  if (raw === 'false' || raw === 'False' || raw === 'FALSE') return { v: false };
  if (/^[0-9]{1,15}$/.test(raw)) return { v: Number(raw) };
  let m = /^"([^"\\]*)"$/.exec(raw) ?? /^'([^']*)'$/.exec(raw);
  if (m) return { v: m[1] };
  m = PLAIN_STRING.exec(raw);
  if (m && !raw.endsWith(':') && !/^(null|true|false)$/i.test(raw)) return { v: raw };
  return undefined;
}
