/**
 * Certs | The trust bundle pods see during a CA rotation. The controller-manager publishes its --root-ca-file
 * (pki/ca.crt) as the kube-root-ca.crt ConfigMap of every namespace, which projected service-account volumes mount
 * as ca.crt; a pod reads it when it starts. As "Manual Rotation of CA Certificates" says, once the bundle changed the
 * pods using in-cluster configuration are restarted: each Deployment and DaemonSet gets the bundle's fingerprint as a
 * pod-template annotation (a rolling update by its own strategy), one at a time, each rolled out before the next.
 * The annotation is the state: a workload already annotated with the current bundle is left alone.
 */
import { certFingerprint } from '../../certs/ca-rotation.js';
import { pemCertificates, sha256Hex } from '../../certs/x509.js';
import type { Task, TaskContext } from '../../engine/types.js';
import { CA_CERT, controlPlaneTransport, kubectl } from '../common/cluster.js';
import { certsOptions } from './options.js';

export const BUNDLE_ANNOTATION = 'kubesmith.io/trust-bundle';

/** The identity of a trust bundle: its certificates as a set (the order only says which CA signs). */
export function bundleId(pem: string): string {
  return sha256Hex(pemCertificates(pem).map(certFingerprint).sort().join(',')).slice(0, 16);
}

interface Workload {
  kind: 'Deployment' | 'DaemonSet';
  namespace: string;
  name: string;
  annotation?: string | undefined;
  /** Every replica (or scheduled pod) available before the restart: only then is its rollout waited for. */
  healthy: boolean;
}

type Item = {
  kind: Workload['kind'];
  metadata: { name: string; namespace?: string };
  spec?: { template?: { metadata?: { annotations?: Record<string, string> } } };
  status?: { replicas?: number; availableReplicas?: number; desiredNumberScheduled?: number; numberAvailable?: number };
};

function healthy(i: Item): boolean {
  const s = i.status ?? {};
  return i.kind === 'DaemonSet'
    ? (s.numberAvailable ?? 0) >= (s.desiredNumberScheduled ?? 0)
    : (s.availableReplicas ?? 0) >= (s.replicas ?? 0);
}

export function parseWorkloads(json: string): Workload[] {
  return ((JSON.parse(json) as { items?: Item[] }).items ?? []).map((i) => ({
    kind: i.kind,
    namespace: i.metadata.namespace ?? 'default',
    name: i.metadata.name,
    annotation: i.spec?.template?.metadata?.annotations?.[BUNDLE_ANNOTATION],
    healthy: healthy(i),
  }));
}

async function state(ctx: TaskContext): Promise<{ id: string; stale: Workload[] }> {
  const t = controlPlaneTransport(ctx);
  const ca = (await t.readFile(CA_CERT))?.toString() ?? '';
  const id = bundleId(ca);
  const all: Workload[] = [];
  for (const kind of ['deployments', 'daemonsets']) {
    const r = await t.exec(kubectl('get', kind, '-A', '-o', 'json'), { timeoutMs: 60_000 });
    all.push(...parseWorkloads(r.stdout));
  }
  return { id, stale: all.filter((w) => w.annotation !== id) };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Until the ConfigMap pods mount holds the control planes' bundle (the controller-manager republishes it). */
async function waitRootCa(ctx: TaskContext, id: string): Promise<void> {
  const t = controlPlaneTransport(ctx);
  const deadline = Date.now() + certsOptions(ctx).healthTimeoutSeconds * 1000;
  for (;;) {
    const r = await t.exec(kubectl('get', 'configmap', 'kube-root-ca.crt', '-n', 'kube-system', '-o', 'json'), { allowFailure: true });
    const data = r.code === 0 ? ((JSON.parse(r.stdout) as { data?: Record<string, string> }).data?.['ca.crt'] ?? '') : '';
    if (data && bundleId(data) === id) return;
    if (Date.now() >= deadline)
      throw new Error(`kube-root-ca.crt does not hold the control planes' CA bundle ${id} (the controller-manager did not publish it)`);
    await sleep(2000);
  }
}

export const certsRotateWorkloads: Task = {
  id: 'certs.rotate-workloads',
  title: 'Certs | Restart Deployments and DaemonSets rolling so their pods read the new trust bundle',
  async check(ctx) {
    const { id, stale } = await state(ctx);
    if (!stale.length) return { status: 'ok' };
    return {
      status: 'change',
      changes: stale.map((w) => ({
        summary: `${w.kind.toLowerCase()} ${w.namespace}/${w.name}: annotate the pod template ${BUNDLE_ANNOTATION}=${id} (rolling restart)${w.healthy ? ', wait for its rollout' : ' (not fully available before: its rollout is not waited for)'}`,
      })),
    };
  },
  async apply(ctx) {
    const t = controlPlaneTransport(ctx);
    const { id, stale } = await state(ctx);
    if (!stale.length) return;
    await waitRootCa(ctx, id);
    const patch = JSON.stringify({ spec: { template: { metadata: { annotations: { [BUNDLE_ANNOTATION]: id } } } } });
    for (const w of stale) {
      const ref = `${w.kind.toLowerCase()}/${w.name}`;
      await t.exec(kubectl('patch', ref, '-n', w.namespace, '--type', 'merge', '-p', patch), { timeoutMs: 60_000 });
      if (!w.healthy) {
        ctx.log(`${ref} in ${w.namespace} was not fully available before its restart: its rollout is not waited for`);
        continue;
      }
      await t.exec(kubectl('rollout', 'status', ref, '-n', w.namespace, `--timeout=${certsOptions(ctx).healthTimeoutSeconds}s`), {
        timeoutMs: (certsOptions(ctx).healthTimeoutSeconds + 30) * 1000,
      });
    }
  },
};
