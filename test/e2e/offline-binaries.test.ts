/**
 * The no-package-manager path: kubeadm/kubelet/kubectl as binaries, crictl / CNI plugins / containerd as release
 * tarballs, systemd units written by kubesmith. The "binaries" are the lab's emulator launchers (runnable stand-ins),
 * packed into real .tar.gz archives and served by the lab's real-layout files mirror, so the node really runs what
 * offline.install put in /usr/local.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labDown, labUp, type Lab } from '../lab/lab.js';
import { makeInventory } from '../unit/tasks/helpers/inventory.js';
import { tgz, writeMirrorBundle } from '../unit/bundle/fake-bundle.js';
import type { MirrorFile } from '../lab/mirror.js';
import { changedCount, kubesmith, labReady, writesIn } from './helpers.js';
import { readyNodes } from './offline-helpers.js';

const NAME = 'e2e-offline-binaries';
const BIN = join(import.meta.dirname, '..', 'lab', 'emulators', 'bin');

const launcher = (name: string) => readFileSync(join(BIN, name));
const stub = Buffer.from('#!/bin/sh\nexit 0\n');

/** What the lab's files mirror serves for each release file (the product resolves and checks them as upstream ones). */
function content(a: MirrorFile): Buffer | undefined {
  if (a.arch !== 'amd64') return undefined;
  if (a.kind === 'binary') return a.name === 'runc' ? stub : launcher(a.name);
  if (a.name === 'crictl') return tgz({ crictl: launcher('crictl') });
  if (a.name === 'cni-plugins') return tgz({ bridge: stub, 'host-local': stub, loopback: stub, portmap: stub });
  if (a.name === 'containerd')
    return tgz({ 'bin/containerd': launcher('containerd'), 'bin/ctr': launcher('ctr'), 'bin/containerd-shim-runc-v2': stub });
  return undefined;
}

describe.skipIf(!labReady())('offline from binaries (no packages in the bundle)', () => {
  let lab: Lab;
  let inv: string;
  let bundle: string;

  beforeAll(async () => {
    lab = await labUp({ name: NAME, hosts: [{ name: 'cp1' }] });
    bundle = mkdtempSync(join(lab.root, 'bundle-'));
    await writeMirrorBundle(bundle, makeInventory({ kubernetes: { version: '1.34.1' } }), { content });
    inv = join(lab.root, 'inventory.yaml');
    lab.writeInventory(inv, { controlPlanes: ['cp1'], workers: [], extra: { kubernetes: { version: '1.34.1' }, offline: { bundle } } });
  }, 180_000);

  afterAll(async () => {
    if (lab) await labDown(NAME);
  }, 120_000);

  it('a tool the node needs from the OS and lacks (ipset/ipvsadm for IPVS) is named with its install command before anything changes', async () => {
    const ipvs = join(lab.root, 'ipvs.yaml');
    lab.writeInventory(ipvs, {
      controlPlanes: ['cp1'],
      workers: [],
      extra: { kubernetes: { version: '1.34.1', proxyMode: 'ipvs' }, offline: { bundle } },
    });
    const before = lab.journal('cp1').length;
    const run = await kubesmith(['apply', '-i', ipvs]);
    expect(run.code).not.toBe(0);
    // what the fresh host lacks (ipset is in no stock image; the lab may expose ipvsadm), named with one install command
    const lacks: string[] = [];
    for (const tool of ['ipset', 'ipvsadm']) if ((await lab.exec('cp1', `command -v ${tool}`)).code !== 0) lacks.push(tool);
    expect(lacks).toContain('ipset');
    for (const tool of lacks) expect(run.stdout + run.stderr).toContain(`${tool} is not installed (kube-proxy proxyMode ipvs)`);
    expect(run.stdout + run.stderr).toContain(`install: apt-get install -y ${lacks.join(' ')}`);
    expect(writesIn(lab.journal('cp1').slice(before))).toEqual([]);
    expect((await lab.exec('cp1', 'ls /var/lib/kubesmith/bundle 2>&1')).code).not.toBe(0);
  }, 300_000);

  it('installs binaries and units, runs containerd and kubelet from /usr/local, reaches Ready, then changes nothing', async () => {
    const run = await kubesmith(['apply', '-i', inv, '--output', 'json']);
    expect(run.code, run.stderr + run.stdout.slice(-4000)).toBe(0);
    expect(await readyNodes(lab)).toEqual({ cp1: 'True' });
    for (const f of [
      '/usr/local/bin/kubeadm',
      '/usr/local/bin/crictl',
      '/usr/local/bin/containerd',
      '/usr/local/sbin/runc',
      '/opt/cni/bin/bridge',
    ]) {
      expect((await lab.exec('cp1', `test -x ${f}`)).code, f).toBe(0);
    }
    expect(lab.readFile('cp1', '/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf')).toContain('ExecStart=/usr/local/bin/kubelet');
    expect((await lab.exec('cp1', 'lab-pkg-version kubeadm')).code).not.toBe(0); // no package was installed
    const again = await kubesmith(['apply', '-i', inv, '--output', 'json']);
    expect(again.code).toBe(0);
    expect(changedCount(again)).toBe(0);
  }, 900_000);
});
