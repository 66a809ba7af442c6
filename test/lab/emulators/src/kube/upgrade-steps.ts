// The pieces of `kubeadm upgrade apply|node` that change a host: cluster health checks, static pod manifests
// rewritten with backups, certificate renewal, the kubelet configuration, the addons. Output lines follow real
// kubeadm 1.34–1.36 runs (test/fixtures/real/kubeadm/upgrade-*.txt) and cmd/kubeadm/app/phases/upgrade/staticpods.go.
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import type { Cluster } from './cluster-state.js';
import { objectKey, updateState } from './cluster-state.js';
import { exists, hostName, hostPath, now, out, readText, writeText } from './lab.js';
import { controlPlaneImages, imageOptionsFrom } from './kube-versions.js';
import { KUBECONFIGS, LEAVES, renewKubeconfig, renewLeaf } from './kubeadm-pki.js';
import { pkiContext } from './kubeadm-common.js';
import { certInfo } from './pki.js';
import { notReadyReason } from './node-state.js';
import { addonObjects } from './addons.js';
import { clusterConfigOf } from './cluster-config.js';
import { KUBELET_CONFIG } from './node-files.js';
import { klogWarning } from './kubeadm-config.js';

export const MANIFESTS = '/etc/kubernetes/manifests';
export const COMPONENTS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const;

