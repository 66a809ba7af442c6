// Image references compared the way a runtime resolves them (docker.io/library/ and :latest implied).

export function normalizeImage(ref: string): string {
  let r = ref.split('@')[0]!;
  const first = r.split('/')[0]!;
  if (!r.includes('/')) r = `docker.io/library/${r}`;
  else if (!first.includes('.') && !first.includes(':') && first !== 'localhost') r = `docker.io/${r}`;
  if (!/:[^/]+$/.test(r)) r += ':latest';
  return r;
}

export const imagePresent = (held: string[], ref: string): boolean => {
  const want = normalizeImage(ref);
  return held.some((h) => normalizeImage(h) === want);
};
