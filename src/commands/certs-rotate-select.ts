/** `certs rotate-ca --ca`: which CAs to rotate (repeatable or a comma list), in the order they rotate. */
import { UsageError } from '../cli/context.js';

export type RotatedCa = 'etcd' | 'front-proxy' | 'cluster';

/** The order of the rotations: the control-plane-only CAs first, the cluster CA (all nodes, workloads) last. */
export const ROTATION_ORDER: readonly RotatedCa[] = ['etcd', 'front-proxy', 'cluster'];

/** The chosen CAs (default: the cluster CA); an unknown name is refused before anything is read or changed. */
export function selectedCas(values: unknown): RotatedCa[] {
  const list = typeof values === 'string' ? [values] : Array.isArray(values) ? values.filter((v) => typeof v === 'string') : [];
  const given = list
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  if (!given.length) return ['cluster'];
  for (const name of given)
    if (!ROTATION_ORDER.includes(name as RotatedCa))
      throw new UsageError(
        `--ca ${name}: unknown CA (expected ${ROTATION_ORDER.join(', ')}; several as a comma list or repeated)`,
        'certs',
      );
  return ROTATION_ORDER.filter((ca) => given.includes(ca));
}
