import { describe, expect, it } from 'vitest';
import { kubernetesRepo } from '../../../src/tasks/kubernetes/repo.js';
import { kubernetesPackagesTask } from '../../../src/tasks/kubernetes/packages.js';
import { converge, expectReadOnly, harness } from './helpers/context.js';
import { makeInventory } from './helpers/inventory.js';
import { LAB_KEY } from './helpers/signing-key.js';

describe('kubernetes.repo', () => {
  it('Debian: fetches the key and writes the per-minor source; the index is refreshed by the next install, not here', async () => {
    const h = harness(makeInventory({ kubernetes: { version: '1.33.5' } }));
    const t = h.t('w1');
    t.allow(
      /curl -fsSL https:\/\/pkgs.k8s.io\/core:\/stable:\/v1.33\/deb\/Release.key -o /,
      () => (t.setFile('/etc/apt/keyrings/kubernetes-apt-keyring.gpg.download', LAB_KEY), {}),
    ).allow('rm -f /etc/apt/keyrings/kubernetes-apt-keyring.gpg.download', {});
    const changes = await converge(kubernetesRepo, h.ctx('w1'), [t]);
    expect(changes.map((c) => c.summary)).toEqual([
      'fetch the repository signing key into /etc/apt/keyrings/kubernetes-apt-keyring.gpg',
      'create /etc/apt/sources.list.d/kubernetes.list',
    ]);
    expect(t.commands.filter((c) => c.includes('apt-get update'))).toEqual([]);
    expect(t.fileText('/etc/apt/sources.list.d/kubernetes.list')).toBe(
      'deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v1.33/deb/ /\n',
    );
  });

  it('RHEL with a mirror: repo file with exclude=, no key fetch', async () => {
    const h = harness(makeInventory({ kubernetes: { packageRepository: 'https://mirrors.aliyun.com/kubernetes-new/core/stable/' } }), {
      family: 'rhel',
    });
    const t = h.t('w1').allow('dnf makecache', {});
    await converge(kubernetesRepo, h.ctx('w1'), [t]);
    const repo = t.fileText('/etc/yum.repos.d/kubernetes.repo')!;
    expect(repo).toContain('baseurl=https://mirrors.aliyun.com/kubernetes-new/core/stable/v1.34/rpm/');
    expect(repo).toContain('exclude=kubelet kubeadm kubectl cri-tools kubernetes-cni');
  });
});

