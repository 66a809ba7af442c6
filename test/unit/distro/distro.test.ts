import { describe, expect, it } from 'vitest';
import { detectDistro, osFamily, UnsupportedOsError } from '../../../src/distro/index.js';
import { commandDisplay } from '../../../src/transport/command.js';
import type { Facts } from '../../../src/model/facts.js';

const os = (id: string, versionId: string, idLike: string[] = [], prettyName = ''): Facts['os'] => ({
  id,
  idLike,
  versionId,
  prettyName,
  family: osFamily(id, idLike),
});

describe('distro detection', () => {
  it('picks debian for Debian and Ubuntu, rhel for Rocky, Alma, RHEL, CentOS', () => {
    expect(detectDistro(os('debian', '12')).family).toBe('debian');
    expect(detectDistro(os('ubuntu', '24.04', ['debian'])).packageManager).toBe('apt');
    expect(detectDistro(os('rocky', '9.4', ['rhel', 'centos', 'fedora'])).packageManager).toBe('dnf');
    expect(detectDistro(os('almalinux', '9.4', ['rhel'])).family).toBe('rhel');
    expect(detectDistro(os('centos', '7', ['rhel', 'fedora'])).packageManager).toBe('yum');
    expect(detectDistro(os('linuxmint', '22', ['ubuntu', 'debian'])).family).toBe('debian');
  });

  it('refuses an unsupported OS with a clear message', () => {
    expect(() => detectDistro(os('alpine', '3.20', [], 'Alpine Linux v3.20'))).toThrow(UnsupportedOsError);
    expect(() => detectDistro(os('alpine', '3.20', [], 'Alpine Linux v3.20'))).toThrow(
      /unsupported OS "Alpine Linux v3.20" \(ID=alpine\).*Debian/,
    );
  });
});

describe('debian strategy', () => {
  const d = detectDistro(os('debian', '12', [], 'Debian GNU/Linux 12 (bookworm)'));
  it('writes the pkgs.k8s.io apt source for a minor, and a mirror', () => {
    expect(d.kubernetesRepoPath).toBe('/etc/apt/sources.list.d/kubernetes.list');
    expect(d.kubernetesRepoFile('https://pkgs.k8s.io/core:/stable:', '1.34.1')).toBe(
      'deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v1.34/deb/ /\n',
    );
    expect(d.kubernetesRepoFile('https://mirrors.aliyun.com/kubernetes-new/core/stable/', 'v1.35')).toContain(
      'https://mirrors.aliyun.com/kubernetes-new/core/stable/v1.35/deb/ /',
    );
    expect(d.kubernetesRepoKeyUrl('', '1.34')).toBe('https://pkgs.k8s.io/core:/stable:/v1.34/deb/Release.key');
  });
  it('installs exact versions, holds and queries', () => {
    expect(d.packageVersionGlob('1.34.1')).toBe('1.34.1-1.1');
    expect(
      commandDisplay(
        d.installPackages([
          ['kubeadm', '1.34.1'],
          ['kubelet', 'v1.34.1'],
          ['containerd', undefined],
        ]),
      ),
    ).toBe(
      'env DEBIAN_FRONTEND=noninteractive apt-get install -y --allow-downgrades --allow-change-held-packages kubeadm=1.34.1-1.1 kubelet=1.34.1-1.1 containerd',
    );
    expect(commandDisplay(d.holdPackages(['kubelet', 'kubeadm'])!)).toBe('apt-mark hold kubelet kubeadm');
    expect(commandDisplay(d.packageStates(['kubeadm', 'kubelet']))).toBe(
      "dpkg-query -W -f='${Package}|${Status}|${Version}\n' kubeadm kubelet 2>/dev/null",
    );
    expect([...d.parsePackageStates('kubeadm|hold ok installed|1.34.1-1.1\nkubelet|install ok installed|1.34.1-1.1\n')]).toEqual([
      ['kubeadm', { version: '1.34.1-1.1', held: true }],
      ['kubelet', { version: '1.34.1-1.1', held: false }],
    ]);
    expect(commandDisplay(d.installedVersion('kubeadm'))).toContain("dpkg-query -W -f='${Status}|${Version}");
    expect(d.kubeletDefaultsPath).toBe('/etc/default/kubelet');
  });
});

describe('rhel strategy', () => {
  const d = detectDistro(os('rocky', '9.4', ['rhel', 'centos', 'fedora'], 'Rocky Linux 9.4 (Blue Onyx)'));
  it('writes the pkgs.k8s.io yum repo with the exclude line', () => {
    expect(d.kubernetesRepoFile('https://pkgs.k8s.io/core:/stable:', '1.34.1')).toBe(
      [
        '[kubernetes]',
        'name=Kubernetes',
        'baseurl=https://pkgs.k8s.io/core:/stable:/v1.34/rpm/',
        'enabled=1',
        'gpgcheck=1',
        'gpgkey=https://pkgs.k8s.io/core:/stable:/v1.34/rpm/repodata/repomd.xml.key',
        'exclude=kubelet kubeadm kubectl cri-tools kubernetes-cni',
        '',
      ].join('\n'),
    );
  });
  it('installs name-version with --disableexcludes, and has no hold command', () => {
    expect(d.packageVersionGlob('1.34.1')).toBe('1.34.1-150500.1.1');
    expect(
      commandDisplay(
        d.installPackages([
          ['kubeadm', '1.34.1'],
          ['kubectl', '1.34.1'],
        ]),
      ),
    ).toBe('dnf install -y --disableexcludes=kubernetes kubeadm-1.34.1 kubectl-1.34.1');
    expect(d.holdPackages(['kubeadm'])).toBeUndefined();
    expect(d.kubeletDefaultsPath).toBe('/etc/sysconfig/kubelet');
    expect(d.firewall).toBe('firewalld');
  });
});
