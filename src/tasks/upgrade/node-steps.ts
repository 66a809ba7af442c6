/**
 * One node's upgrade to one version, step by step as kubeadm's upgrade procedure runs it
 * (kubernetes.io/docs/tasks/administer-cluster/kubeadm/kubeadm-upgrade/): point the package repository at the new
 * minor, kubeadm at the exact version (held again), `kubeadm upgrade apply|node`, drain, kubelet and kubectl at the
 * exact version (held again), restart the kubelet, uncordon. Each step is skipped when the node's record
 * (record.ts) or the host itself says it is done, and is recorded as soon as it is.
 */
import type { TaskContext } from '../../engine/types.js';
import type { Host } from '../../model/host.js';
import { defaultPackageRepository, kubernetesPackages, minorTag } from '../../data/versions.js';
import { lookups, read, run } from '../../transport/lookups.js';
import { action, type Action } from '../common/define.js';
import { fileAction } from '../common/files.js';
import { kubectl } from '../common/cluster.js';
import { ensureFreshPackageIndex, markPackageIndexStale } from '../common/package-index.js';
import type { UpgradeRun } from '../../upgrade/options.js';
import { markDone, parseRecord, recordPath, type NodeStep, type UpgradeRecord } from './record.js';

export const APISERVER_MANIFEST = '/etc/kubernetes/manifests/kube-apiserver.yaml';

/** The tag of the kube-apiserver image in its static pod manifest ("v1.34.1"), or undefined. */
export function manifestVersion(manifest: string | null): string | undefined {
  return manifest ? /^\s*image:\s*\S*\/kube-apiserver:v?(\d+\.\d+\.\d+)\s*$/m.exec(manifest)?.[1] : undefined;
}

/** What the node looks like before its steps: its record, package versions and holds, the apiserver manifest's tag. */
export interface NodeState {
  record: UpgradeRecord;
  versions: Map<string, { version: string; held: boolean }>;
  repository: string | null;
  apiserver?: string;
}

export async function readNodeState(ctx: TaskContext, target: string): Promise<NodeState> {
  const distro = ctx.host.requireDistro();
  const [rec, pkgs, repo, manifest] = await lookups(ctx.transport, [
    read(recordPath(target)),
    run(distro.packageStates([...kubernetesPackages])),
    read(distro.kubernetesRepoPath),
    read(APISERVER_MANIFEST),
  ]);
  const state: NodeState = {
    record: parseRecord(rec, target),
    versions: distro.parsePackageStates(pkgs.stdout),
    repository: repo,
  };
  const tag = manifestVersion(manifest);
  if (tag) state.apiserver = tag;
  return state;
}

const at = (state: NodeState, pkg: string, version: string) => {
  const v = state.versions.get(pkg)?.version ?? '';
  return (v === version || v.startsWith(`${version}-`)) && !!state.versions.get(pkg)?.held;
};

/** A step's action that records itself when done. */
function step(ctx: TaskContext, state: NodeState, name: NodeStep, summary: string, runStep: () => Promise<void>): Action {
  return action(summary, async () => {
    await runStep();
    await markDone(ctx.transport, state.record, name);
  });
}

async function installHeld(ctx: TaskContext, pkgs: readonly string[], version: string): Promise<void> {
  const distro = ctx.host.requireDistro();
  await ensureFreshPackageIndex(ctx);
  await ctx.transport.exec(distro.installPackages(pkgs.map((p) => [p, version] as const)), { timeoutMs: 900_000 });
  const hold = distro.holdPackages(pkgs);
  if (hold) await ctx.transport.exec(hold);
}

/** Repository of the target's minor, then kubeadm at the exact version, held. */
export async function packageSteps(ctx: TaskContext, state: NodeState, target: string): Promise<Action[]> {
  const distro = ctx.host.requireDistro();
  const base = ctx.inventory.spec.kubernetes.packageRepository ?? defaultPackageRepository;
  const out: Action[] = [];
  const repo = await fileAction(
    ctx.transport,
    distro.kubernetesRepoPath,
    distro.kubernetesRepoFile(base, minorTag(target)),
    {},
    state.repository,
  );
  if (repo)
    out.push(
      step(
        ctx,
        state,
        'repository',
        `${repo.change.summary}: the ${minorTag(target)} repository`,
        async () => (await repo.run(), markPackageIndexStale(ctx)),
      ),
    );
  if (!at(state, 'kubeadm', target)) {
    out.push(step(ctx, state, 'kubeadm', `install kubeadm ${target} (held)`, () => installHeld(ctx, ['kubeadm'], target)));
  }
  return out;
}

