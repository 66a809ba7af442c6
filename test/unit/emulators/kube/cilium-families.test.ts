// The emulated cilium agent (ipam kubernetes) waits for a node PodCIDR of every enabled family, like the real one.
import { describe, expect, it } from 'vitest';
import type { Cluster, KubeNode } from '../../../lab/emulators/src/kube/cluster-state.js';
import { notReadyReason } from '../../../lab/emulators/src/kube/node-state.js';
import { renderCilium } from '../../../lab/emulators/src/helm/cilium-chart.js';

function cluster(values: Record<string, unknown>): Cluster {
  const objects = Object.fromEntries(
    renderCilium('cilium', 'kube-system', '1.19.4', '1.19.4', values).map((o) => [
      `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`,
      o,
    ]),
  );
  return { objects } as unknown as Cluster;
}

function node(podCIDR: string, c: Cluster): KubeNode {
  const images = Object.values(c.objects).flatMap((o: any) =>
    [...(o.spec?.template?.spec?.initContainers ?? []), ...(o.spec?.template?.spec?.containers ?? [])].map((x: any) => x.image),
  );
  return {
    name: 'cp1',
    podCIDR,
    internalIP: '10.199.0.11',
    status: { kubeletActive: true, cniConfigured: true, images, updatedAt: 0 },
  } as unknown as KubeNode;
}

describe('cilium readiness by address family', () => {
  it('an IPv4 cluster with the chart defaults is Ready', () => {
    const c = cluster({ ipam: { mode: 'kubernetes' } });
    expect(notReadyReason(c, node('10.244.0.0/24', c))).toBeUndefined();
  });
  it('ipv6.enabled without an IPv6 PodCIDR keeps the node NotReady; with one it is Ready', () => {
    const c = cluster({ ipam: { mode: 'kubernetes' }, ipv6: { enabled: true } });
    expect(notReadyReason(c, node('10.244.0.0/24', c))).toMatch(/NetworkPluginNotReady/);
    expect(notReadyReason(c, node('10.244.0.0/24,fd00:10:244::/64', c))).toBeUndefined();
  });
  it('cluster-pool ipam does not wait for node PodCIDRs', () => {
    const c = cluster({ ipv6: { enabled: true } });
    expect(notReadyReason(c, node('', c))).toBeUndefined();
  });
});
