/** Package version order as dpkg defines it (epoch, then upstream and revision compared by verrevcmp; "~" sorts first). */
function order(c: string): number {
  if (c === '~') return -1;
  if (/[0-9]/.test(c)) return 0;
  if (/[A-Za-z]/.test(c)) return c.charCodeAt(0);
  return c ? c.charCodeAt(0) + 256 : 0;
}

function verrevcmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let first = 0;
    while ((i < a.length && !/[0-9]/.test(a[i]!)) || (j < b.length && !/[0-9]/.test(b[j]!))) {
      const ac = order(a[i] ?? '');
      const bc = order(b[j] ?? '');
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (a[i] === '0') i++;
    while (b[j] === '0') j++;
    while (/[0-9]/.test(a[i] ?? '') && /[0-9]/.test(b[j] ?? '')) {
      if (!first) first = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (/[0-9]/.test(a[i] ?? '')) return 1;
    if (/[0-9]/.test(b[j] ?? '')) return -1;
    if (first) return first;
  }
  return 0;
}

export function compareVersions(a: string, b: string): number {
  const split = (v: string) => {
    const e = /^(\d+):(.*)$/.exec(v);
    const rest = e ? e[2]! : v;
    const dash = rest.lastIndexOf('-');
    return { epoch: Number(e?.[1] ?? 0), upstream: dash < 0 ? rest : rest.slice(0, dash), revision: dash < 0 ? '' : rest.slice(dash + 1) };
  };
  const x = split(a);
  const y = split(b);
  return x.epoch - y.epoch || verrevcmp(x.upstream, y.upstream) || verrevcmp(x.revision, y.revision);
}

/** "5:27.5.1-1~debian.12~bookworm" → "27.5.1"; "1.34.1-1.1" → "1.34.1". */
export function upstreamOf(version: string): string {
  const rest = version.replace(/^\d+:/, '');
  const dash = rest.lastIndexOf('-');
  return dash < 0 ? rest : rest.slice(0, dash);
}
