/** The shape of a JSON value (keys and types, not values), to compare an emulator's output with a real sample. */
export type Shape = string | Shape[] | { [key: string]: Shape };

export function shapeOf(value: unknown): Shape {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length ? [shapeOf(value[0])] : [];
  if (typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, shapeOf(v)]),
    );
  return typeof value;
}

/**
 * Where `got` differs from `want`: keys `want` has and `got` lacks (or extra keys of `got`), and type mismatches,
 * as "path: want X, got Y" lines. Arrays compare their first elements; an empty array matches any array.
 */
export function shapeDiff(want: Shape, got: Shape, path = '$'): string[] {
  if (Array.isArray(want) || Array.isArray(got)) {
    if (!Array.isArray(want) || !Array.isArray(got)) return [`${path}: want ${describe(want)}, got ${describe(got)}`];
    if (!want.length || !got.length) return [];
    return shapeDiff(want[0]!, got[0]!, `${path}[0]`);
  }
  if (typeof want === 'object' || typeof got === 'object') {
    if (typeof want !== 'object' || typeof got !== 'object') return [`${path}: want ${describe(want)}, got ${describe(got)}`];
    const keys = [...new Set([...Object.keys(want), ...Object.keys(got)])].sort();
    return keys.flatMap((k) => {
      if (!(k in got)) return [`${path}.${k}: missing`];
      if (!(k in want)) return [`${path}.${k}: not in the real output`];
      return shapeDiff(want[k]!, got[k]!, `${path}.${k}`);
    });
  }
  return want === got ? [] : [`${path}: want ${want}, got ${got}`];
}

function describe(s: Shape): string {
  return Array.isArray(s) ? 'array' : typeof s === 'object' ? 'object' : s;
}
