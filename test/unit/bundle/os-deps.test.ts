/** offline.osdeps over recording transports: what it reads, and how it names what is missing before anything changes. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { offlineOsDeps } from '../../../src/tasks/offline/os-deps.js';
import { harness } from '../tasks/helpers/context.js';
import { makeInventory } from '../tasks/helpers/inventory.js';
import { writeFakeBundle } from './fake-bundle.js';

const ROCKY = {
  os: {
    id: 'rocky',
    idLike: ['rhel', 'centos', 'fedora'],
    versionId: '9.4',
    prettyName: 'Rocky Linux 9.4 (Blue Onyx)',
    family: 'rhel' as const,
  },
};

function setup(spec: Record<string, unknown> = {}, packages: string[] = []) {
  const dir = mkdtempSync(join(tmpdir(), 'ks-osdeps-'));
  writeFakeBundle(dir, makeInventory({ kubernetes: { version: '1.34.1' } }), { packages });
  return makeInventory({ kubernetes: { version: '1.34.1' }, ...spec, offline: { bundle: dir } }, [
    { name: 'cp1', address: '10.0.0.1', roles: ['control-plane'] },
  ]);
}

describe('offline.osdeps, binaries bundle', () => {
  it('names every missing tool with the exact install command, and only reads', async () => {
    const h = harness(setup({ kubernetes: { version: '1.34.1', proxyMode: 'ipvs' } }));
    h.t('cp1').expect(/^for c in mount nsenter iptables ipset ipvsadm; do command -v/, { stdout: 'iptables\nipset\nipvsadm\n' });
    await expect(offlineOsDeps.check(h.ctx('cp1'))).rejects.toThrow(
      'cp1 lacks what the bundle needs from the OS (nothing was changed):\n' +
        '  - iptables is not installed (the CNI portmap plugin and kube-proxy rules)\n' +
        '  - ipset is not installed (kube-proxy proxyMode ipvs)\n' +
        '  - ipvsadm is not installed (kube-proxy proxyMode ipvs)\n' +
        '  - install: apt-get install -y iptables ipset ipvsadm',
    );
  });

  it('passes when every tool is there; RHEL package names in the command', async () => {
    const ok = harness(setup());
    ok.t('cp1').expect(/^for c in mount nsenter iptables; do/, { stdout: '' });
    expect(await offlineOsDeps.check(ok.ctx('cp1'))).toEqual({ status: 'ok' });
    const rhel = harness(setup(), { family: 'rhel', facts: () => ROCKY });
    rhel.t('cp1').expect(/^for c in/, { stdout: 'iptables\n' });
    await expect(offlineOsDeps.check(rhel.ctx('cp1'))).rejects.toThrow('install: dnf install -y iptables-nft');
  });
});

describe('offline.osdeps, packages bundle', () => {
  it('Debian: a dependency the bundle lacks must be installed or have an apt candidate', async () => {
    const h = harness(setup({}, ['debian-12']));
    h.t('cp1')
      .expect(/^dpkg-query -W[\s\S]* mount util-linux/, { stdout: 'util-linux|install ok installed|2.38.1-5+deb12u3\n' })
      .expect('apt-cache policy mount', { stdout: '' });
    await expect(offlineOsDeps.check(h.ctx('cp1'))).rejects.toThrow(
      'mount (needed by kubelet) is neither installed nor installable: no configured apt source offers it (apt-get update with the OS mirror reachable)',
    );
    const ok = harness(setup({}, ['debian-12']));
    ok.t('cp1')
      .expect(/^dpkg-query -W/, { stdout: '' })
      .expect('apt-cache policy mount util-linux', {
        stdout:
          'mount:\n  Installed: (none)\n  Candidate: 2.38.1-5+deb12u3\nutil-linux:\n  Installed: (none)\n  Candidate: 2.38.1-5+deb12u3\n',
      });
    expect(await offlineOsDeps.check(ok.ctx('cp1'))).toEqual({ status: 'ok' });
  });

  it('RHEL: dnf lists what the enabled repositories offer; an unreachable repository is named', async () => {
    const h = harness(setup({}, ['rhel-9']), { family: 'rhel', facts: () => ROCKY });
    h.t('cp1')
      .expect(/^rpm -q[\s\S]* util-linux/, { code: 1, stdout: 'package util-linux is not installed\n' })
      .expect('dnf -q list --available util-linux', {
        code: 1,
        stderr: "Error: Failed to download metadata for repo 'baseos': Cannot download repomd.xml\n",
      });
    await expect(offlineOsDeps.check(h.ctx('cp1'))).rejects.toThrow(
      "util-linux (needed by kubelet) is neither installed nor installable: Error: Failed to download metadata for repo 'baseos': Cannot download repomd.xml",
    );
  });
});

describe('packages for another distro release', () => {
  it("are refused, naming the host's release to make the bundle for", async () => {
    const h = harness(setup({}, ['debian-12']), {
      facts: () => ({
        os: { id: 'ubuntu', idLike: ['debian'], versionId: '22.04', prettyName: 'Ubuntu 22.04.5 LTS', family: 'debian' as const },
      }),
    });
    await expect(offlineOsDeps.check(h.ctx('cp1'))).rejects.toThrow(
      "cp1 runs ubuntu-22.04; the bundle's debian packages are for debian-12 (bundle create --packages ubuntu-22.04)",
    );
    expect(h.t('cp1').calls).toEqual([]);
  });
});

describe("packages a task installs from the host's OS repositories (Task.osPackages)", () => {
  const withTimeSync = { hostPrep: { timeSync: { servers: ['ntp.example.internal'] } } };

  it('hostPrep.timeSync: chrony must be installed or installable, named with the task that needs it', async () => {
    const h = harness(setup(withTimeSync));
    h.t('cp1')
      .expect(/^for c in/, { stdout: '' })
      .expect(/^dpkg-query -W[\s\S]* chrony 2>/, { code: 1, stdout: '' })
      .expect('apt-cache policy chrony', { stdout: 'chrony:\n  Installed: (none)\n  Candidate: (none)\n' });
    await expect(offlineOsDeps.check(h.ctx('cp1'))).rejects.toThrow(
      'chrony (needed by hostprep.timesync) is neither installed nor installable: no configured apt source offers it',
    );
    const ok = harness(setup(withTimeSync), { family: 'rhel', facts: () => ROCKY });
    ok.t('cp1')
      .expect(/^for c in/, { stdout: '' })
      .expect(/^rpm -q[\s\S]* chrony/, { code: 1, stdout: 'package chrony is not installed\n' })
      .expect('dnf -q list --available chrony', { stdout: 'Available Packages\nchrony.x86_64    4.6.1-1.el9    baseos\n' });
    expect(await offlineOsDeps.check(ok.ctx('cp1'))).toEqual({ status: 'ok' });
  });

  it('nothing is asked for a task that does not apply (timeSync unset)', async () => {
    const h = harness(setup());
    h.t('cp1').expect(/^for c in/, { stdout: '' });
    expect(await offlineOsDeps.check(h.ctx('cp1'))).toEqual({ status: 'ok' });
  });
});
