// kubectl patch TYPE/NAME [-n NS] --type merge|strategic -p JSON: a JSON merge patch (RFC 7386) of a stored object —
// for the maps kubesmith patches (pod-template annotations) a strategic merge patch merges the same way. A changed pod
// template replaces the workload's pods (they start with the kube-root-ca.crt of that moment: trust.ts).
import { isDeepStrictEqual } from 'node:util';
import { type Cluster, type KubeObject, loadState, objectKey, updateState } from './cluster-state.js';
import { ExitError, out } from './lab.js';
import { type Parsed, flag } from './args.js';
import { qualified, resolveResource } from './kubectl-resources.js';
import { storageKey, storePut } from './etcd-storage.js';
import { rootCA } from './trust.js';

/** RFC 7386: objects merge key by key, null deletes, anything else replaces. */
export function mergePatch(target: unknown, patchDoc: unknown): unknown {
  if (typeof patchDoc !== 'object' || patchDoc === null || Array.isArray(patchDoc)) return patchDoc;
  const out: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as object) } : {};
  for (const [k, v] of Object.entries(patchDoc)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** A Deployment's or DaemonSet's pods were (re)made from a new template: they read kube-root-ca.crt now. */
export function podsRestarted(cl: Cluster, key: string, prev: KubeObject | undefined, next: KubeObject): void {
  if (next.kind !== 'Deployment' && next.kind !== 'DaemonSet') return;
  if (prev && isDeepStrictEqual((prev as any).spec?.template, (next as any).spec?.template)) return;
  (cl.podTrust ??= {})[key] = rootCA(cl);
}

export function patch(c: Cluster, p: Parsed): void {
  const [target = '', maybeName] = p.positional;
  const [type, slashName] = target.split('/');
  const r = resolveResource(type ?? '');
  const name = slashName ?? maybeName ?? '';
  const kind = flag(p, 'type') ?? 'strategic';
  if (kind !== 'merge' && kind !== 'strategic') throw new ExitError(`error: the lab's kubectl patches with --type merge or strategic only`);
  const body = flag(p, 'patch');
  if (!body) throw new ExitError('error: must specify --patch or --patch-file containing the contents of the patch');
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (e) {
    throw new ExitError(`error: unable to parse "${body}": ${(e as Error).message}`);
  }
  const ns = r.namespaced ? (flag(p, 'namespace') ?? 'default') : undefined;
  const key = objectKey(r.kind, ns, name);
  const result = updateState((s) => {
    const cl = s.clusters[c.id]!;
    const prev = cl.objects[key];
    if (!prev) return `Error from server (NotFound): ${r.plural}${r.group ? `.${r.group}` : ''} "${name}" not found`;
    const next = mergePatch(prev, doc) as KubeObject;
    if (isDeepStrictEqual(prev, next)) return 'patched (no change)';
    podsRestarted(cl, key, prev, next);
    cl.objects[key] = next;
    return 'patched';
  });
  if (result.startsWith('Error')) throw new ExitError(result);
  if (result === 'patched') storePut(c, storageKey(r, ns, name), loadState().clusters[c.id]!.objects[key]!);
  out(`${qualified(r)}/${name} ${result}`);
}
