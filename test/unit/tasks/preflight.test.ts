import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { preflightFleet, PreflightError } from '../../../src/tasks/preflight/fleet.js';
import { caCertHash } from '../../../src/tasks/common/cluster.js';
import { harness, expectReadOnly } from './helpers/context.js';
import { makeInventory } from './helpers/inventory.js';

const CA = readFileSync(join(import.meta.dirname, 'fixtures', 'ca.crt'));
const CA_OTHER = readFileSync(join(import.meta.dirname, 'fixtures', 'ca-ecdsa.crt'));

describe('preflight.fleet', () => {
  it('passes on healthy hosts, read-only', async () => {
    const h = harness(makeInventory(), { facts: (n) => ({ macs: [`02:00:00:00:00:${n === 'cp1' ? '01' : n === 'w1' ? '02' : '03'}`] }) });
    for (const name of ['cp1', 'w1', 'w2']) expect(await preflightFleet.check(h.ctx(name))).toEqual({ status: 'ok' });
    expectReadOnly(...h.transports.values());
    // Everything it checks was read with the facts: no command at all.
    expect([...h.transports.values()].flatMap((t) => t.calls)).toEqual([]);
  });

  it('reports every problem of a host together', async () => {
    const h = harness(makeInventory({ kubernetes: { version: '1.36.1' } }), {
      facts: (n) =>
        n === 'cp1'
          ? {
              cpus: 1,
              memoryMiB: 1024,
              macs: ['02:00:00:00:00:01'],
              productUuid: 'aaaa-bbbb-cccc',
              listeningPorts: [22, 6443, 10250],
              versions: { kubeadm: '', kubelet: '1.36.3', kubectl: '', containerd: '1.7.24', docker: '' },
              epochSeconds: Math.floor(Date.now() / 1000) - 45,
              adminEpochSeconds: Date.now() / 1000,
            }
          : { macs: ['02:00:00:00:00:01'], productUuid: n === 'w1' ? 'aaaa-bbbb-cccc' : '' },
    });
    const err = (await preflightFleet.check(h.ctx('cp1')).catch((e: unknown) => e)) as PreflightError;
    expect(err).toBeInstanceOf(PreflightError);
    expect(err.problems).toEqual([
      '1 CPU(s); a control plane needs at least 2',
      '1024 MiB memory; a control plane needs at least 1700 MiB',
      'MAC address 02:00:00:00:00:01 is also on w1, w2',
      'product_uuid aaaa-bbbb-cccc is also on w1',
      'port(s) 6443, 10250 already in use (needed by the control plane)',
      expect.stringMatching(/^clock differs from the admin machine by 4\d s \(limit 30 s\)/),
      'containerd 1.7.24 is installed; Kubernetes 1.36 needs containerd 2.x',
      'kubelet 1.36.3 is newer than kubernetes.version 1.36.1; kubesmith does not downgrade',
    ]);
    expect(err.message).toContain('preflight found 8 problem(s) on cp1:');
  });

  it('flags a host that belongs to a different cluster, not one of ours (CA hashes from the facts)', async () => {
    const ca = { cp1: CA, w1: CA, w2: CA_OTHER } as Record<string, Buffer>;
    const h = harness(makeInventory(), { facts: (n) => ({ cluster: { member: true, caHash: caCertHash(ca[n]!) } }) });
    expect(await preflightFleet.check(h.ctx('w1'))).toEqual({ status: 'ok' });
    await expect(preflightFleet.check(h.ctx('w2'))).rejects.toThrow(/already belongs to a different cluster \(CA sha256:9ea78c0f24f0…/);
  });

  it('with --limit leaving the first control plane without facts, reads its ca.crt once for every host', async () => {
    const h = harness(makeInventory(), { facts: (n) => ({ cluster: { member: true, caHash: caCertHash(n === 'w2' ? CA_OTHER : CA) } }) });
    h.hosts.byName('cp1')!.facts = undefined;
    h.t('cp1').setFile('/etc/kubernetes/pki/ca.crt', CA);
    expect(await preflightFleet.check(h.ctx('w1'))).toEqual({ status: 'ok' });
    await expect(preflightFleet.check(h.ctx('w2'))).rejects.toThrow(/already belongs to a different cluster/);
    expect(h.t('cp1').calls.map((c) => `${c.kind} ${c.command}`)).toEqual(['readFile /etc/kubernetes/pki/ca.crt']);
  });

  it('a clock read it could not make is a problem, not a pass', async () => {
    const h = harness(makeInventory(), { facts: () => ({ epochSeconds: 0 }) });
    await expect(preflightFleet.check(h.ctx('w1'))).rejects.toThrow(/cannot read the clock/);
  });

  it('skips the port check on hosts already in the cluster', async () => {
    const h = harness(makeInventory(), { facts: () => ({ listeningPorts: [6443, 10250], cluster: { member: true } }) });
    expect(await preflightFleet.check(h.ctx('cp1'))).toEqual({ status: 'ok' });
  });

  it('refuses to apply another version to a running cluster member, a patch drift included, pointing at upgrade', async () => {
    const versions = (v: string) => ({ kubeadm: v, kubelet: v, kubectl: v, containerd: '2.1.4', docker: '' });
    const h = harness(makeInventory({ kubernetes: { version: '1.34.1' } }), {
      facts: (n) => ({
        cluster: { member: n !== 'w2' },
        versions: versions(n === 'cp1' ? '1.34.0' : '1.33.5'),
        macs: [`02:00:00:00:00:0${n.length}${n}`],
      }),
    });
    const err = (await preflightFleet.check(h.ctx('cp1')).catch((e: unknown) => e)) as PreflightError;
    expect(err.problems).toEqual([
      expect.stringContaining('kubelet 1.34.0 runs on this cluster member, kubernetes.version says 1.34.1: apply does not change'),
      expect.stringContaining('kubeadm 1.34.0 runs on this cluster member'),
    ]);
    expect(err.problems[0]).toContain('`kubesmith plan upgrade`, then run `kubesmith upgrade`');
    await expect(preflightFleet.check(h.ctx('w1'))).rejects.toThrow(/kubelet 1\.33\.5 runs on this cluster member/);
    // a host not yet in the cluster with older packages left over: apply installs the exact version
    expect(await preflightFleet.check(h.ctx('w2'))).toEqual({ status: 'ok' });
  });
});
