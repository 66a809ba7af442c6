/** The inventory a lab writes: pure, runs without root. */
import { describe, expect, it } from 'vitest';
import { inventorySchema } from '../../src/inventory/schema.js';
import { buildInventory } from './inventory.js';

const lab = {
  name: 'e2e-x',
  keyPath: '/var/lib/kubesmith-lab/e2e-x/id_ed25519',
  knownHostsPath: '/var/lib/kubesmith-lab/e2e-x/known_hosts',
  hosts: [
    { name: 'cp1', ip: '10.199.3.11' },
    { name: 'w1', ip: '10.199.3.12' },
    { name: 'spare', ip: '10.199.3.13' },
  ],
};

describe('lab inventory', () => {
  it('lists the chosen hosts with their roles, strict host keys and the lab key', () => {
    const inv = buildInventory(lab, { controlPlanes: ['cp1'], workers: ['w1', 'cp1'], user: 'kube' });
    const parsed = inventorySchema.parse(inv);
    expect(parsed.metadata.name).toBe('e2e-x');
    expect(parsed.spec.hosts.map((h) => [h.name, h.address, h.roles])).toEqual([
      ['cp1', '10.199.3.11', ['control-plane', 'worker']],
      ['w1', '10.199.3.12', ['worker']],
    ]);
    expect(parsed.spec.ssh).toMatchObject({
      user: 'kube',
      keyPath: lab.keyPath,
      knownHostsPath: lab.knownHostsPath,
      hostKeyPolicy: 'strict',
    });
  });

  it('merges extra spec sections one level deep', () => {
    const inv = buildInventory(lab, {
      controlPlanes: ['cp1'],
      workers: [],
      extra: { ssh: { maxChannels: 4 }, kubernetes: { version: '1.33.5' } },
    });
    const parsed = inventorySchema.parse(inv);
    expect(parsed.spec.ssh.maxChannels).toBe(4);
    expect(parsed.spec.ssh.keyPath).toBe(lab.keyPath);
    expect(parsed.spec.kubernetes.version).toBe('1.33.5');
  });

  it('refuses a host the lab does not have', () => {
    expect(() => buildInventory(lab, { controlPlanes: ['cp9'], workers: [] })).toThrow(/no host named cp9/);
  });
});
