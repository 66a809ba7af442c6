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
import { markDone, noteDone, parseRecord, recordPath, type NodeStep, type UpgradeRecord } from './record.js';

export const APISERVER_MANIFEST = '/etc/kubernetes/manifests/kube-apiserver.yaml';
/** The static pods `kubeadm upgrade apply|node` rewrites, in its order (etcd's tag is not Kubernetes' version). */
export const CONTROL_PLANE_COMPONENTS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const;
const manifestPath = (component: string) => `/etc/kubernetes/manifests/${component}.yaml`;

/** The tag of a component's image in its static pod manifest ("v1.34.1" → "1.34.1"), or undefined. */
export function manifestVersion(manifest: string | null, component = 'kube-apiserver'): string | undefined {
  return manifest ? new RegExp(`^\\s*image:\\s*\\S*/${component}:v?(\\d+\\.\\d+\\.\\d+)\\s*$`, 'm').exec(manifest)?.[1] : undefined;
}

/** The version every control plane static pod names, when they all name the same one. */
export function staticPodsVersion(manifests: readonly (string | null)[]): string | undefined {
  const tags = CONTROL_PLANE_COMPONENTS.map((c, i) => manifestVersion(manifests[i] ?? null, c));
  return tags.every((t) => t !== undefined && t === tags[0]) ? tags[0] : undefined;
}

/** kubernetesVersion of the ClusterConfiguration in the kubeadm-config ConfigMap ("v1.34.1" → "1.34.1"), or undefined. */
export function clusterConfigVersion(text: string): string | undefined {
  return /^kubernetesVersion:\s*["']?v?(\d+\.\d+\.\d+)["']?\s*$/m.exec(text)?.[1];
}

/** What the node looks like before its steps: its record, package versions and holds, its static pods' version. */
export interface NodeState {
  record: UpgradeRecord;
  versions: Map<string, { version: string; held: boolean }>;
  repository: string | null;
  /** The version all control plane static pod manifests name (control planes; undefined while they differ). */
  staticPods?: string;
  /** The cluster's version in kubeadm-config (read on the first control plane only). */
  cluster?: string;
}

export async function readNodeState(ctx: TaskContext, target: string): Promise<NodeState> {
  const distro = ctx.host.requireDistro();
  const first = ctx.host.name === ctx.hosts.firstControlPlane.name;
  const clusterConfig = kubectl('-n', 'kube-system', 'get', 'configmap', 'kubeadm-config', '-o', 'jsonpath={.data.ClusterConfiguration}');
  const [rec, pkgs, repo, ...manifests] = await lookups(ctx.transport, [
    read(recordPath(target)),
    run(distro.packageStates([...kubernetesPackages])),
    read(distro.kubernetesRepoPath),
    ...CONTROL_PLANE_COMPONENTS.map((c) => read(manifestPath(c))),
  ]);
  const state: NodeState = {
    record: parseRecord(rec, target),
    versions: distro.parsePackageStates(pkgs.stdout),
    repository: repo,
  };
  const pods = staticPodsVersion(manifests as (string | null)[]);
  if (pods) state.staticPods = pods;
  if (first) {
    const cfg = await ctx.transport.exec(clusterConfig, { allowFailure: true, timeoutMs: 60_000 });
    const cluster = cfg.code === 0 ? clusterConfigVersion(cfg.stdout) : undefined; // API down: unknown, apply runs
    if (cluster) state.cluster = cluster;
  }
  return state;
}

/** Is `pkg` installed at `version` and held (rpm distros hold with the repository file's exclude=, which packageSteps keeps)? */
function at(ctx: TaskContext, state: NodeState, pkg: string, version: string): boolean {
  const s = state.versions.get(pkg);
  const v = s?.version ?? '';
  const heldByRepository = ctx.host.requireDistro().holdPackages([pkg]) === undefined;
  return (v === version || v.startsWith(`${version}-`)) && (heldByRepository || !!s?.held);
}

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
  if (!repo)
    noteDone(state.record, 'repository'); // the host has it (a kill may have come before its record)
  else
    out.push(
      step(
        ctx,
        state,
        'repository',
        `${repo.change.summary}: the ${minorTag(target)} repository`,
        async () => (await repo.run(), markPackageIndexStale(ctx)),
      ),
    );
  if (at(ctx, state, 'kubeadm', target)) noteDone(state.record, 'kubeadm');
  else out.push(step(ctx, state, 'kubeadm', `install kubeadm ${target} (held)`, () => installHeld(ctx, ['kubeadm'], target)));
  return out;
}

/** `kubeadm upgrade apply vX` (first control plane, images pulled first) or `kubeadm upgrade node` (every other node). */
export function kubeadmUpgradeStep(ctx: TaskContext, state: NodeState, u: UpgradeRun, first: boolean): Action | undefined {
  if (state.record.done.includes('kubeadm-upgrade')) return undefined;
  const renewal = u.certificateRenewal ? [] : ['--certificate-renewal=false'];
  if (first) {
    // Done (never applied twice) when every static pod names the target and kubeadm-config was uploaded with it (its
    // upload-config phase runs after the control-plane phase). A kubeadm whose SSH session died with us dies at its
    // next line (SIGPIPE) and leaves the apply half done: then it runs again (the cluster's own version is allowed).
    if (state.staticPods === u.target && state.cluster === u.target) return void noteDone(state.record, 'kubeadm-upgrade');
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
  // a control plane whose static pods all name the target has run it (a worker re-runs it: it is idempotent)
  if (ctx.host.isControlPlane && state.staticPods === u.target) return void noteDone(state.record, 'kubeadm-upgrade');
  return step(ctx, state, 'kubeadm-upgrade', `kubeadm upgrade node${renewal.length ? ' --certificate-renewal=false' : ''}`, async () => {
    await ctx.transport.exec(['kubeadm', 'upgrade', 'node', ...renewal], { timeoutMs: 1_800_000 });
  });
}

/** kubelet and kubectl at the exact version, held; the kubelet restarted on the new binary. */
export function kubeletStep(ctx: TaskContext, state: NodeState, target: string): Action | undefined {
  if (state.record.done.includes('kubelet') && at(ctx, state, 'kubelet', target) && at(ctx, state, 'kubectl', target)) return undefined;
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
