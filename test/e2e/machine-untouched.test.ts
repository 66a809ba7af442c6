/**
 * Nothing kubesmith does may reach the machine the lab runs on. A full provisioning run (host prep with swapoff,
 * modprobe, sysctl, SELinux and firewall steps; containerd; packages; kubeadm init and join; CNI) on lab hosts
 * must leave this machine's swap, kernel modules, sysctls, SELinux state, firewall, services and system files
 * exactly as they were.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labDown, labUp, type Lab } from '../lab/lab.js';
import { bridgeIp, startLabRegistry, type LabRegistry } from './registry.js';
import { kubesmith, labReady } from './helpers.js';

const NAME = 'e2e-machine';

const read = (path: string): string | null => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
};
const run = (cmd: string, args: string[]): string => {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    return `failed: ${(err as Error).message.split('\n')[0]}`;
  }
};
const digestTree = (dir: string): string => {
  if (!existsSync(dir)) return 'absent';
  const h = createHash('sha256');
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      h.update(p);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) h.update(readFileSync(p));
    }
  };
  walk(dir);
  return h.digest('hex');
};

/** Daemons a provisioning run starts inside hosts: none may run in this machine's own namespaces. */
const DAEMONS = /^(containerd|etcd|kubelet|kube-apiserver|dockerd|cri-dockerd|firewalld|flanneld)$/;
function machineDaemons(): string[] {
  const myMnt = readlinkSync('/proc/self/ns/mnt');
  const myNet = readlinkSync('/proc/self/ns/net');
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      if (!DAEMONS.test(comm)) continue;
      if (readlinkSync(`/proc/${pid}/ns/mnt`) === myMnt && readlinkSync(`/proc/${pid}/ns/net`) === myNet) found.push(`${comm}[${pid}]`);
    } catch {
      /* the process ended meanwhile */
    }
  }
  return found.sort();
}

function machineState(): Record<string, unknown> {
  const sysctls = [
    'net.ipv4.ip_forward',
    'net.bridge.bridge-nf-call-iptables',
    'net.bridge.bridge-nf-call-ip6tables',
    'vm.swappiness',
    'vm.overcommit_memory',
    'kernel.panic',
    'kernel.hostname',
    'fs.inotify.max_user_instances',
  ];
  return {
    swaps: read('/proc/swaps'),
    modules: read('/proc/modules'),
    sysctls: Object.fromEntries(sysctls.map((k) => [k, read(`/proc/sys/${k.replace(/\./g, '/')}`)])),
    selinux: existsSync('/sys/fs/selinux/enforce') ? read('/sys/fs/selinux/enforce') : 'absent',
    selinuxConfig: read('/etc/selinux/config'),
    iptables: run('iptables-save', []).replace(/^#.*$/gm, ''),
    nft: run('nft', ['list', 'ruleset']),
    hostname: read('/proc/sys/kernel/hostname'),
    etc: Object.fromEntries(
      ['/etc/hosts', '/etc/fstab', '/etc/hostname', '/etc/crictl.yaml', '/etc/default/kubelet'].map((p) => [p, read(p)]),
    ),
    trees: Object.fromEntries(
      [
        '/etc/sysctl.d',
        '/etc/modules-load.d',
        '/etc/containerd',
        '/etc/kubernetes',
        '/etc/cni',
        '/etc/apt/sources.list.d',
        '/etc/systemd/system',
        '/var/lib/kubelet',
        '/root/.kube',
      ].map((d) => [d, digestTree(d)]),
    ),
    daemons: machineDaemons(),
  };
}

if (!labReady()) console.warn('skipping test/e2e/machine-untouched.test.ts: needs root and the lab emulators');

describe.skipIf(!labReady())('a full provisioning run leaves this machine untouched', () => {
  let lab: Lab;
  let registry: LabRegistry;
  let before: Record<string, unknown>;

  beforeAll(async () => {
    before = machineState();
    lab = await labUp({ name: NAME, hosts: [{ name: 'cp1' }, { name: 'w1', os: 'rocky9' }] });
    registry = await startLabRegistry(bridgeIp(lab.subnet));
  }, 180_000);

  afterAll(async () => {
    await registry?.close();
    if (lab) await labDown(NAME);
  }, 120_000);

  it('apply succeeds, and swap, modules, sysctls, SELinux, firewall, services and system files are unchanged', async () => {
    const inv = join(lab.root, 'inventory.yaml');
    lab.writeInventory(inv, {
      controlPlanes: ['cp1'],
      workers: ['w1'],
      extra: {
        hostPrep: { firewall: 'open-ports' },
        kubernetes: { version: '1.34.1', proxyMode: 'ipvs' },
        containerRuntime: { registryMirrors: { 'registry.k8s.io': [registry.url], 'ghcr.io': [registry.url] } },
      },
    });
    const result = await kubesmith(['apply', '-i', inv, '--output', 'json']);
    expect(result.code, result.stdout.slice(-4000) + result.stderr.slice(-2000)).toBe(0);
    // The hosts really did change: their own state shows the run happened.
    expect(lab.readFile('cp1', '/etc/sysctl.d/k8s.conf')).toContain('net.ipv4.ip_forward');
    expect(lab.journal('w1').some((l) => / setenforce 0$/.test(l))).toBe(true);
    expect(lab.journal('cp1').some((l) => / swapoff -a$/.test(l))).toBe(true);
    // … and the machine did not.
    expect(machineState()).toEqual(before);
  }, 900_000);
});
