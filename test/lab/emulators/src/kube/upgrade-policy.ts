// kubeadm's upgrade version rules, as in kubernetes/kubernetes cmd/kubeadm/app/phases/upgrade/policy.go
// (EnforceVersionPolicies, detectTooOldKubelets) and cmd/kubeadm/app/constants (MinimumControlPlaneVersion = the
// previous minor of kubeadm, MaximumAllowedMinorVersionKubeletSkew = 3 since 1.28). Messages are the real ones.

export interface Semver {
  major: number;
  minor: number;
  patch: number;
}

export function parseSemver(v: string): Semver | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(v.trim());
  return m ? { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) } : undefined;
}

export const compareSemver = (a: Semver, b: Semver): number => a.major - b.major || a.minor - b.minor || a.patch - b.patch;

/** kubeadm only handles clusters at its own minor or the one before (constants.MinimumControlPlaneVersion). */
export const minimumControlPlane = (kubeadm: Semver): Semver => ({ major: kubeadm.major, minor: kubeadm.minor - 1, patch: 0 });

const KUBELET_SKEW = 3;

export interface PolicyInput {
  cluster: string; // "v1.33.5"
  kubeadm: string; // kubeadm's own version
  target: string; // as the user wrote it, normalized to "vX.Y.Z"
  kubelets: string[];
}

export interface PolicyErrors {
  mandatory: string[];
  skippable: string[];
}

export function versionPolicy(i: PolicyInput): PolicyErrors {
  const cluster = parseSemver(i.cluster)!;
  const kubeadm = parseSemver(i.kubeadm)!;
  const target = parseSemver(i.target)!;
  const e: PolicyErrors = { mandatory: [], skippable: [] };
  const min = minimumControlPlane(kubeadm);
  // the real check reports the cluster version as "the minimum supported version" (sic)
  if (compareSemver(min, target) >= 0)
    e.mandatory.push(
      `Specified version to upgrade to "${i.target}" is equal to or lower than the minimum supported version "${i.cluster}". Please specify a higher version to upgrade to`,
    );
  if (target.minor > cluster.minor + 1)
    e.mandatory.push(`Specified version to upgrade to "${i.target}" is too high; kubeadm can upgrade only 1 minor version at a time`);
  if (target.minor < cluster.minor - 1)
    e.mandatory.push(`Specified version to downgrade to "${i.target}" is too low; kubeadm can downgrade only 1 minor version at a time`);
  if (compareSemver(kubeadm, target) < 0) {
    if (target.minor > kubeadm.minor)
      e.mandatory.push(
        `Specified version to upgrade to "${i.target}" is at least one minor release higher than the kubeadm minor release (${target.minor} > ${kubeadm.minor}). Such an upgrade is not supported`,
      );
    else
      e.skippable.push(
        `Specified version to upgrade to "${i.target}" is higher than the kubeadm version "${i.kubeadm}". Upgrade kubeadm first using the tool you used to install kubeadm`,
      );
  }
  if (kubeadm.major > target.major || kubeadm.minor > target.minor)
    e.skippable.push(`Kubeadm version ${i.kubeadm} can only be used to upgrade to Kubernetes version ${kubeadm.major}.${kubeadm.minor}`);
  const old = [...new Set(i.kubelets)].filter((k) => target.minor > (parseSemver(k)?.minor ?? target.minor) + KUBELET_SKEW);
  if (old.length) e.skippable.push(`There are kubelets in this cluster that are too old that have these versions [${old.join(' ')}]`);
  return e;
}

/** cmd/kubeadm/app/cmd/phases/upgrade/apply/preflight.go enforceVersionPolicies: the error, or undefined. */
export function policyError(e: PolicyErrors, force: boolean): string | undefined {
  const list = (errs: string[]) => errs.map((x) => `\t- ${x}\n`).join('');
  if (e.mandatory.length)
    return `the version argument is invalid due to these fatal errors:\n\n${list(e.mandatory)}\nPlease fix the misalignments highlighted above and try upgrading again`;
  if (e.skippable.length && !force)
    return `the version argument is invalid due to these errors:\n\n${list(e.skippable)}\nCan be bypassed if you pass the --force flag`;
  return undefined;
}
