// Version ordering: dpkg's (epoch:upstream-revision with ~ sorting first) and rpm's rpmvercmp.

function dpkgOrder(c: string): number {
  if (c === '~') return -1;
  if (/\d/.test(c)) return 0;
  if (!c) return 0;
  if (/[A-Za-z]/.test(c)) return c.charCodeAt(0);
  return c.charCodeAt(0) + 256;
}

function dpkgPart(a: string, b: string): number {
  let i = 0,
    j = 0;
  while (i < a.length || j < b.length) {
    let first = 0;
    while ((i < a.length && !/\d/.test(a[i]!)) || (j < b.length && !/\d/.test(b[j]!))) {
      const ac = dpkgOrder(a[i] ?? ''),
        bc = dpkgOrder(b[j] ?? '');
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (a[i] === '0') i++;
    while (b[j] === '0') j++;
    while (i < a.length && /\d/.test(a[i]!) && j < b.length && /\d/.test(b[j]!)) {
      if (!first) first = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (i < a.length && /\d/.test(a[i]!)) return 1;
    if (j < b.length && /\d/.test(b[j]!)) return -1;
    if (first) return first;
  }
  return 0;
}

function splitEvr(v: string): [number, string, string] {
  const m = /^(?:(\d+):)?(.*?)(?:-([^-]*))?$/.exec(v)!;
  return [Number(m[1] ?? 0), m[2] ?? '', m[3] ?? ''];
}

export function compareDeb(a: string, b: string): number {
  const [ea, ua, ra] = splitEvr(a),
    [eb, ub, rb] = splitEvr(b);
  if (ea !== eb) return ea - eb;
  return dpkgPart(ua, ub) || dpkgPart(ra, rb);
}

function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  const sa = a.match(/~|\^|\d+|[A-Za-z]+/g) ?? [],
    sb = b.match(/~|\^|\d+|[A-Za-z]+/g) ?? [];
  for (let k = 0; k < Math.max(sa.length, sb.length); k++) {
    const x = sa[k],
      y = sb[k];
    if (x === '~' || y === '~') {
      if (x !== y) return x === '~' ? -1 : 1;
      continue;
    }
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const xn = /^\d/.test(x),
      yn = /^\d/.test(y);
    if (xn !== yn) return xn ? 1 : -1;
    if (xn) {
      const d = Number(x) - Number(y);
      if (d) return d > 0 ? 1 : -1;
      continue;
    }
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

export function compareRpm(a: string, b: string): number {
  const [ea, ua, ra] = splitEvr(a),
    [eb, ub, rb] = splitEvr(b);
  if (ea !== eb) return ea - eb;
  return rpmvercmp(ua, ub) || rpmvercmp(ra, rb);
}

export const compareVersions = (format: 'deb' | 'rpm', a: string, b: string): number =>
  format === 'deb' ? compareDeb(a, b) : compareRpm(a, b);
