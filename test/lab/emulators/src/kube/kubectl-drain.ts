// kubectl drain as kubectl 1.3x does it (staging/src/k8s.io/kubectl/pkg/drain/drain.go evictPods/deletePods,
// pkg/cmd/drain/drain.go RunDrain): cordon, then one eviction per pod through the API's eviction subresource, which
// honours PodDisruptionBudgets (pdb.ts). A refused eviction (429) is printed and retried every 5 s until --timeout
// (0: forever); --disable-eviction deletes instead (no budget check); --dry-run=server asks the same questions and
// changes nothing. Mirror (static) pods are skipped; DaemonSet pods need --ignore-daemonsets.
import { type Cluster, loadState, objectKey, updateState } from './cluster-state.js';
import { ExitError, labEnv, out, sleepMs } from './lab.js';
import { type Parsed, bool, flag, parseDuration } from './args.js';
import { podObjects } from './kubectl-view.js';
import { evictionRefusal } from './pdb.js';
import { pinPlacements, replacePod } from './pod-placement.js';
import { setCordon } from './kubectl-nodes.js';

/** Go's time.Duration String(): 10s, 1m30s, 1h0m0s, 500ms. */
export function goDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = ms / 1000;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Number((s % 60).toFixed(9));
  if (h) return `${h}h${m}m${sec}s`;
  if (m) return `${m}m${sec}s`;
  return `${sec}s`;
}

const id = (pod: any) => `${pod.metadata.namespace}/${pod.metadata.name}`;
const owner = (pod: any): { kind: string; name: string } | undefined => pod.metadata.ownerReferences?.[0];

/** The Deployment behind a ReplicaSet-owned pod ("<deployment>-<rs hash>"). */
const deploymentKey = (pod: any): string => objectKey('Deployment', pod.metadata.namespace, owner(pod)!.name.replace(/-[^-]+$/, ''));

type Outcome = { gone: true } | { refused: { code: number; message: string } } | { evicted: true };

/** One eviction request, answered under the state lock against the pods as they are now. */
function evict(c: Cluster, pod: any, node: string, dryRun: boolean, disable: boolean): Outcome {
  return updateState((s): Outcome => {
    const cl = s.clusters[c.id]!;
    const pods = podObjects(cl);
    const now = pods.find((p: any) => id(p) === id(pod) && p.spec.nodeName === node);
    if (!now) return { gone: true };
    const refusal = disable ? undefined : evictionRefusal(cl, now, pods);
    if (refusal) return { refused: refusal };
    if (!dryRun && owner(now)?.kind === 'ReplicaSet') {
      pinPlacements(cl);
      replacePod(cl, deploymentKey(now), now.metadata!.name!);
    }
    return { evicted: true };
  });
}

function podsToDrain(c: Cluster, name: string, p: Parsed): any[] {
  const pods = (podObjects(loadState().clusters[c.id]!) as any[])
    .filter((o) => o.spec.nodeName === name)
    .sort((a, b) => id(a).localeCompare(id(b))); // the API lists pods by namespace/name
  const ds = pods.filter((o) => owner(o)?.kind === 'DaemonSet');
  if (ds.length && !bool(p, 'ignore-daemonsets')) {
    const msg = `cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): ${ds.map(id).join(', ')}`;
    throw new ExitError(
      `error: unable to drain node "${name}" due to error: ${msg}, continuing command...\nThere are pending nodes to be drained:\n ${name}\n${msg}`,
    );
  }
  if (ds.length) process.stderr.write(`Warning: ignoring DaemonSet-managed Pods: ${ds.map(id).join(', ')}\n`);
  // mirror pods of static pods are never evicted (the kubelet owns them)
  return pods.filter((o) => owner(o) && owner(o)!.kind !== 'DaemonSet');
}

/** Evict every pod, retrying refused ones every 5 s (LAB_EVICTION_RETRY_MS) until the global timeout. */
function evictAll(c: Cluster, name: string, pods: any[], p: Parsed, dryRun: boolean): string[] {
  const timeout = flag(p, 'timeout') ? parseDuration(flag(p, 'timeout')!) : 0;
  const deadline = timeout ? Date.now() + timeout : Number.POSITIVE_INFINITY;
  const retryMs = Number(labEnv('LAB_EVICTION_RETRY_MS') ?? 5000);
  const tag = dryRun ? ' (server dry run)' : '';
  const errors: string[] = [];
  let round = pods;
  for (const pod of round) out(`evicting pod ${id(pod)}${tag}`);
  while (round.length) {
    const retry: any[] = [];
    for (const pod of round) {
      const r = evict(c, pod, name, dryRun, false);
      if ('refused' in r && r.refused.code === 429) {
        process.stderr.write(
          `error when evicting pods/"${pod.metadata.name}" -n "${pod.metadata.namespace}" (will retry after 5s): ${r.refused.message}\n`,
        );
        retry.push(pod);
      } else if ('refused' in r)
        errors.push(`error when evicting pods/"${pod.metadata.name}" -n "${pod.metadata.namespace}": ${r.refused.message}`);
      else if ('evicted' in r && !dryRun) out(`pod/${pod.metadata.name} evicted`);
    }
    if (!retry.length) break;
    sleepMs(retryMs);
    round = [];
    for (const pod of retry) {
      out(`evicting pod ${id(pod)}${tag}`);
      if (Date.now() >= deadline)
        errors.push(
          `error when evicting pods/"${pod.metadata.name}" -n "${pod.metadata.namespace}": global timeout reached: ${goDuration(timeout)}`,
        );
      else round.push(pod);
    }
  }
  return errors;
}

export function drain(c: Cluster, p: Parsed): void {
  const name = p.positional[0];
  if (!name) throw new ExitError("error: USAGE: drain NODE [flags]\nSee 'kubectl drain -h' for help and examples");
  const dry = flag(p, 'dry-run') ?? 'none';
  if (!['none', 'client', 'server'].includes(dry))
    throw new ExitError(`error: Invalid dry-run value (${dry}). Must be "none", "server", or "client".`);
  if (dry === 'none') setCordon(c, name, true);
  else if (!c.nodes[name]) throw new ExitError(`Error from server (NotFound): nodes "${name}" not found`);
  else out(`node/${name} cordoned (${dry === 'server' ? 'server dry run' : 'dry run'})`);
  const pods = podsToDrain(c, name, p);
  if (dry === 'client') {
    for (const pod of pods) out(`pod/${pod.metadata.name} evicted (dry run)`);
    return out(`node/${name} drained (dry run)`);
  }
  let errors: string[] = [];
  if (bool(p, 'disable-eviction')) {
    for (const pod of pods) evict(c, pod, name, false, true);
    for (const pod of pods) out(`pod/${pod.metadata.name} deleted`);
  } else errors = evictAll(c, name, pods, p, dry === 'server');
  if (errors.length) {
    const agg = errors.length === 1 ? errors[0]! : `[${errors.join(', ')}]`;
    throw new ExitError(
      `error: unable to drain node "${name}" due to error: ${agg}, continuing command...\nThere are pending nodes to be drained:\n ${name}\n${errors.join('\n')}`,
    );
  }
  out(`node/${name} drained${dry === 'server' ? ' (server dry run)' : ''}`);
}