/** time.Now().Format("2006-01-02-15-04-05"), the suffix kubeadm gives its backup folders. */
export function kubeadmStamp(ms = now()): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}-${p(d.getUTCHours())}-${p(d.getUTCMinutes())}-${p(d.getUTCSeconds())}`;
}

/**
 * upgrade.CheckClusterHealth (cmd/kubeadm/app/phases/upgrade/health.go): the health-check Job must complete (its pod
 * needs a Ready, schedulable node), every control-plane node must be Ready, and on a control plane the static pod
 * manifests must exist. Returns the "[ERROR Name]: …" lines not ignored.
 */
export function healthErrors(c: Cluster, onControlPlane: boolean, ignore: string[]): string[] {
  const errs: [string, string][] = [];
  const nodes = Object.values(c.nodes);
  if (!nodes.some((n) => !n.unschedulable && !notReadyReason(c, n)))
    errs.push([
      'CreateJob',
      `Job "upgrade-health-check-${now()}" in the namespace "kube-system" did not complete in 15s: no condition of type Complete`,
    ]);
  const notReady = nodes.filter((n) => c.controlPlane[n.name] && notReadyReason(c, n)).map((n) => n.name);
  if (notReady.length) errs.push(['ControlPlaneNodesReady', `there are NotReady control-planes in the cluster: [${notReady.join(' ')}]`]);
  const missing = onControlPlane ? ['etcd', ...COMPONENTS].map((x) => `${MANIFESTS}/${x}.yaml`).filter((f) => !exists(f)) : [];
  if (missing.length)
    errs.push([
      'StaticPodManifest',
      `The control plane seems to be Static Pod-hosted, but some of the manifests don't seem to exist on disk. This probably means you're running 'kubeadm upgrade' on a remote machine, which is not supported for a Static Pod-hosted cluster. Manifest files not found: [${missing.join(' ')}]`,
    ]);
  const skip = ignore.map((x) => x.toLowerCase());
  return errs.filter(([name]) => !skip.includes('all') && !skip.includes(name.toLowerCase())).map(([n, m]) => `\t[ERROR ${n}]: ${m}`);
}

export function healthFailure(errs: string[]): string {
  return [
    '[upgrade/health] FATAL: [preflight] Some fatal errors occurred:',
    ...errs,
    '[preflight] If you know what you are doing, you can make a check non-fatal with `--ignore-preflight-errors=...`',
  ].join('\n');
}

/** etcd members whose node's kubelet is down: their etcd static pod does not answer. */
export function etcdDown(c: Cluster): string[] {
  return Object.values(c.etcdMembers)
    .filter((m) => c.nodes[m.name] && !c.nodes[m.name]!.status.kubeletActive)
    .map((m) => m.clientURL);
}

export interface StaticPodRun {
  cc: Record<string, any>;
  version: string;
  renewCerts: boolean;
  etcdUpgrade: boolean;
  nodeName: string;
  address: string;
  bindPort: number;
}

const RENEWED_WITH: Record<string, string[]> = {
  etcd: ['etcd-server', 'etcd-peer', 'etcd-healthcheck-client'],
  'kube-apiserver': ['apiserver', 'apiserver-kubelet-client', 'front-proxy-client', 'apiserver-etcd-client'],
  'kube-controller-manager': ['controller-manager.conf'],
  'kube-scheduler': ['scheduler.conf'],
};

function renewFor(r: StaticPodRun, component: string): void {
  const ctx = pkiContext(r.cc, { name: r.nodeName, address: r.address, bindPort: r.bindPort });
  for (const name of RENEWED_WITH[component] ?? []) {
    out(`[upgrade/staticpods] Renewing ${name} certificate`);
    const leaf = LEAVES.find((l) => l.name === name);
    if (leaf) renewLeaf(ctx, leaf.file, leaf.ca);
    else renewKubeconfig(ctx, `/etc/kubernetes/${name}`);
  }
}

/** Rewrite the image of each static pod manifest, one component at a time, each old manifest backed up first. */
export function upgradeStaticPods(r: StaticPodRun): void {
  const images = controlPlaneImages(r.version, imageOptionsFrom(r.cc));
  const backup = `/etc/kubernetes/tmp/kubeadm-backup-manifests-${kubeadmStamp()}`;
  const temp = `/etc/kubernetes/tmp/kubeadm-upgraded-manifests${String(now() % 1e9)}`;
  out(`[upgrade/control-plane] Upgrading your static Pod-hosted control plane to version "${r.version}" (timeout: 5m0s)...`);
  out(`[upgrade/staticpods] Writing new Static Pod manifests to "${temp}"`);
  const components = [...(r.etcdUpgrade ? ['etcd'] : []), ...COMPONENTS];
  for (const component of components) {
    const path = `${MANIFESTS}/${component}.yaml`;
    const old = readText(path)!;
    const next = old.replace(/^(\s*image: )\S+$/m, `$1${images[component]}`);
    if (component === 'etcd' && next === old && !r.renewCerts) continue; // same etcd, nothing to restart
    out(`[upgrade/staticpods] Preparing for "${component}" upgrade`);
    if (r.renewCerts) renewFor(r, component);
    if (next === old && component !== 'etcd') {
      out(`[upgrade/staticpods] Current and new manifests of ${component} are equal, skipping upgrade`);
      continue;
    }
    writeText(`${backup}/${component}.yaml`, old, 0o600);
    if (component === 'etcd') backupEtcdData(r.cc);
    writeText(path, next, 0o600);
    out(
      next === old
        ? `[upgrade/staticpods] Restarting the ${component} static pod and backing up its manifest to "${backup}/${component}.yaml"`
        : `[upgrade/staticpods] Moving new manifest to "${path}" and backing up old manifest to "${backup}/${component}.yaml"`,
    );
    out('[upgrade/staticpods] Waiting for the kubelet to restart the component\n[upgrade/staticpods] This can take up to 5m0s');
    out(`[apiclient] Found 1 Pods for label selector component=${component}`);
    out(`[upgrade/staticpods] Component "${component}" upgraded successfully!`);
    if (component === 'etcd') out('[upgrade/etcd] Waiting for etcd to become available');
  }
  out('[upgrade/control-plane] The control plane instance for this node was successfully upgraded!');
}

/** kubeadm copies the etcd data directory before it touches etcd (BackupEtcdDir, kubeadm-backup-etcd-<stamp>). */
function backupEtcdData(cc: Record<string, any>): void {
  const dataDir = cc.etcd?.local?.dataDir ?? '/var/lib/etcd';
  if (!existsSync(hostPath(dataDir))) return;
  const dest = hostPath(`/etc/kubernetes/tmp/kubeadm-backup-etcd-${kubeadmStamp()}/etcd`);
  mkdirSync(dest, { recursive: true });
  cpSync(hostPath(dataDir), dest, { recursive: true });
}

/** admin.conf and super-admin.conf are renewed with the other kubeconfigs (postupgrade, certificate renewal on). */
export function upgradeKubeconfigs(r: StaticPodRun): void {
  if (r.renewCerts) {
    const ctx = pkiContext(r.cc, { name: r.nodeName, address: r.address, bindPort: r.bindPort });
    for (const kc of KUBECONFIGS.filter((k) => !k.local))
      if (exists(`/etc/kubernetes/${kc.name}`)) renewKubeconfig(ctx, `/etc/kubernetes/${kc.name}`);
  }
  out('[upgrade/kubeconfig] The kubeconfig files for this node were successfully upgraded!');
}

/** The kubelet configuration of the cluster (kubelet-config ConfigMap) written again, the old file backed up. */
export function upgradeKubeletConfig(): void {
  const dir = `/etc/kubernetes/tmp/kubeadm-kubelet-config-${kubeadmStamp()}`;
  process.stderr.write(
    klogWarning(
      'postupgrade.go:117',
      `Using temporary directory ${dir} for kubelet config. To override it set the environment variable KUBEADM_UPGRADE_DRYRUN_DIR`,
    ),
  );
  const current = readText(KUBELET_CONFIG) ?? '';
  writeText(`${dir}/config.yaml`, current);
  out(`[upgrade] Backing up kubelet config file to ${dir}/config.yaml`);
  out(`[kubelet-start] Writing kubelet configuration to file "${KUBELET_CONFIG}"`);
  writeText(KUBELET_CONFIG, current);
  out('[upgrade/kubelet-config] The kubelet configuration for this node was successfully upgraded!');
}

/** Record this control plane's new version and apiserver expiry in the shared state. */
export function recordControlPlane(c: Cluster, r: StaticPodRun, clusterWide: boolean): void {
  const notAfter = certInfo(readText(`${r.cc.certificatesDir ?? '/etc/kubernetes/pki'}/apiserver.crt`)!).notAfter;
  updateState((s) => {
    const cl = s.clusters[c.id]!;
    const m = cl.controlPlane[r.nodeName];
    if (m) Object.assign(m, { version: r.version, apiserverNotAfter: notAfter });
    delete cl.deprecatedRequested; // the API server restarted: its gauges start empty
    if (!clusterWide) return;
    // the other control planes keep running the static pods of the version they had
    for (const other of Object.values(cl.controlPlane)) other.version ??= cl.kubernetesVersion;
    cl.kubernetesVersion = r.version;
    cl.clusterConfiguration = { ...clusterConfigOf(cl), kubernetesVersion: r.version };
    const cm = cl.objects[objectKey('ConfigMap', 'kube-system', 'kubeadm-config')];
    const fresh = addonObjects(cl.clusterConfiguration, {}, []).find((o) => o.metadata?.name === 'kubeadm-config');
    if (cm && fresh) cm.data = (fresh as any).data;
  });
}

/** Control planes still below `version` (their static pods not yet upgraded). */
export function laggingControlPlanes(c: Cluster, version: string, except: string): string[] {
  return Object.values(c.controlPlane)
    .filter((m) => m.name !== except && (m.version ?? c.kubernetesVersion) !== version)
    .map((m) => m.name)
    .sort();
}

/** CoreDNS and kube-proxy move to the new images once every control plane runs the new version. */
export function upgradeAddons(c: Cluster, version: string, self: string): void {
  const lagging = laggingControlPlanes(c, version, self);
  if (lagging.length) {
    const line = `[upgrade/addon] Skipping upgrade of addons because control plane instances [${lagging.join(' ')}] have not been upgraded`;
    out(`${line}\n${line}`);
    return;
  }
  const cc = c.clusterConfiguration as Record<string, any>;
  const images = controlPlaneImages(version, imageOptionsFrom(cc));
  updateState((s) => {
    const cl = s.clusters[c.id]!;
    for (const o of addonObjects(cc, images, []).filter((x) => x.kind === 'Deployment' || x.kind === 'DaemonSet')) {
      const key = objectKey(String(o.kind), o.metadata?.namespace, o.metadata!.name!);
      const cur = cl.objects[key] as any;
      if (!cur) continue; // an addon the cluster does not run (skipped at init, or deleted) stays away
      const name = o.metadata!.name === 'coredns' ? 'coredns' : 'kube-proxy';
      for (const ctr of cur.spec?.template?.spec?.containers ?? []) if (ctr.name === name) ctr.image = images[name];
    }
  });
  if (c.objects[objectKey('Deployment', 'kube-system', 'coredns')]) out('[addons] Applied essential addon: CoreDNS');
  if (c.objects[objectKey('DaemonSet', 'kube-system', 'kube-proxy')]) out('[addons] Applied essential addon: kube-proxy');
}

export const selfNodeName = (c: Cluster): string | undefined => Object.values(c.nodes).find((n) => n.host === hostName())?.name;