/** Installed packages on a fake host: name → version and hold. */
type FakeDb = Map<string, { version: string; held: boolean }>;
const queried = (command: string) => (/' (.*) 2>\/dev\/null$/.exec(command)?.[1] ?? '').split(' ').filter(Boolean);

/** Answers the one-round-trip query like dpkg-query -W -f='${Package}|${Status}|${Version}\n' does (exit 1 if one is unknown). */
function dpkgQuery(db: FakeDb) {
  return (c: { command: string }) => {
    const names = queried(c.command);
    const known = names.filter((n) => db.has(n));
    return {
      code: known.length === names.length ? 0 : 1,
      stdout: known.map((n) => `${n}|${db.get(n)!.held ? 'hold' : 'install'} ok installed|${db.get(n)!.version}\n`).join(''),
    };
  };
}

/** Answers rpm -q --qf '%{NAME}|%{VERSION}-%{RELEASE}\n' like rpm does ("package X is not installed" on stdout). */
function rpmQuery(db: FakeDb) {
  return (c: { command: string }) => {
    const names = queried(c.command);
    return {
      code: names.every((n) => db.has(n)) ? 0 : 1,
      stdout: names.map((n) => (db.has(n) ? `${n}|${db.get(n)!.version}\n` : `package ${n} is not installed\n`)).join(''),
    };
  };
}

describe('kubernetes.packages', () => {
  it('installs the exact version, holds, enables kubelet; then ok', async () => {
    const h = harness(makeInventory());
    const t = h.t('w1');
    const db: FakeDb = new Map([['kubectl', { version: '1.33.0-1.1', held: true }]]);
    let enabled = false;
    t.allow('dpkg-query -W', dpkgQuery(db))
      .allow('apt-get update', {})
      .allow('apt-get install', (c) => {
        // one package-manager call for everything missing
        expect(c.command).toContain('kubeadm=1.34.1-1.1 kubelet=1.34.1-1.1 kubectl=1.34.1-1.1 cri-tools');
        db.set('cri-tools', { version: '1.34.0-1.1', held: false });
        for (const p of ['kubeadm', 'kubelet', 'kubectl']) db.set(p, { version: '1.34.1-1.1', held: db.get(p)?.held ?? false });
        return {};
      })
      .allow('apt-mark hold kubeadm kubelet kubectl', () => {
        for (const v of db.values()) v.held = true;
        return {};
      })
      .allow('systemctl is-enabled kubelet', () => ({ code: enabled ? 0 : 1, stdout: enabled ? 'enabled' : 'disabled' }))
      .allow('systemctl enable kubelet', () => ((enabled = true), {}));
    const first = await kubernetesPackagesTask.check(h.ctx('w1'));
    expectReadOnly(t);
    expect(first.status === 'change' && first.changes.map((c) => c.summary)).toEqual([
      'install kubeadm=1.34.1-1.1 kubelet=1.34.1-1.1 kubectl=1.34.1-1.1 (now: kubeadm (absent), kubelet (absent), kubectl 1.33.0-1.1), cri-tools (crictl)',
      'hold kubeadm kubelet at this version',
      'enable kubelet',
    ]);
    await converge(kubernetesPackagesTask, h.ctx('w1'), [t]);
    expect(t.commands.filter((c) => c.startsWith('env DEBIAN_FRONTEND=noninteractive apt-get install'))).toHaveLength(1);
    // Every check asks once for all three packages (and the kubelet unit), in one round trip.
    expect(t.commands.filter((c) => c.startsWith('dpkg-query'))).toHaveLength(3);
    expect(t.commands.filter((c) => c.startsWith('apt-mark showhold'))).toEqual([]);
  });

  it('a package half-installed or removed (not "ok installed") counts as absent', async () => {
    const h = harness(makeInventory());
    const t = h.t('w1');
    t.allow('dpkg-query -W', {
      code: 0,
      stdout:
        'kubeadm|install ok half-configured|1.34.1-1.1\nkubelet|deinstall ok config-files|1.34.1-1.1\nkubectl|hold ok installed|1.34.1-1.1\ncri-tools|install ok installed|1.34.0-1.1\n',
    }).allow('systemctl is-enabled kubelet', { stdout: 'enabled' });
    const r = await kubernetesPackagesTask.check(h.ctx('w1'));
    expect(r.status === 'change' && r.changes.map((c) => c.summary)).toEqual([
      'install kubeadm=1.34.1-1.1 kubelet=1.34.1-1.1 kubectl=1.34.1-1.1 (now: kubeadm (absent), kubelet (absent))',
      'hold kubeadm kubelet at this version',
    ]);
  });

  it('RHEL: a wrong installed version is replaced; holds come from the repo exclude=', async () => {
    const h = harness(makeInventory(), { family: 'rhel' });
    const t = h.t('w1');
    const db: FakeDb = new Map([
      ...['kubeadm', 'kubelet', 'kubectl'].map((p) => [p, { version: '1.33.2-150500.1.1', held: false }] as const),
      ['cri-tools', { version: '1.34.0-150500.1.1', held: false }],
    ]);
    t.allow('rpm -q', rpmQuery(db))
      .allow('dnf makecache', {})
      .allow('dnf install -y --disableexcludes=kubernetes kubeadm-1.34.1 kubelet-1.34.1 kubectl-1.34.1', () => {
        for (const v of db.values()) v.version = '1.34.1-150500.1.1';
        return {};
      })
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
    const db: FakeDb = new Map([
      ...['kubeadm', 'kubelet', 'kubectl', 'cri-tools'].map((p) => [p, { version: '1.34.1-150500.1.1', held: false }] as const),
    ]);
    t.allow('rpm -q', rpmQuery(db))
      .allow('dnf makecache', {})
      .allow(
        'dnf install -y --disableexcludes=kubernetes ipset ipvsadm',
        () => (db.set('ipset', { version: '7.11-8.el9', held: false }).set('ipvsadm', { version: '1.31-6.el9', held: false }), {}),
      )
      .allow('systemctl is-enabled kubelet', { stdout: 'enabled' });
    expect((await converge(kubernetesPackagesTask, h.ctx('w1'), [t])).map((c) => c.summary)).toEqual([
      'install ipset ipvsadm (proxyMode ipvs)',
    ]);
  });
});
