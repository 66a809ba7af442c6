/**
 * A stopped (crashed) host's disk as its overlays would show it: upper layer first (whiteouts hide), then the machine's
 * directory. Opaque directories (removed and recreated in the host) are not modelled: their machine files show through.
 */
import { lstatSync, readFileSync } from 'node:fs';
import { join, normalize } from 'node:path';

const OVERLAID = new Set(['etc', 'var', 'opt', 'usr', 'home', 'srv']);

/** Reads `path` of a host that is not running from its directory `hostDir` (LAB_ROOT/hosts/<host>); null if absent. */
export function readOffline(hostDir: string, path: string): string | null {
  const rel = normalize(path).replace(/^\/+/, '');
  const [top = '', ...rest] = rel.split('/');
  if (top === 'root') return tryRead(join(hostDir, rel));
  if (!OVERLAID.has(top)) return null; // /run, /tmp, /dev: gone with the host
  // Any whiteout (a 0:0 character device) on the way up hides the machine's copy.
  for (let i = 1; i <= rest.length + 1; i++) {
    const upperPart = join(hostDir, 'upper', top, ...rest.slice(0, i - 1));
    if (isWhiteout(upperPart)) return null;
  }
  return tryRead(join(hostDir, 'upper', rel)) ?? tryRead(join('/', rel));
}

function isWhiteout(p: string): boolean {
  try {
    const st = lstatSync(p);
    return st.isCharacterDevice() && st.rdev === 0;
  } catch {
    return false;
  }
}

function tryRead(p: string): string | null {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return null;
  }
}
