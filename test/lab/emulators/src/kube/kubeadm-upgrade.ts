// kubeadm upgrade plan | apply VERSION | node — as kubeadm 1.34 behaves (cmd/kubeadm/app/cmd/upgrade/*.go,
// cmd/kubeadm/app/cmd/phases/upgrade/{apply,node}/*.go, phases/upgrade/{policy,health,staticpods}.go). The version
// rules are in upgrade-policy.ts; the host changes in upgrade-steps.ts. Real transcripts: test/fixtures/real/kubeadm.
import { readFileSync } from 'node:fs';
import { type Cluster, loadState } from './cluster-state.js';
import { ExitError, dieAfterPhase, exists, out } from './lab.js';
import { type Parsed, bool, flag, flagAll } from './args.js';
import { binaryVersion, controlPlaneImages, imageOptionsFrom, normalizeVersion } from './kube-versions.js';
import { clusterFromKubeconfig, stackHint } from './kubeadm-common.js';
import { pullImages } from './kubeadm-init.js';
import { DEFAULT_CRI_SOCKET } from './host-probe.js';
import { minimumControlPlane, parseSemver, policyError, versionPolicy } from './upgrade-policy.js';
import {
  MANIFESTS,
  type StaticPodRun,
  etcdDown,
  healthErrors,
  healthFailure,
  recordControlPlane,
  selfNodeName,
  upgradeAddons,
  upgradeKubeconfigs,
  upgradeKubeletConfig,
  upgradeStaticPods,
} from './upgrade-steps.js';
import { mixedVersionsWarning, planText } from './upgrade-plan.js';
import { klogWarning } from './kubeadm-config.js';

const READING =
  '[upgrade] Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"...\n' +
  "[upgrade] Use 'kubeadm init phase upload-config kubeadm --config your-config-file' to re-upload it.";

const fail = (msg: string): never => {
  throw new ExitError(`error: ${msg}\n${stackHint}`);
};
const phaseFail = (phase: string, msg: string): never => fail(`error execution phase ${phase}: ${msg}`);

const onControlPlane = (): boolean => exists(`${MANIFESTS}/kube-apiserver.yaml`);

/** The cluster through admin.conf (or --kubeconfig); a worker's `upgrade node` uses kubelet.conf. */
function connectCluster(p: Parsed, worker = false): Cluster {
  const path = flag(p, 'kubeconfig') ?? (worker ? '/etc/kubernetes/kubelet.conf' : '/etc/kubernetes/admin.conf');
  const c = clusterFromKubeconfig(path);
  if (!Object.values(c.nodes).some((n) => c.controlPlane[n.name] && n.status.kubeletActive)) {
    const host = c.endpoint;
    fail(
      `Get "https://${host}/api/v1/namespaces/kube-system/configmaps/kubeadm-config?timeout=10s": dial tcp ${host}: connect: connection refused`,
    );
  }
  return c;
}

/** FetchInitConfigurationFromCluster refuses a cluster older than kubeadm's previous minor. */
function checkClusterSupported(c: Cluster, kubeadm: string): void {
  const min = minimumControlPlane(parseSemver(kubeadm)!);
  const cur = parseSemver(c.kubernetesVersion)!;
  if (cur.minor < min.minor)
    fail(
      `[upgrade/init config] FATAL: this version of kubeadm only supports deploying clusters with the control plane version >= ${min.major}.${min.minor}.0. Current version: ${c.kubernetesVersion}`,
    );
}

const kubeletVersions = (c: Cluster): string[] => Object.values(c.nodes).map((n) => n.kubeletVersion);

export function upgradePlan(p: Parsed): void {
  const c = connectCluster(p);
  const kubeadm = binaryVersion('kubeadm');
  out('[preflight] Running pre-flight checks.');
  out(READING.replace(/\[upgrade\]/g, '[upgrade/config]'));
  checkClusterSupported(c, kubeadm);
  out('[upgrade] Running cluster health checks');
  const errs = healthErrors(c, onControlPlane(), flagAll(p, 'ignore-preflight-errors'));
  if (errs.length) fail(healthFailure(errs));
  out('[upgrade] Fetching available versions to upgrade to');
  const mixed = mixedVersionsWarning(c);
  if (mixed) process.stderr.write(klogWarning('compute.go:93', mixed));
  const target = p.positional[0] ? normalizeVersion(p.positional[0]) : offlineTarget(kubeadm);
  out(planText(c, kubeadm, target));
}

