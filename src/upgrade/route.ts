/**
 * The upgrade route: from the version the cluster runs to `spec.kubernetes.version`, one minor at a time (kubeadm
 * upgrades only from one minor to the next: "Skipping MINOR versions when upgrading is unsupported", kubeadm-upgrade
 * docs), through the newest patch of every intermediate minor that the package source offers. Pure: data in, route
 * or refusal out; where the offered versions come from is src/upgrade/offered.ts.
 */
import { parseKubeVersion, type KubeVersion } from '../data/versions.js';

/** Upstream versions ("1.33.7") the package source offers for kubeadm, kubelet and kubectl, per minor; absent: unknown. */
export type Offered = ReadonlyMap<number, readonly string[]>;

export type Route =
  | { ok: true; from: string; to: string /** Each step's exact version, in order; empty: nothing to upgrade. */; steps: string[] }
  | { ok: false; from: string; to: string; reason: string };

const later = (a: KubeVersion, b: KubeVersion) => a.minor - b.minor || a.patch - b.patch;

/** The newest patch of `minor` among the offered versions (pre-releases such as 1.34.0-rc.1 are not offered). */
export function newestPatch(offered: Offered, major: number, minor: number): string | undefined {
  const versions = (offered.get(minor) ?? [])
    .filter((v) => /^\d+\.\d+\.\d+$/.test(v))
    .map(parseKubeVersion)
    .filter((v) => v.major === major && v.minor === minor)
    .sort((a, b) => b.patch - a.patch);
  return versions[0]?.text;
}

/**
 * `from` → `to` through `offered`. `where(minor)` names the package source for a minor in refusals
 * ("https://pkgs.k8s.io/core:/stable:/v1.33/deb").
 */
export function planRoute(fromText: string, toText: string, offered: Offered, where: (minor: number) => string): Route {
  const from = parseKubeVersion(fromText);
  const to = parseKubeVersion(toText);
  const refuse = (reason: string): Route => ({ ok: false, from: from.text, to: to.text, reason });
  if (from.major !== to.major) return refuse(`kubesmith upgrades within Kubernetes ${from.major}.x only (${from.text} → ${to.text})`);
  const order = later(to, from);
  if (order === 0) return { ok: true, from: from.text, to: to.text, steps: [] };
  if (order < 0) {
    return refuse(
      `the cluster runs ${from.text}, newer than kubernetes.version ${to.text}: kubeadm does not downgrade ` +
        `(set kubernetes.version to ${from.text} or newer)`,
    );
  }
  const steps: string[] = [];
  for (let minor = from.minor + 1; minor < to.minor; minor++) {
    const newest = newestPatch(offered, from.major, minor);
    if (!newest) {
      return refuse(
        `${from.text} → ${to.text} must go through ${from.major}.${minor} (kubeadm upgrades one minor at a time), ` +
          `but ${where(minor)} offers no ${from.major}.${minor} release of kubeadm, kubelet and kubectl: ` +
          `skipping a minor is refused; make ${from.major}.${minor} available or set kubernetes.version to ${from.major}.${from.minor + 1}.x`,
      );
    }
    steps.push(newest);
  }
  if (!(offered.get(to.minor) ?? []).includes(to.text)) {
    return refuse(`${where(to.minor)} offers no ${to.text} release of kubeadm, kubelet and kubectl (kubernetes.version)`);
  }
  steps.push(to.text);
  return { ok: true, from: from.text, to: to.text, steps };
}

/** "1.32.4 → 1.33.9 → 1.34.3" (or the refusal), one line for plans and errors. */
export function describeRoute(route: Route): string {
  if (!route.ok) return `${route.from} → ${route.to}: refused: ${route.reason}`;
  if (route.steps.length === 0) return `${route.from}: already at kubernetes.version, nothing to upgrade`;
  return [route.from, ...route.steps].join(' → ');
}
