/** The files users copy, the starter `kubesmith init` writes, and the generated JSON Schema stay valid and fresh. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderJsonSchema, defaultSchemaPath, packageRoot } from '../../../src/inventory/export-schema.js';
import { InventoryError, loadInventory, parseInventory, renderStarterInventory } from '../../../src/inventory/index.js';

const root = packageRoot();

describe('inventory/ examples', () => {
  it.each(['example.yaml', 'ha.yaml', 'offline.yaml'])('%s validates and points editors at schema.json', async (name) => {
    const path = join(root, 'inventory', name);
    const { inventory, warnings } = await loadInventory(path);
    expect(readFileSync(path, 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=./schema.json');
    expect(inventory.spec.hosts.length).toBeGreaterThanOrEqual(3);
    expect(inventory.spec.hosts.every((h) => h.address.startsWith('192.168.56.'))).toBe(true);
    // Only the documented single-control-plane warning is acceptable in an example.
    expect(warnings.map((w) => w.rule).filter((r) => r !== 'single-control-plane-without-endpoint')).toEqual([]);
  });
  it('example.yaml is one control plane and two workers', async () => {
    const { inventory } = await loadInventory(join(root, 'inventory', 'example.yaml'));
    expect(inventory.spec.hosts.map((h) => h.roles.join('+'))).toEqual(['control-plane', 'worker', 'worker']);
  });
  it('ha.yaml is three control planes behind a kube-vip VIP and three workers', async () => {
    const { inventory } = await loadInventory(join(root, 'inventory', 'ha.yaml'));
    expect(inventory.spec.hosts.filter((h) => h.roles.includes('control-plane'))).toHaveLength(3);
    expect(inventory.spec.hosts.filter((h) => h.roles.includes('worker'))).toHaveLength(3);
    expect(inventory.spec.kubernetes.loadBalancer).toMatchObject({ type: 'kube-vip', vip: '192.168.56.10' });
  });
  it('offline.yaml uses a bundle and mirrors', async () => {
    const { inventory } = await loadInventory(join(root, 'inventory', 'offline.yaml'));
    expect(inventory.spec.offline?.bundle).toBe('./bundle');
    expect(Object.keys(inventory.spec.containerRuntime.registryMirrors)).toContain('docker.io');
  });
});

describe('inventory/schema.json', () => {
  it("is generated from src/inventory/schema.ts (npm run build, and the tests' global setup)", () => {
    expect(readFileSync(defaultSchemaPath(), 'utf8')).toBe(renderJsonSchema());
  });
  it('describes what users write: required top-level fields, strict objects, patterns', () => {
    const schema = JSON.parse(renderJsonSchema());
    expect(schema.required).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);
    expect(schema.additionalProperties).toBe(false);
    const host = schema.properties.spec.properties.hosts.items;
    expect(host.required).toEqual(['name', 'address', 'roles']);
    expect(new RegExp(host.properties.address.pattern).test('$(reboot)')).toBe(false);
    expect(new RegExp(host.properties.address.pattern).test('192.168.56.11')).toBe(true);
    expect(schema.properties.spec.properties.kubernetes.properties.proxyMode.enum).toEqual(['iptables', 'ipvs', 'nftables']);
  });
});

describe('renderStarterInventory', () => {
  it('single control plane: valid, with only the documented warning', () => {
    const text = renderStarterInventory({ name: 'lab', controlPlanes: ['10.199.0.10'], workers: ['10.199.0.11', 'node2.example.com'] });
    const { inventory, warnings } = parseInventory(text, 'starter.yaml');
    expect(inventory.metadata.name).toBe('lab');
    expect(inventory.spec.hosts.map((h) => [h.name, h.address, h.roles[0]])).toEqual([
      ['cp1', '10.199.0.10', 'control-plane'],
      ['worker1', '10.199.0.11', 'worker'],
      ['worker2', 'node2.example.com', 'worker'],
    ]);
    expect(warnings.map((w) => w.rule)).toEqual(['single-control-plane-without-endpoint']);
    expect(text).toContain('# hostKeyPolicy: strict');
  });
  it('three control planes get a controlPlaneEndpoint placeholder and validate without warnings', () => {
    const text = renderStarterInventory({ name: 'prod', controlPlanes: ['10.0.0.1', '10.0.0.2', '10.0.0.3'], workers: [] });
    expect(parseInventory(text, 's.yaml').warnings).toEqual([]);
    expect(text).toContain('controlPlaneEndpoint: api.prod.internal:6443');
  });
  it('with no addresses still produces a valid file', () => {
    expect(() => parseInventory(renderStarterInventory({ name: 'x', controlPlanes: [], workers: [] }), 's.yaml')).not.toThrow();
  });
  it('adds the schema header only when asked', () => {
    const text = renderStarterInventory({ name: 'x', controlPlanes: ['10.0.0.1'], workers: [], schemaRef: './schema.json' });
    expect(text.startsWith('# yaml-language-server: $schema=./schema.json\n')).toBe(true);
  });
  it.each([
    ['$(reboot)', 'spec.hosts[1].address'],
    ['10.0.0.1\n  evil: true', 'spec.hosts[1].address'],
    ['10.0.0.5', 'spec.hosts[1].address'],
  ])('refuses a bad or duplicate worker address %j with an InventoryError', (address, path) => {
    const run = () => renderStarterInventory({ name: 'x', controlPlanes: ['10.0.0.5'], workers: [address] });
    expect(run).toThrow(InventoryError);
    try {
      run();
    } catch (err) {
      expect((err as InventoryError).errors.map((e) => e.path)).toContain(path);
    }
  });
  it('refuses a hostile cluster name', () => {
    expect(() => renderStarterInventory({ name: 'a;reboot', controlPlanes: ['10.0.0.1'], workers: [] })).toThrow(/metadata\.name/);
  });
});
