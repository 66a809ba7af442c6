import { describe, expect, it } from 'vitest';
import { kubernetesRepo } from '../../../src/tasks/kubernetes/repo.js';
import { kubernetesPackagesTask } from '../../../src/tasks/kubernetes/packages.js';
import { converge, expectReadOnly, harness } from './helpers/context.js';
import { makeInventory } from './helpers/inventory.js';

describe('kubernetes.repo', () => {
  it('Debian: fetches the key, writes the per-minor source, refreshes the index', async () => {
    const h = harness(makeInventory({ kubernetes: { version: '1.33.5' } }));
    const t = h.t('w1');
    let key = false;
    t.allow('test -e /etc/apt/keyrings/kubernetes-apt-keyring.gpg', () => ({ code: key ? 0 : 1 }))
      .allow(/curl -fsSL https:\/\/pkgs.k8s.io\/core:\/stable:\/v1.33\/deb\/Release.key \| gpg --dearmor/, () => ((key = true), {}))
      .allow('apt-get update', {});
    const changes = await converge(kubernetesRepo, h.ctx('w1'), [t]);
    expect(changes.map((c) => c.summary)).toEqual([
      'fetch the repository signing key into /etc/apt/keyrings/kubernetes-apt-keyring.gpg',
      'create /etc/apt/sources.list.d/kubernetes.list',
      'refresh the package index',
    ]);
    expect(t.fileText('/etc/apt/sources.list.d/kubernetes.list')).toBe(
      'deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v1.33/deb/ /\n',
    );
  });

  it('RHEL with a mirror: repo file with exclude=, no key fetch', async () => {
    const h = harness(makeInventory({ kubernetes: { packageRepository: 'https://mirrors.aliyun.com/kubernetes-new/core/stable/' } }), { family: 'rhel' });
    const t = h.t('w1').allow('dnf makecache', {});
    await converge(kubernetesRepo, h.ctx('w1'), [t]);
    const repo = t.fileText('/etc/yum.repos.d/kubernetes.repo')!;
    expect(repo).toContain('baseurl=https://mirrors.aliyun.com/kubernetes-new/core/stable/v1.34/rpm/');
    expect(repo).toContain('exclude=kubelet kubeadm kubectl cri-tools kubernetes-cni');
  });
});

describe('kubernetes.packages', () => {
  it('installs the exact version, holds, enables kubelet; then ok', async () => {
    const h = harness(makeInventory());
    const t = h.t('w1');
    let version = '';
    let held = '';
    let enabled = false;
    t.allow('dpkg-query', () => ({ stdout: version }))
      .allow('apt-get install', (c) => {
        expect(c.command).toContain('kubeadm=1.34.1-1.1 kubelet=1.34.1-1.1 kubectl=1.34.1-1.1');
        version = '1.34.1-1.1\n';
        return {};
      })
      .allow('apt-mark showhold', () => ({ stdout: held }))
      .allow('apt-mark hold kubeadm kubelet kubectl', () => ((held = 'kubeadm\nkubectl\nkubelet\n'), {}))
      .allow('systemctl is-enabled kubelet', () => ({ code: enabled ? 0 : 1, stdout: enabled ? 'enabled' : 'disabled' }))
      .allow('systemctl enable kubelet', () => ((enabled = true), {}));
    const first = await kubernetesPackagesTask.check(h.ctx('w1'));
    expectReadOnly(t);
    expect(first.status === 'change' && first.changes.map((c) => c.summary)).toEqual([
      'install kubeadm=1.34.1-1.1 kubelet=1.34.1-1.1 kubectl=1.34.1-1.1 (now: kubeadm (absent), kubelet (absent), kubectl (absent))',
      'hold kubeadm kubelet kubectl at this version',
      'enable kubelet',
    ]);
    await converge(kubernetesPackagesTask, h.ctx('w1'), [t]);
  });

  it('RHEL: a wrong installed version is replaced; holds come from the repo exclude=', async () => {
    const h = harness(makeInventory(), { family: 'rhel' });
    const t = h.t('w1');
    let version = '1.33.2-150500.1.1\n';
    t.allow('rpm -q', () => ({ stdout: version }))
      .allow('dnf install -y --disableexcludes=kubernetes kubeadm-1.34.1 kubelet-1.34.1 kubectl-1.34.1', () => ((version = '1.34.1-150500.1.1\n'), {}))
      .allow('systemctl is-enabled kubelet', { stdout: 'enabled' });
    const changes = await converge(kubernetesPackagesTask, h.ctx('w1'), [t]);
    expect(changes.map((c) => c.summary)).toEqual([
      'install kubeadm=1.34.1-150500.1.1 kubelet=1.34.1-150500.1.1 kubectl=1.34.1-150500.1.1 (now: kubeadm 1.33.2-150500.1.1, kubelet 1.33.2-150500.1.1, kubectl 1.33.2-150500.1.1)',
    ]);
  });
});

describe('kubernetes.packages with proxyMode ipvs', () => {
  it('also installs ipset and ipvsadm', async () => {
    const h = harness(makeInventory({ kubernetes: { proxyMode: 'ipvs' } }), { family: 'rhel' });
    const t = h.t('w1');
    const installed = new Map<string, string>([['kubeadm', '1.34.1-150500.1.1'], ['kubelet', '1.34.1-150500.1.1'], ['kubectl', '1.34.1-150500.1.1']]);
    t.allow('rpm -q', (c) => ({ stdout: [...installed].find(([p]) => c.command.endsWith(` ${p}; fi`))?.[1] ?? '' }))
      .allow('dnf install -y --disableexcludes=kubernetes ipset ipvsadm', () => (installed.set('ipset', '7').set('ipvsadm', '1'), {}))
      .allow('systemctl is-enabled kubelet', { stdout: 'enabled' });
    expect((await converge(kubernetesPackagesTask, h.ctx('w1'), [t])).map((c) => c.summary)).toEqual(['install ipset ipvsadm (proxyMode ipvs)']);
  });
});
