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

/**
 * The tag of kube-proxy's image in its DaemonSet ("registry.k8s.io/kube-proxy:v1.34.1" → "1.34.1"); undefined when the
 * cluster runs no kube-proxy (kubectl printed nothing: --ignore-not-found) or the tag is not a version.
 */
export function kubeProxyVersion(image: string): string | undefined {
  return /:v?(\d+\.\d+\.\d+)\s*$/.exec(image.trim())?.[1];
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
  /** The version kube-proxy's DaemonSet runs (control planes; undefined without kube-proxy or API). */
  kubeProxy?: string;
}

export async function readNodeState(ctx: TaskContext, target: string): Promise<NodeState> {
  const distro = ctx.host.requireDistro();
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
  if (ctx.host.isControlPlane) Object.assign(state, await clusterState(ctx));
  return state;
}

/**
 * What the API says of the kubeadm upgrade phases that run after the static pods: kubeadm-config's version (first
 * control plane) and kube-proxy's image. An API that does not answer leaves both unknown: the kubeadm upgrade runs.
 */
async function clusterState(ctx: TaskContext): Promise<Pick<NodeState, 'cluster' | 'kubeProxy'>> {
  const get = (...args: string[]) =>
    ctx.transport.exec(kubectl('-n', 'kube-system', 'get', ...args), { allowFailure: true, timeoutMs: 60_000 });
  const first = ctx.host.name === ctx.hosts.firstControlPlane.name;
  const [cfg, proxy] = await Promise.all([
    first ? get('configmap', 'kubeadm-config', '-o', 'jsonpath={.data.ClusterConfiguration}') : undefined,
    get('daemonset', 'kube-proxy', '--ignore-not-found', '-o', 'jsonpath={.spec.template.spec.containers[0].image}'),
  ]);
  const out: Pick<NodeState, 'cluster' | 'kubeProxy'> = {};
  const cluster = cfg?.code === 0 ? clusterConfigVersion(cfg.stdout) : undefined;
  if (cluster) out.cluster = cluster;
  const kubeProxy = proxy.code === 0 ? kubeProxyVersion(proxy.stdout) : undefined;
  if (kubeProxy) out.kubeProxy = kubeProxy;
  return out;
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

/**
 * Did this control plane's `kubeadm upgrade apply|node` finish, though its record was never written (a kill)? Both run
 * their phases in a fixed order (kubeadm's cmd/kubeadm/app/cmd/upgrade/{apply,node}.go; apply: preflight,
 * control-plane, upload-config, kubeconfig, kubelet-config, bootstrap-token, addon/coredns, addon/kube-proxy,
 * post-upgrade, the last a placeholder that changes nothing; node: the same without upload-config and bootstrap-token).
 * Only the last one that changes anything proves the whole run: kube-proxy's DaemonSet at the target (and, for apply,
 * every static pod and kubeadm-config too). A kubeadm whose SSH session died with us dies at its next line (SIGPIPE)
 * and may stop after any phase; without that proof it runs again. That is safe: kubeadm allows an apply to the
 * cluster's own version, skips static pods whose manifest is already the target's, and every later phase writes the
 * same objects again. Not proven, so run again, also when kubeadm skipped the addons on purpose (another control plane
 * not upgraded yet: "[upgrade/addon] Skipping upgrade of addons because control plane instances [cp2] have not been upgraded") or the cluster
 * runs no kube-proxy: a repeat costs a minute, a missing phase leaves the cluster half upgraded.
 */
export function kubeadmUpgradeFinished(state: NodeState, target: string, first: boolean): boolean {
  const addons = state.kubeProxy === target;
  return state.staticPods === target && addons && (!first || state.cluster === target);
}

/** `kubeadm upgrade apply vX` (first control plane, images pulled first) or `kubeadm upgrade node` (every other node). */
export function kubeadmUpgradeStep(ctx: TaskContext, state: NodeState, u: UpgradeRun, first: boolean): Action | undefined {
  if (state.record.done.includes('kubeadm-upgrade')) return undefined;
  const renewal = u.certificateRenewal ? [] : ['--certificate-renewal=false'];
  if (ctx.host.isControlPlane && kubeadmUpgradeFinished(state, u.target, first)) return void noteDone(state.record, 'kubeadm-upgrade');
  if (first) {
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
  // a worker's `upgrade node` only rewrites its kubelet configuration: it runs again until recorded
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