/** No internet in the lab: kubeadm falls back to its own version (cmd/kubeadm/app/util/version.go). */
function offlineTarget(kubeadm: string): string {
  const url = 'https://dl.k8s.io/release/stable.txt';
  process.stderr.write(
    klogWarning(
      'version.go:109',
      `could not fetch a Kubernetes version from the internet: unable to get URL "${url}": Get "${url}": dial tcp: lookup dl.k8s.io: no such host`,
    ) + klogWarning('version.go:110', `falling back to the local client version: ${kubeadm}`),
  );
  return kubeadm;
}

/** "[upgrade] Are you sure you want to proceed? [y/N]: " answered from stdin (kubeadm's InteractivelyConfirmAction). */
function confirm(p: Parsed): void {
  if (bool(p, 'yes') || bool(p, 'dry-run')) return;
  process.stdout.write('[upgrade] Are you sure you want to proceed? [y/N]: ');
  let answer = '';
  try {
    answer = readFileSync(0, 'utf8').split('\n')[0]!.trim();
  } catch {
    /* no stdin */
  }
  if (!/^(y|yes)$/i.test(answer)) phaseFail('preflight', "won't proceed; the user didn't answer (Y|y) in order to continue");
}

function runFor(c: Cluster, version: string, p: Parsed): StaticPodRun {
  const name = selfNodeName(c) ?? '';
  const m = c.controlPlane[name];
  return {
    cc: c.clusterConfiguration as Record<string, any>,
    version,
    renewCerts: flag(p, 'certificate-renewal') !== 'false',
    etcdUpgrade: flag(p, 'etcd-upgrade') !== 'false' && !!(c.clusterConfiguration as any).etcd?.local,
    nodeName: name,
    address: m?.advertiseAddress ?? '',
    bindPort: m?.bindPort ?? 6443,
  };
}

function prePull(c: Cluster, version: string, ignore: string[]): void {
  const self = c.nodes[selfNodeName(c) ?? ''];
  const images = controlPlaneImages(version, imageOptionsFrom(c.clusterConfiguration as Record<string, any>));
  const wanted = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd', 'pause'].map((k) => images[k]!);
  pullImages(wanted, self?.criSocket ?? DEFAULT_CRI_SOCKET, 'IfNotPresent', ignore, '[upgrade/preflight]');
}

/** Stopped etcd members: kubeadm cannot read the etcd cluster's versions before it upgrades etcd. */
function checkEtcd(c: Cluster, run: StaticPodRun): void {
  if (!run.etcdUpgrade || !etcdDown(c).length) return;
  out(`[upgrade/control-plane] Upgrading your static Pod-hosted control plane to version "${run.version}" (timeout: 5m0s)...`);
  phaseFail(
    'control-plane',
    "couldn't complete the static pod upgrade: failed to retrieve the current etcd version: context deadline exceeded",
  );
}

