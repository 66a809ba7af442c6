/**
 * The operator's choices for an upgrade (command flags), as the upgrade tasks read them from ctx.options.upgrade,
 * and the worker batches they imply.
 */
export type DrainTimeoutPolicy = 'stop' | 'skip' | 'disable-eviction';

export interface UpgradeRun {
  /** This run's step of the route: every node ends at exactly this version. */
  target: string;
  /** The version the cluster ran when the whole upgrade started (names the backup). */
  from: string;
  /** --max-unavailable, resolved against the number of workers. */
  maxUnavailable: number;
  drainTimeoutSeconds: number;
  onDrainTimeout: DrainTimeoutPolicy;
  controlPlaneOnly: boolean;
  /** --certificate-renewal (default true): passed to kubeadm upgrade apply/node. */
  certificateRenewal: boolean;
}

/** `--max-unavailable N|P%` → how many workers at once (at least 1; P% rounds down, as kubectl's maxUnavailable does). */
export function resolveMaxUnavailable(value: string, workers: number): number {
  const pct = /^(\d{1,3})%$/.exec(value);
  if (pct) {
    const p = Number(pct[1]);
    if (p < 1 || p > 100) throw new Error(`--max-unavailable ${value}: a percentage from 1% to 100%`);
    return Math.max(1, Math.floor((workers * p) / 100));
  }
  if (/^[1-9]\d*$/.test(value)) return Number(value);
  throw new Error(`--max-unavailable ${value}: expected a number of nodes (2) or a percentage of the workers (25%)`);
}

/** Workers in inventory order, `size` at a time. */
export function batches<T>(workers: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < workers.length; i += size) out.push(workers.slice(i, i + size));
  return out;
}

/** The run options as the tasks read them (set by the upgrade command). */
export function upgradeRun(options: Readonly<Record<string, unknown>>): UpgradeRun {
  const u = options.upgrade as UpgradeRun | undefined;
  if (!u?.target) throw new Error('the upgrade tasks run only from `kubesmith upgrade` (options.upgrade is not set)');
  return u;
}
