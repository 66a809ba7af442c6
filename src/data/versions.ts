/**
 * Version data in one place (STYLE: data beats branches). Tasks and views read these tables; nothing else
 * hard-codes a version or an image tag.
 */

/** The pause tag kubeadm pins per Kubernetes minor (from `kubeadm config images list`). */
export const pauseTagByMinor: Readonly<Record<number, string>> = {
  29: '3.9',
  30: '3.9',
  31: '3.10',
  32: '3.10',
  33: '3.10',
  34: '3.10.1',
  35: '3.10.1',
  36: '3.10.2',
};

/** flannel release → flannel-cni-plugin tag shipped in its manifest. */
export const flannelCniPluginTag: Readonly<Record<string, string>> = {
  '0.28.9': 'v1.9.1-flannel3',
};
export const defaultFlannelCniPluginTag = 'v1.9.1-flannel3';
export const defaultFlannelRegistry = 'ghcr.io/flannel-io';

export const criSockets = {
  containerd: 'unix:///var/run/containerd/containerd.sock',
  docker: 'unix:///var/run/cri-dockerd.sock',
} as const;

/** OS package names of the container runtimes (from Docker's repository, see runtime-repos.ts), per distro family. */
export const runtimePackages: Readonly<Record<'debian' | 'rhel', { containerd: string; docker: string; criDockerd: string }>> = {
  debian: { containerd: 'containerd.io', docker: 'docker-ce', criDockerd: 'cri-dockerd' },
  rhel: { containerd: 'containerd.io', docker: 'docker-ce', criDockerd: 'cri-dockerd' },
};

export const kubernetesPackages = ['kubeadm', 'kubelet', 'kubectl'] as const;
/** crictl's package. pkgs.k8s.io's kubeadm depends on it only before 1.32 (kubernetes/release cmd/krel/templates/latest/metadata.yaml), so it is installed by name. */
export const criToolsPackage = 'cri-tools';
/** Tools kube-proxy needs in IPVS mode (same package names on both families). */
export const ipvsPackages = ['ipset', 'ipvsadm'] as const;
export const defaultPackageRepository = 'https://pkgs.k8s.io/core:/stable:';

export interface KubeVersion {
  major: number;
  minor: number;
  patch: number;
  /** "1.34.1" (no leading v). */
  text: string;
}

export function parseKubeVersion(version: string): KubeVersion {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version.trim());
  if (!m) throw new Error(`not a version: ${version}`);
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return { major, minor, patch, text: `${major}.${minor}.${patch}` };
}

/** An inventory's version field: exactly "x.y.z" or "vx.y.z", else undefined (the schema reports it). */
export function tryKubeVersion(text: string): KubeVersion | undefined {
  return /^v?\d+\.\d+\.\d+$/.test(text) ? parseKubeVersion(text) : undefined;
}

/** "v1.34": the pkgs.k8s.io repository path segment for a version. */
export function minorTag(version: string): string {
  const v = parseKubeVersion(version);
  return `v${v.major}.${v.minor}`;
}

export function pauseTag(version: string): string {
  const { minor } = parseKubeVersion(version);
  const known = Object.keys(pauseTagByMinor).map(Number);
  const tag = pauseTagByMinor[minor] ?? pauseTagByMinor[Math.max(...known.filter((m) => m <= minor))];
  if (!tag) throw new Error(`no pause image tag known for Kubernetes 1.${minor}`);
  return tag;
}

/** kubeadm config API: v1beta4 from 1.31 on, v1beta3 for 1.24–1.30. */
export function kubeadmApiVersion(version: string): 'v1beta3' | 'v1beta4' {
  const { minor } = parseKubeVersion(version);
  if (minor < 24) throw new Error(`Kubernetes 1.${minor} is not supported (1.24 or newer)`);
  return minor >= 31 ? 'v1beta4' : 'v1beta3';
}

/** containerd config.toml header version for an installed containerd version: 1.x → 2, 2.x → 3. */
export function containerdConfigVersion(containerdVersion: string): 2 | 3 {
  const major = Number(/(\d+)\./.exec(containerdVersion)?.[1] ?? NaN);
  if (Number.isNaN(major)) throw new Error(`cannot read a containerd version from "${containerdVersion}"`);
  return major >= 2 ? 3 : 2;
}

