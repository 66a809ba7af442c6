// The subset of kubectl's JSONPath used by scripts: fields, [n], [*], [?(@.k=="v")], ['quoted'], range/end, literals.

type Json = unknown;

function splitPath(expr: string): string[] {
  const parts: string[] = [];
  let i = 0;
  const s = expr.replace(/^\$/, '');
  while (i < s.length) {
    if (s[i] === '.') {
      i++;
      let name = '';
      while (i < s.length && s[i] !== '.' && s[i] !== '[') {
        if (s[i] === '\\' && i + 1 < s.length) {
          name += s[i + 1];
          i += 2;
          continue;
        }
        name += s[i++];
      }
      if (name) parts.push(name);
    } else if (s[i] === '[') {
      const end = s.indexOf(']', s[i + 1] === '?' ? s.indexOf(')', i) : i);
      parts.push(s.slice(i, end + 1));
      i = end + 1;
    } else i++;
  }
  return parts;
}

function step(values: Json[], part: string): Json[] {
  const outv: Json[] = [];
  for (const v of values) {
    if (v === null || v === undefined) continue;
    if (!part.startsWith('[')) {
      if (typeof v === 'object' && !Array.isArray(v) && part in (v as object)) outv.push((v as Record<string, Json>)[part]);
      continue;
    }
    const inner = part.slice(1, -1);
    const quoted = /^['"](.*)['"]$/.exec(inner);
    if (quoted) {
      if (typeof v === 'object' && v && quoted[1]! in (v as object)) outv.push((v as Record<string, Json>)[quoted[1]!]);
    } else if (inner === '*') {
      outv.push(...(Array.isArray(v) ? v : typeof v === 'object' ? Object.values(v as object) : []));
    } else if (inner.startsWith('?(')) {
      const m = /^\?\(@\.([\w.]+)\s*(==|!=)\s*["']?([^"')]*)["']?\)$/.exec(inner);
      if (m && Array.isArray(v)) {
        for (const item of v) {
          const got = m[1]!
            .split('.')
            .reduce<Json>((o, k) => (o && typeof o === 'object' ? (o as Record<string, Json>)[k] : undefined), item);
          if ((String(got) === m[3]) === (m[2] === '==')) outv.push(item);
        }
      }
    } else if (/^-?\d+$/.test(inner) && Array.isArray(v)) {
      const n = Number(inner);
      const item = v[n < 0 ? v.length + n : n];
      if (item !== undefined) outv.push(item);
    }
  }
  return outv;
}

const show = (v: Json): string => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v));

function evalPath(root: Json, expr: string): Json[] {
  return splitPath(expr.trim()).reduce<Json[]>((vals, part) => step(vals, part), [root]);
}

/** Render a template like '{.items[*].metadata.name}' or '{range .items[*]}{.x}{"\n"}{end}'. */
export function jsonpath(template: string, root: Json): string {
  const tokens = template.match(/\{[^{}]*\}|[^{}]+/g) ?? [];
  const render = (toks: string[], ctx: Json): string => {
    let s = '';
    for (let i = 0; i < toks.length; i++) {
      const t = toks[i]!;
      if (!t.startsWith('{')) {
        s += t;
        continue;
      }
      const body = t.slice(1, -1).trim();
      if (body.startsWith('range ')) {
        let depth = 1;
        let j = i + 1;
        for (; j < toks.length; j++) {
          if (toks[j]!.startsWith('{range ')) depth++;
          if (toks[j] === '{end}' && --depth === 0) break;
        }
        for (const item of evalPath(ctx, body.slice(6))) s += render(toks.slice(i + 1, j), item);
        i = j;
      } else if (/^".*"$/.test(body) || /^'.*'$/.test(body)) {
        s += body.slice(1, -1).replace(/\\n/g, '\n').replace(/\\t/g, '\t');
      } else if (body === '@') {
        s += show(ctx);
      } else {
        s += evalPath(ctx, body.startsWith('@') ? body.slice(1) : body)
          .map(show)
          .join(' ');
      }
    }
    return s;
  };
  return render(tokens, root);
}
