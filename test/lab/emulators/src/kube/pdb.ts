// PodDisruptionBudgets as the API server's eviction subresource applies them (pkg/registry/core/pod/storage/
// eviction.go, pkg/controller/disruption): a Pending pod is evicted without a budget check; a pod matched by one budget
// is evicted only while disruptionsAllowed > 0 (currentHealthy − desiredHealthy); two budgets are an error.
import type { Cluster, KubeObject } from './cluster-state.js';

export interface PdbStatus {
  currentHealthy: number;
  desiredHealthy: number;
  disruptionsAllowed: number;
  expectedPods: number;
}

const matches = (pdb: KubeObject, pod: KubeObject): boolean => {
  if ((pdb.metadata?.namespace ?? 'default') !== pod.metadata?.namespace) return false;
  const want = ((pdb as any).spec?.selector?.matchLabels ?? {}) as Record<string, string>;
  const have = pod.metadata?.labels ?? {};
  return Object.entries(want).every(([k, v]) => have[k] === v);
};

export const budgetsOf = (c: Cluster, pod: KubeObject): KubeObject[] =>
  Object.values(c.objects).filter((o) => o.kind === 'PodDisruptionBudget' && matches(o, pod));

/** intstr: an int, or "N%" of `total` rounded up (GetScaledValueFromIntOrPercent with roundUp). */
function scaled(v: unknown, total: number): number {
  const m = /^(\d+)%$/.exec(String(v));
  return m ? Math.ceil((Number(m[1]) * total) / 100) : Number(v);
}

export function pdbStatus(pdb: KubeObject, pods: KubeObject[]): PdbStatus {
  const own = pods.filter((p) => matches(pdb, p));
  const expectedPods = own.length;
  const currentHealthy = own.filter((p) => (p as any).status?.phase === 'Running').length;
  const spec = (pdb as any).spec ?? {};
  const desiredHealthy =
    spec.minAvailable !== undefined
      ? scaled(spec.minAvailable, expectedPods)
      : Math.max(0, expectedPods - scaled(spec.maxUnavailable ?? 0, expectedPods));
  return { currentHealthy, desiredHealthy, disruptionsAllowed: Math.max(0, currentHealthy - desiredHealthy), expectedPods };
}

export const PDB_VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget.";
export const MANY_PDBS = 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.';

/** The eviction API's answer for one pod: undefined (allowed), or the HTTP status and message it refuses with. */
export function evictionRefusal(c: Cluster, pod: KubeObject, pods: KubeObject[]): { code: 429 | 500; message: string } | undefined {
  if ((pod as any).status?.phase !== 'Running') return undefined; // canIgnorePDB: Pending, Succeeded, Failed
  const budgets = budgetsOf(c, pod);
  if (budgets.length > 1) return { code: 500, message: MANY_PDBS };
  if (budgets.length === 1 && pdbStatus(budgets[0]!, pods).disruptionsAllowed <= 0) return { code: 429, message: PDB_VIOLATION };
  return undefined;
}
