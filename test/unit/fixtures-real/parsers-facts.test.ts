/** Kubesmith's parsers on the real outputs of test/fixtures/real: os-release, version lines, swapon, ss, /proc, getenforce and the whole facts script. */
import { describe, expect, it } from 'vitest';
import { parseFacts, parseOsRelease, parsePorts, parseSwap, parseSelinux, versionIn } from '../../../src/tasks/facts/parse.js';
import { SECTION_MARK } from '../../../src/tasks/facts/script.js';
import { parseContainerdVersion } from '../../../src/tasks/runtime/containerd-configure.js';
import { detectDistro, osFamily } from '../../../src/distro/index.js';
import { lines, real } from './real.js';

function factsOutput(sections: Record<string, string>): string {
  return (
    Object.entries(sections)
      .map(([name, body]) => `\n${SECTION_MARK}${name}\n${body}`)
      .join('') + `\n${SECTION_MARK}end\n`
  );
}

describe('os-release (Debian 12 recorded; Ubuntu 24.04, Rocky 9 quoted)', () => {
  const cases = [
    ['debian12.txt', { ID: 'debian', VERSION_ID: '12', PRETTY_NAME: 'Debian GNU/Linux 12 (bookworm)' }, 'debian'],
    ['ubuntu2404.txt', { ID: 'ubuntu', ID_LIKE: 'debian', VERSION_ID: '24.04', PRETTY_NAME: 'Ubuntu 24.04.2 LTS' }, 'debian'],
    ['rocky9.txt', { ID: 'rocky', ID_LIKE: 'rhel centos fedora', VERSION_ID: '9.7', PRETTY_NAME: 'Rocky Linux 9.7 (Blue Onyx)' }, 'rhel'],
  ] as const;
  for (const [file, fields, family] of cases) {
    it(`${file}: fields unquoted, family ${family}, a distro strategy`, () => {
      const osr = parseOsRelease(real('os-release', file).split('\n'));
      expect(osr).toMatchObject(fields);
      const idLike = (osr.ID_LIKE ?? '').split(/\s+/).filter(Boolean);
      expect(osFamily(osr.ID!, idLike)).toBe(family);
      expect(detectDistro({ id: osr.ID!, idLike, versionId: osr.VERSION_ID!, prettyName: osr.PRETTY_NAME!, family }).family).toBe(family);
    });
  }
});

describe('facts: version lines of the real tools', () => {
  const line = (tool: string, text: string) => `${tool} ${text.trim().split('\n')[0]}`;
  it('containerd 1.6 (Debian), kubectl client, docker: the x.y.z of each', () => {
    const f = parseFacts(
      factsOutput({
        'os-release': real('os-release', 'debian12.txt'),
        versions: [
          line('containerd', real('containerd', 'version.txt')),
          line('kubectl', real('kubectl', 'version-client.txt')),
          line('docker', real('docker', 'version.txt')),
        ].join('\n'),
      }),
    );
    expect(f.versions).toMatchObject({ containerd: '1.6.20', kubectl: '1.32.4', docker: '28.2.2' });
    expect(f.os).toMatchObject({ id: 'debian', family: 'debian', versionId: '12' });
  });
  it('containerd 2.2.1 ("…/containerd/v2 v2.2.1 <sha>"), kubeadm -o short, kubelet --version, kubectl 1.33', () => {
    const f = parseFacts(
      factsOutput({
        'os-release': real('os-release', 'ubuntu2404.txt'),
        versions: [
          line('containerd', real('containerd', 'version-2.2.1.txt')),
          line('kubeadm', real('kubeadm', 'version-o-short.txt')),
          line('kubelet', real('kubelet', 'version.txt')),
          line('kubectl', real('kubectl', 'version-1.33.8.txt')),
        ].join('\n'),
      }),
    );
    expect(f.versions).toMatchObject({ containerd: '2.2.1', kubeadm: '1.34.1', kubelet: '1.34.1', kubectl: '1.33.8' });
  });
  it('versionIn on each raw version text', () => {
    expect(versionIn(real('kubelet', 'version.txt'))).toBe('1.34.1');
    expect(versionIn(real('docker', 'version.txt'))).toBe('28.2.2');
  });
});

describe('facts: swap, ports, SELinux', () => {
  const rc0 = (text: string) => [...lines(text), 'rc=0'];
  it('swapon --show: none active (empty output) / /swap.img active', () => {
    expect(parseSwap(rc0(real('swapon', 'show-none.txt')), lines(real('proc', 'swaps-none.txt')))).toBe(false);
    expect(parseSwap(rc0(real('swapon', 'show.txt')), undefined)).toBe(true);
  });
  it('/proc/swaps when swapon is absent: header only / one swap file', () => {
    expect(parseSwap(['absent'], lines(real('proc', 'swaps-none.txt')))).toBe(false);
    expect(parseSwap(['absent'], lines(real('proc', 'swaps.txt')))).toBe(true);
  });
  it('ss -Htln: IPv4 and IPv6 listeners', () => {
    expect(parsePorts(['ss', ...lines(real('ss', 'Htln.txt'))])).toEqual([22, 2379, 6443, 10248, 10257]);
  });
  it('/proc/net/tcp and tcp6 of the same listeners give the same ports', () => {
    expect(parsePorts(['proc', ...lines(real('proc', 'net-tcp.txt')), ...lines(real('proc', 'net-tcp6.txt'))])).toEqual([
      22, 2379, 6443, 10248, 10257,
    ]);
  });
  it('getenforce: Enforcing (Rocky) / Disabled (the real selinux-utils on a machine without SELinux)', () => {
    expect(parseSelinux(lines(real('getenforce', 'enforcing.txt')))).toBe('enforcing');
    expect(parseSelinux(lines(real('getenforce', 'disabled.txt')))).toBe('disabled');
  });
});

describe('containerd --version', () => {
  it('Debian 1.6.20~ds1 and upstream 2.2.1', () => {
    expect(parseContainerdVersion(real('containerd', 'version.txt'))).toBe('1.6.20');
    expect(parseContainerdVersion(real('containerd', 'version-2.2.1.txt'))).toBe('2.2.1');
  });
});

describe('facts.gather: the whole facts script run on a real Debian 12 machine', () => {
  it('every section parsed: OS, arch, CPUs, memory, cgroup, swap, SELinux, MACs, versions, ports, root', () => {
    const f = parseFacts(real('facts-script', 'debian12-machine.txt'));
    expect(f).toMatchObject({
      os: { id: 'debian', idLike: [], versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)', family: 'debian' },
      arch: 'amd64',
      hostname: 'vm',
      kernel: '6.18.44-fc-v1272',
      cpus: 2,
      memoryMiB: 24105,
      cgroupVersion: 1,
      swapOn: false,
      selinux: 'absent',
      machineId: '3d1219c7c4c5404aaa1f6d2a48adfda4',
      productUuid: '',
      versions: { kubeadm: '', kubelet: '', kubectl: '1.32.4', containerd: '1.6.20', docker: '28.2.2' },
      cluster: { member: false },
      listeningPorts: [2024, 44143],
      isRoot: true,
    });
    expect(f.macs[0]).toBe('02:fc:00:00:00:01');
    expect(f.epochSeconds).toBeGreaterThan(1_700_000_000);
  });
});
