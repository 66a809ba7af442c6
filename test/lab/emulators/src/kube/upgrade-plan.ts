// `kubeadm upgrade plan` tables (cmd/kubeadm/app/cmd/upgrade/plan.go printer), shaped like the real output quoted
// in test/fixtures/real/kubeadm/upgrade-plan-1.33.txt.
import type { Cluster } from './cluster-state.js';
import { controlPlaneImages, imageOptionsFrom, minorOf } from './kube-versions.js';
import { tabwrite } from './table.js';

const tagOf = (image: string): string => image.slice(image.lastIndexOf(':') + 1);

const COMPONENT_CONFIGS = `The table below shows the current state of component configs as understood by this version of kubeadm.
Configs that have a "yes" mark in the "MANUAL UPGRADE REQUIRED" column require manual config upgrade or
resetting to kubeadm defaults before a successful upgrade can be performed. The version to manually
upgrade to is denoted in the "PREFERRED VERSION" column.

API GROUP                 CURRENT VERSION   PREFERRED VERSION   MANUAL UPGRADE REQUIRED
kubeproxy.config.k8s.io   v1alpha1          v1alpha1            no
kubelet.config.k8s.io     v1beta1           v1beta1             no
_____________________________________________________________________
`;

/** compute.go: the warning kubeadm prints while control planes run different apiserver versions. */
export function mixedVersionsWarning(c: Cluster): string | undefined {
  const by = new Map<string, string[]>();
  for (const m of Object.values(c.controlPlane).sort((a, b) => a.name.localeCompare(b.name)))
    by.set(m.version ?? c.kubernetesVersion, [...(by.get(m.version ?? c.kubernetesVersion) ?? []), m.name]);
  if (by.size < 2) return undefined;
  const parts = [...by].map(([v, names]) => `${v} on nodes [${names.join(' ')}]`).join(', ');
  return `Different API server versions in the cluster were discovered: ${parts}. Please upgrade your control plane nodes to the same version of Kubernetes`;
}

export function planText(c: Cluster, kubeadm: string, target: string): string {
  const cc = c.clusterConfiguration as Record<string, any>;
  const bare = c.kubernetesVersion.replace(/^v/, '');
  const head = [
    `[upgrade/versions] Cluster version: ${bare}`,
    `[upgrade/versions] kubeadm version: ${kubeadm}`,
    `[upgrade/versions] Target version: ${target}`,
    `[upgrade/versions] Latest version in the v1.${minorOf(c.kubernetesVersion)} series: ${minorOf(target) === minorOf(c.kubernetesVersion) ? target : c.kubernetesVersion}`,
    '',
  ];
  const nodes = Object.values(c.nodes).sort((a, b) => a.name.localeCompare(b.name));
  const members = Object.values(c.controlPlane).sort((a, b) => a.name.localeCompare(b.name));
  const upToDate =
    target === c.kubernetesVersion &&
    nodes.every((n) => n.kubeletVersion === target) &&
    members.every((m) => (m.version ?? c.kubernetesVersion) === target);
  if (upToDate) return [...head, "Awesome, you're up-to-date! Enjoy!"].join('\n');
  const kubelets = [['COMPONENT', 'NODE', 'CURRENT', 'TARGET'], ...nodes.map((n) => ['kubelet', n.name, n.kubeletVersion, target])];
  const from = (v?: string) => controlPlaneImages(v ?? c.kubernetesVersion, imageOptionsFrom(cc));
  const to = controlPlaneImages(target, imageOptionsFrom(cc));
  const rows = [['COMPONENT', 'NODE', 'CURRENT', 'TARGET']];
  for (const comp of ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'])
    for (const m of members) rows.push([comp, m.name, tagOf(from(m.version)[comp]!), target]);
  rows.push(['kube-proxy', '', bare, target]);
  rows.push(['CoreDNS', '', tagOf(from()['coredns']!), tagOf(to.coredns!)]);
  if (cc.etcd?.local) for (const m of members) rows.push(['etcd', m.name, tagOf(from(m.version).etcd!), tagOf(to.etcd!)]);
  const series =
    minorOf(target) === minorOf(c.kubernetesVersion)
      ? `Upgrade to the latest version in the v1.${minorOf(target)} series:`
      : 'Upgrade to the latest stable version:';
  return [
    ...head,
    "Components that must be upgraded manually after you have upgraded the control plane with 'kubeadm upgrade apply':",
    tabwrite(kubelets, 0, 3),
    series,
    '',
    tabwrite(rows, 0, 3),
    'You can now apply the upgrade by executing the following command:',
    '',
    `\tkubeadm upgrade apply ${target}`,
    '_____________________________________________________________________',
    '',
    COMPONENT_CONFIGS,
  ].join('\n');
}
