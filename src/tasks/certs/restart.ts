/**
 * Restart a control plane's static pods the way the kubeadm docs say, one component at a time: move its manifest
 * out, wait until the kubelet has noticed (its fileCheckFrequency is 20 s by default; the container disappears from
 * crictl), move it back, then wait until it runs in a NEW container and — from the API server on — this node's API
 * server answers with the renewed admin.conf. Everything runs on the node over SSH: nothing needs a working API beforehand.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { MANIFEST_DIR, STATIC_PODS } from '../../certs/catalog.js';
import { parseCrictlPs, runningIds } from '../../certs/crictl.js';
import { sh } from '../../transport/command.js';
import type { Transport } from '../../transport/types.js';

export const OFF_DIR = '/etc/kubernetes/manifests.kubesmith-off';
/** kube-vip (when its static pod is there) reads admin.conf at start: it is restarted with the control plane. */
const RESTARTED = [...STATIC_PODS, 'kube-vip'];

export interface RestartOptions {
  /** Node name (kubectl get node) and the address its API server listens on. */
  node: string;
  apiServer: string;
  /** Minimum seconds the manifests stay out (default 20: the kubelet's fileCheckFrequency). */
  offSeconds: number;
  /** Give up waiting for health after this many seconds. */
  healthTimeoutSeconds: number;
  signal?: AbortSignal;
  log(message: string): void;
}

async function containers(t: Transport): Promise<Map<string, Set<string>>> {
  const r = await t.exec(['crictl', 'ps'], { allowFailure: true, timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`crictl ps failed on ${t.host} (exit ${r.code}): ${r.stderr.trim().split('\n').pop() ?? ''}`);
  return runningIds(parseCrictlPs(r.stdout), RESTARTED);
}

/** Poll until `ok()` or the deadline; returns the last failure reason when it never became true. */
async function until(
  timeoutMs: number,
  signal: AbortSignal | undefined,
  ok: () => Promise<string | undefined>,
): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const why = await ok();
    if (!why || Date.now() >= deadline) return why;
    await sleep(1000, undefined, { signal });
  }
}

export async function restartStaticPods(t: Transport, o: RestartOptions): Promise<void> {
  const present = (
    await t.exec(sh`cd ${MANIFEST_DIR} && for f in ${RESTARTED.map((p) => `${p}.yaml`)}; do [ -e "$f" ] && echo "\${f%.yaml}"; done; true`)
  ).stdout
    .split('\n')
    .filter(Boolean);
  if (!present.length) throw new Error(`no control-plane manifests in ${MANIFEST_DIR} on ${t.host}`);
  // one component at a time, in dependency order (etcd, API server, controller-manager, scheduler, kube-vip):
  // each runs a new container and passes its health check before the next one goes down
  for (const pod of RESTARTED.filter((p) => present.includes(p))) await restartOne(t, o, pod);
}

async function apiAnswers(t: Transport, o: RestartOptions): Promise<string | undefined> {
  const api = await t.exec(
    [
      'kubectl',
      '--kubeconfig',
      '/etc/kubernetes/admin.conf',
      '--server',
      o.apiServer,
      '--request-timeout',
      '10s',
      'get',
      'node',
      o.node,
      '-o',
      'name',
    ],
    { allowFailure: true, timeoutMs: 30_000 },
  );
  return api.code === 0 ? undefined : `API server ${o.apiServer}: ${api.stderr.trim().split('\n').pop() ?? `exit ${api.code}`}`;
}

/** Restart one static pod (its manifest out, then back) and wait until its new container (and the API) is healthy. */
export async function restartOne(t: Transport, o: RestartOptions, pod: string): Promise<void> {
  const file = `${pod}.yaml`;
  const before = (await containers(t)).get(pod) ?? new Set<string>();
  o.log(`moving ${file} to ${OFF_DIR}`);
  await t.exec(sh`set -e; mkdir -p -m 0700 ${OFF_DIR}; cd ${MANIFEST_DIR}; mv -f -- ${file} ${OFF_DIR}/`);
  const started = Date.now();
  const gone = await until(o.healthTimeoutSeconds * 1000, o.signal, async () => {
    const now = await containers(t);
    return [...before].some((id) => now.get(pod)?.has(id)) ? `still running: ${pod}` : undefined;
  });
  if (gone) throw new Error(`the kubelet on ${t.host} did not stop the static pods (${gone}); manifests are in ${OFF_DIR}`);
  const rest = o.offSeconds * 1000 - (Date.now() - started);
  if (rest > 0) await sleep(rest, undefined, { signal: o.signal });
  await t.exec(sh`set -e; cd ${OFF_DIR}; mv -f -- ${file} ${MANIFEST_DIR}/; rmdir ${OFF_DIR} 2>/dev/null || true`);
  // etcd is judged by its new container only: the API server in front of it may still hold expired certificates
  const needsApi = pod !== 'etcd';
  o.log(`${file} back in ${MANIFEST_DIR}; waiting for a new ${pod} container${needsApi ? ' and the API server' : ''}`);
  const unhealthy = await until(o.healthTimeoutSeconds * 1000, o.signal, async () => {
    const now = await containers(t);
    if (![...(now.get(pod) ?? [])].some((id) => !before.has(id))) return `no new running container for ${pod}`;
    return needsApi ? apiAnswers(t, o) : undefined;
  });
  if (unhealthy) throw new Error(`control plane on ${t.host} not healthy after ${o.healthTimeoutSeconds}s: ${unhealthy}`);
}

/** Put the manifests back if a failed restart left them out (used before a restore). */
export function manifestsBackScript() {
  return sh`if [ -d ${OFF_DIR} ]; then mv -f -- ${OFF_DIR}/*.yaml ${MANIFEST_DIR}/ 2>/dev/null; rmdir ${OFF_DIR} 2>/dev/null; fi; true`;
}
