/**
 * Every kubeadm document kubesmith renders decodes cleanly in the lab's kubeadm (strict field checks per API
 * version): no unknown fields, no v1beta3 shapes in v1beta4. Runs without root (pure decoding).
 */
import { describe, expect, it } from 'vitest';
import { decodeConfig } from '../lab/emulators/src/kube/kubeadm-config.js';
import { renderKubeadmInit, renderKubeadmJoin } from '../../src/render/index.js';
import { haHosts, hostsOf, makeInventory } from '../unit/tasks/helpers/inventory.js';

const join = { token: 'abcdef.0123456789abcdef', caCertHash: `sha256:${'a'.repeat(64)}`, certificateKey: 'b'.repeat(64) };

describe.each(['1.34.1', '1.30.4', '1.36.0'])('kubeadm config for %s', (version) => {
  const inv = makeInventory(
    {
      kubernetes: { version, controlPlaneEndpoint: 'lb.example:6443', proxyMode: 'ipvs' },
      network: { plugin: 'cilium', cilium: { kubeProxyReplacement: true } },
    },
    haHosts(),
  );
  const hosts = hostsOf(inv);

  it('init configuration decodes without warnings', () => {
    const decoded = decodeConfig(renderKubeadmInit(inv, hosts.firstControlPlane, hosts));
    expect(decoded.warnings).toEqual([]);
    expect([...decoded.docs.keys()]).toEqual(expect.arrayContaining(['InitConfiguration', 'ClusterConfiguration']));
  });

  it('the transient init configuration with token and certificate key decodes without warnings', () => {
    const withSecrets = renderKubeadmInit(inv, hosts.firstControlPlane, hosts, {
      bootstrapToken: join.token,
      certificateKey: join.certificateKey,
    });
    const decoded = decodeConfig(withSecrets);
    expect(decoded.warnings).toEqual([]);
    expect(decoded.docs.get('InitConfiguration')).toMatchObject({
      bootstrapTokens: [{ token: join.token }],
      certificateKey: join.certificateKey,
    });
  });

  it('join configurations decode without warnings', () => {
    expect(decodeConfig(renderKubeadmJoin(inv, hosts.byName('cp2')!, hosts, join)).warnings).toEqual([]);
    const { certificateKey: _, ...worker } = join;
    expect(decodeConfig(renderKubeadmJoin(inv, hosts.byName('w1')!, hosts, worker)).warnings).toEqual([]);
  });
});