/** Kubernetes ≥1.29 gives admin.conf no rights until RBAC is bootstrapped: kube-vip needs super-admin.conf during init. */
export function needsSuperAdminForInit(version: string): boolean {
  return parseKubeVersion(version).minor >= 29;
}

/** Newest Kubernetes minor that still supports containerd 1.x. */
export const lastMinorWithContainerd1 = 35;

/** helm, used on the first control plane to install the cilium chart. */
export const helmVersion = '3.16.4';
export const ciliumChartRepo = 'https://helm.cilium.io/';

/**
 * Control-plane image tags kubeadm pins per Kubernetes minor besides pause (from `kubeadm config images list`):
 * [coredns, etcd]. 1.36's coredns tag is unconfirmed upstream (same as 1.35 assumed). Used by the offline bundle.
 */
export const kubeadmImageTagsByMinor: Readonly<Record<number, { coredns: string; etcd: string }>> = {
  29: { coredns: 'v1.11.1', etcd: '3.5.12-0' },
  30: { coredns: 'v1.11.1', etcd: '3.5.15-0' },
  31: { coredns: 'v1.11.3', etcd: '3.5.15-0' },
  32: { coredns: 'v1.11.3', etcd: '3.5.16-0' },
  33: { coredns: 'v1.12.0', etcd: '3.5.21-0' },
  34: { coredns: 'v1.12.1', etcd: '3.6.5-0' },
  35: { coredns: 'v1.13.1', etcd: '3.6.6-0' },
  36: { coredns: 'v1.13.1', etcd: '3.6.8-0' },
};

/** Cilium release → the cilium-envoy tag its chart deploys (take new rows from `helm template`). */
export const ciliumEnvoyTag: Readonly<Record<string, string>> = {
  '1.19.4': 'v1.36.6',
};

/**
 * Node artifacts the offline bundle gathers per Kubernetes minor (besides kubeadm/kubelet/kubectl at the exact version):
 * cri-tools (crictl), the CNI plugins, containerd (static release) and runc (containerd's release has none), and the deb/rpm package versions of cri-tools and
 * kubernetes-cni in pkgs.k8s.io's per-minor repository.
 */
export const nodeArtifactVersionsByMinor: Readonly<
  Record<number, { crictl: string; cniPlugins: string; containerd: string; runc: string; criToolsPkg: string; kubernetesCniPkg: string }>
> = {
  33: { crictl: '1.33.0', cniPlugins: '1.6.2', containerd: '2.1.4', runc: '1.3.0', criToolsPkg: '1.33.0', kubernetesCniPkg: '1.6.0' },
  34: { crictl: '1.34.0', cniPlugins: '1.7.1', containerd: '2.1.4', runc: '1.3.0', criToolsPkg: '1.34.0', kubernetesCniPkg: '1.7.1' },
  35: { crictl: '1.35.0', cniPlugins: '1.8.0', containerd: '2.2.0', runc: '1.3.0', criToolsPkg: '1.35.0', kubernetesCniPkg: '1.8.0' },
  36: { crictl: '1.36.0', cniPlugins: '1.8.0', containerd: '2.3.0', runc: '1.3.0', criToolsPkg: '1.36.0', kubernetesCniPkg: '1.8.0' },
};

/** Look a minor up in a per-minor table, falling back to the newest row not newer than it. */
export function byMinor<T>(table: Readonly<Record<number, T>>, version: string, what: string): T {
  const { minor } = parseKubeVersion(version);
  const known = Object.keys(table)
    .map(Number)
    .filter((m) => m <= minor);
  const row = table[minor] ?? (known.length ? table[Math.max(...known)] : undefined);
  if (!row) throw new Error(`no ${what} known for Kubernetes 1.${minor}`);
  return row;
}

/**
 * spec.kubernetes.loadBalancer.image when the inventory names none, per type: kube-vip's release, and for `local` the
 * haproxy image (Docker's official one, the Alpine variant kubespray also runs for its localhost load balancer).
 */
export const LOAD_BALANCER_IMAGES = {
  'kube-vip': 'ghcr.io/kube-vip/kube-vip:v0.8.9',
  local: 'docker.io/library/haproxy:3.1.7-alpine',
} as const;