export function upgradeApply(p: Parsed): void {
  const arg = p.positional[0];
  if (!arg) fail('missing one or more required arguments: [version]');
  const target = normalizeVersion(arg!);
  if (!parseSemver(target)) fail(`could not parse "${arg}" as a semantic version`);
  out(READING);
  const c = connectCluster(p);
  const kubeadm = binaryVersion('kubeadm');
  checkClusterSupported(c, kubeadm);
  out('[upgrade/preflight] Running preflight checks');
  const ignore = flagAll(p, 'ignore-preflight-errors');
  out('[upgrade] Running cluster health checks');
  const errs = healthErrors(c, onControlPlane(), ignore);
  if (errs.length) phaseFail('preflight', healthFailure(errs));
  out(`[upgrade/preflight] You have chosen to upgrade the cluster version to "${target}"`);
  out(`[upgrade/versions] Cluster version: ${c.kubernetesVersion}\n[upgrade/versions] kubeadm version: ${kubeadm}`);
  const policy = versionPolicy({ cluster: c.kubernetesVersion, kubeadm, target, kubelets: kubeletVersions(c) });
  const refused = policyError(policy, bool(p, 'force'));
  if (refused) phaseFail('preflight', refused);
  if (policy.skippable.length)
    out(
      `[upgrade/version] Found ${policy.skippable.length} potential version compatibility errors but skipping since the --force flag is set: \n\n${policy.skippable.map((x) => `\t- ${x}\n`).join('')}`,
    );
  confirm(p);
  if (bool(p, 'dry-run')) return out('[dryrun] Finished dryrunning successfully!');
  prePull(c, target, ignore);
  const run = runFor(c, target, p);
  checkEtcd(c, run);
  upgradeStaticPods(run);
  recordControlPlane(c, run, true);
  out('[upload-config] Storing the configuration used in ConfigMap "kubeadm-config" in the "kube-system" Namespace');
  out('[kubelet] Creating a ConfigMap "kubelet-config" in namespace kube-system with the configuration for the kubelets in the cluster');
  dieAfterPhase('kubeadm', 'upload-config');
  upgradeKubeconfigs(run);
  upgradeKubeletConfig();
  out(BOOTSTRAP_TOKEN_LINES);
  upgradeAddons(loadState().clusters[c.id]!, target, run.nodeName);
  out(
    `\n[upgrade] SUCCESS! A control plane node of your cluster was upgraded to "${target}".\n\n[upgrade] Now please proceed with upgrading the rest of the nodes by following the right order.`,
  );
}

const BOOTSTRAP_TOKEN_LINES = [
  '[upgrade/bootstrap-token] Configuring bootstrap token and cluster-info RBAC rules',
  '[bootstrap-token] Configured RBAC rules to allow Node Bootstrap tokens to get nodes',
  '[bootstrap-token] Configured RBAC rules to allow Node Bootstrap tokens to post CSRs in order for nodes to get long term certificate credentials',
  '[bootstrap-token] Configured RBAC rules to allow the csrapprover controller automatically approve CSRs from a Node Bootstrap Token',
  '[bootstrap-token] Configured RBAC rules to allow certificate rotation for all node client certificates in the cluster',
  '[bootstrap-token] Configured RBAC rules to allow the API server kubelet client certificate to access the kubelet API',
].join('\n');

/**
 * upgrade node: on a control plane, its static pods go to the version of the cluster's kubeadm-config (set by
 * `upgrade apply`; kubeadm does not compare its own version here); on a worker, only the kubelet configuration.
 */
export function upgradeNode(p: Parsed): void {
  const cp = onControlPlane();
  out(READING);
  const c = connectCluster(p, !cp);
  const kubeadm = binaryVersion('kubeadm');
  checkClusterSupported(c, kubeadm);
  out('[upgrade/preflight] Running pre-flight checks');
  const target = c.kubernetesVersion;
  if (cp) {
    prePull(c, target, flagAll(p, 'ignore-preflight-errors'));
    const run = runFor(c, target, p);
    checkEtcd(c, run);
    upgradeStaticPods(run);
    recordControlPlane(c, run, false);
    dieAfterPhase('kubeadm', 'control-plane');
    upgradeKubeconfigs(run);
  } else {
    out('[upgrade/preflight] Skipping prepull. Not a control plane node.');
    out('[upgrade/control-plane] Skipping phase. Not a control plane node.');
    out('[upgrade/kubeconfig] Skipping phase. Not a control plane node.');
  }
  upgradeKubeletConfig();
  if (cp) upgradeAddons(loadState().clusters[c.id]!, target, selfNodeName(c) ?? '');
  else
    out(
      '[upgrade/addon] Skipping the addon/coredns phase. Not a control plane node.\n[upgrade/addon] Skipping the addon/kube-proxy phase. Not a control plane node.',
    );
}

export function upgrade(p: Parsed): void {
  const [sub, ...rest] = p.positional;
  const q: Parsed = { ...p, positional: rest };
  if (sub === 'plan') return upgradePlan(q);
  if (sub === 'apply') return upgradeApply(q);
  if (sub === 'node') return upgradeNode(q);
  if (sub === 'diff') fail('the lab\'s kubeadm does not emulate "upgrade diff"');
  throw new ExitError(`error: unknown command "${sub ?? ''}" for "kubeadm upgrade"\nRun 'kubeadm upgrade --help' for usage.`);
}
