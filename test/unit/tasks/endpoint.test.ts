// The pure parts of `kubesmith endpoint migrate`: the target (--to or the inventory), kubeconfig server rewriting,
// the SAN check on a real kubeadm apiserver certificate, and the moved ClusterConfiguration.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { migrationTarget } from '../../../src/commands/endpoint.js';
import { parseInventory } from '../../../src/inventory/index.js';
import { movedClusterConfiguration } from '../../../src/tasks/endpoint/cluster-config.js';
import { certificateNames, serversOf, withServer } from '../../../src/tasks/endpoint/options.js';
import { FILE, inventoryYaml } from '../inventory/helpers.js';

const specOf = (edit: (inv: Record<string, any>) => void) => parseInventory(inventoryYaml(edit), FILE).inventory.spec;
const apiserverPem = readFileSync('test/fixtures/real/openssl/apiserver.crt', 'utf8');

describe('endpoint migrate: the target', () => {
  it("defaults to the inventory's controlPlaneEndpoint, or kube-vip's <vip>:6443", () => {
    expect(
      migrationTarget(
        specOf(() => {}),
        undefined,
      ),
    ).toBe('api.demo.internal:6443');
    const vip = specOf((inv) => {
      delete inv.spec.kubernetes.controlPlaneEndpoint;
      inv.spec.kubernetes.loadBalancer = { type: 'kube-vip', vip: '192.168.56.200', interface: 'eth0' };
    });
    expect(migrationTarget(vip, undefined)).toBe('192.168.56.200:6443');
  });

  it('takes --to when the inventory names none, and refuses one naming another host than the inventory', () => {
    const none = specOf((inv) => delete inv.spec.kubernetes.controlPlaneEndpoint);
    expect(migrationTarget(none, 'lb.example.internal:8443')).toBe('lb.example.internal:8443');
    expect(() => migrationTarget(none, undefined)).toThrow(/no target: pass --to HOST:PORT/);
    expect(() =>
      migrationTarget(
        specOf(() => {}),
        'other.example:6443',
      ),
    ).toThrow(/differs from the inventory's endpoint api\.demo\.internal:6443/);
  });
});

describe('endpoint migrate: kubeconfigs and certificates', () => {
  const kubeconfig =
    'apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: QUJD\n    server: https://10.0.0.11:6443\n  name: kubernetes\n';

  it('rewrites every server line and nothing else', () => {
    const moved = withServer(kubeconfig, 'https://10.0.0.100:6443');
    expect(serversOf(moved)).toEqual(['https://10.0.0.100:6443']);
    expect(moved.replace('10.0.0.100', '10.0.0.11')).toBe(kubeconfig);
  });

  it('reads the SANs of a real kubeadm apiserver certificate: IPs as IP SANs, names as DNS SANs', () => {
    expect(certificateNames(apiserverPem, '10.199.0.11')).toBe(true);
    expect(certificateNames(apiserverPem, 'kubernetes')).toBe(true);
    expect(certificateNames(apiserverPem, '10.199.0.200')).toBe(false);
    expect(certificateNames(apiserverPem, 'api.demo.internal')).toBe(false);
  });

  it('moves ClusterConfiguration to the target and keeps its SANs, adding the inventory ones once', () => {
    const cc = { kubernetesVersion: 'v1.34.1', apiServer: { certSANs: ['10.0.0.5'], extraArgs: [] } };
    expect(movedClusterConfiguration(cc, '10.0.0.100:6443', ['10.0.0.5', 'api.example'])).toEqual({
      kubernetesVersion: 'v1.34.1',
      controlPlaneEndpoint: '10.0.0.100:6443',
      apiServer: { certSANs: ['10.0.0.5', 'api.example'], extraArgs: [] },
    });
  });
});