/** `kubeadm upgrade apply vX` (first control plane, images pulled first) or `kubeadm upgrade node` (every other node). */
export function kubeadmUpgradeStep(ctx: TaskContext, state: NodeState, u: UpgradeRun, first: boolean): Action | undefined {
  if (state.record.done.includes('kubeadm-upgrade')) return undefined;
  const renewal = u.certificateRenewal ? [] : ['--certificate-renewal=false'];
  if (first) {
    if (state.apiserver === u.target) return undefined; // the control plane runs the target already: never apply twice
    // kubeadm upgrade apply pulls every image of the target in its preflight, before it rewrites any manifest
    // ("[upgrade/preflight] Pulling images required for setting up a Kubernetes cluster"): the images are on the
    // node before anything changes, from the repository the cluster's ClusterConfiguration names.
    return step(
      ctx,
      state,
      'kubeadm-upgrade',
      `kubeadm upgrade apply v${u.target}${renewal.length ? ' --certificate-renewal=false' : ''} (images pulled first)`,
      async () => {
        await ctx.transport.exec(['kubeadm', 'upgrade', 'apply', `v${u.target}`, '--yes', ...renewal], { timeoutMs: 1_800_000 });
      },
    );
  }
  // a control plane whose kube-apiserver manifest names the target has run it (a worker re-runs it: it is idempotent)
  if (ctx.host.isControlPlane && state.apiserver === u.target) return undefined;
  return step(ctx, state, 'kubeadm-upgrade', `kubeadm upgrade node${renewal.length ? ' --certificate-renewal=false' : ''}`, async () => {
    await ctx.transport.exec(['kubeadm', 'upgrade', 'node', ...renewal], { timeoutMs: 1_800_000 });
  });
}

/** kubelet and kubectl at the exact version, held; the kubelet restarted on the new binary. */
export function kubeletStep(ctx: TaskContext, state: NodeState, target: string): Action | undefined {
  if (state.record.done.includes('kubelet') && at(state, 'kubelet', target) && at(state, 'kubectl', target)) return undefined;
  return step(ctx, state, 'kubelet', `install kubelet and kubectl ${target} (held), restart the kubelet`, async () => {
    await installHeld(ctx, ['kubelet', 'kubectl'], target);
    await ctx.transport.exec(['systemctl', 'daemon-reload']);
    await ctx.transport.exec(['systemctl', 'restart', 'kubelet']);
  });
}

/** kubectl on the first control plane (admin.conf): node operations. */
export function apiTransport(ctx: TaskContext) {
  return ctx.transportFor(ctx.hosts.firstControlPlane);
}

export const isDrainTimeout = (stderr: string) => /global timeout reached|did not complete within/.test(stderr);

/**
 * Why a drain failed, from kubectl's stderr: its last lines (on a timeout only "error when evicting pods/… global
 * timeout reached: 300s") plus the distinct reasons the API server gave for refusing evictions, which kubectl prints
 * while it retries ("error when evicting pods/%q -n %q (will retry after 5s): %v", kubectl pkg/drain evictPods), e.g.
 * "Cannot evict pod as it would violate the pod's disruption budget."; on a timeout, the options that decide it.
 */
export function drainFailure(stderr: string): string {
  const lines = stderr.trim().split('\n');
  const refused = [...new Set(lines.map((l) => /\(will retry after \d+s\): (.+)$/.exec(l)?.[1]?.trim()).filter((r) => r !== undefined))];
  const why = [lines.slice(-2).join(' '), ...(refused.length ? [`eviction refused: ${refused.join(' / ')}`] : [])];
  if (isDrainTimeout(stderr)) why.push('raise --drain-timeout, or choose --on-drain-timeout skip|disable-eviction');
  return why.join('; ');
}

/** `kubectl drain` honouring PodDisruptionBudgets (the Eviction API); --disable-eviction deletes instead. */
export async function drain(ctx: TaskContext, node: Host, timeoutSeconds: number, disableEviction = false) {
  const argv = kubectl('drain', node.name, '--ignore-daemonsets', '--delete-emptydir-data', `--timeout=${timeoutSeconds}s`);
  if (disableEviction) argv.push('--disable-eviction');
  return apiTransport(ctx).exec(argv, { allowFailure: true, timeoutMs: (timeoutSeconds + 120) * 1000 });
}

export async function uncordon(ctx: TaskContext, node: Host): Promise<void> {
  await apiTransport(ctx).exec(kubectl('uncordon', node.name), { timeoutMs: 60_000 });
}
