import { describe, expect, it } from 'vitest';
import { runtimeContainerdInstall } from '../../../src/tasks/runtime/containerd-install.js';
import { runtimeContainerdConfigure, parseContainerdVersion } from '../../../src/tasks/runtime/containerd-configure.js';
import type { RecordingTransport } from '../../../src/transport/recording.js';
import { converge, expectReadOnly, harness } from './helpers/context.js';
import { makeInventory } from './helpers/inventory.js';
import { LAB_KEY } from './helpers/signing-key.js';

/** A tiny systemd: units enabled/active, mutated by systemctl enable/restart; restarts owed (kubesmith's marks) kept too. */
function systemd(
  t: RecordingTransport,
  units: Record<string, { enabled: boolean; active: boolean }>,
  log: string[] = [],
  owed = new Set<string>(),
) {
  const unit = (name: string) => (units[name] ??= { enabled: false, active: false });
  t.allow(/^test -e \/var\/lib\/kubesmith\/restart-owed\//, (c) => ({ code: owed.has(c.command.split('/').pop()!) ? 0 : 1 })).allow(
    /^mkdir -p \/var\/lib\/kubesmith\/restart-owed && : > /,
    (c) => (owed.add(c.command.split('/').pop()!), {}),
  );
  const clearOwed = (command: string) => {
    const m = / && rm -f \/var\/lib\/kubesmith\/restart-owed\/(\S+)$/.exec(command);
    if (m) owed.delete(m[1]!);
  };
  t.allow(/^systemctl is-enabled /, (c) => {
    const u = unit(c.command.split(' ')[2]!);
    return { code: u.enabled ? 0 : 1, stdout: u.enabled ? 'enabled\n' : 'disabled\n' };
  })
    .allow(/^systemctl is-active /, (c) => {
      const u = unit(c.command.split(' ')[2]!);
      return { code: u.active ? 0 : 3, stdout: u.active ? 'active\n' : 'inactive\n' };
    })
    .allow(/^systemctl enable --now /, (c) => {
      Object.assign(unit(c.command.split(' ')[3]!), { enabled: true, active: true });
      clearOwed(c.command);
      return {};
    })
    .allow(/^systemctl (restart|daemon-reload)/, (c) => (log.push(c.command.replace(/ && rm -f .*$/, '')), clearOwed(c.command), {}));
  return units;
}

describe('runtime.containerd.install', () => {
  it('installs containerd from the distro, without starting it (configure does, once); nothing the second time', async () => {
    const h = harness(makeInventory());
    const t = h.t('w1');
    let installed = '';
    systemd(t, {});
    // The query asks dpkg for the package's status and version in one line; absent: nothing, exit 1.
    t.allow("dpkg-query -W -f='${Package}|${Status}|${Version}\n' containerd.io", () => (installed ? { stdout: installed } : { code: 1 }))
      .allow('apt-get update', {})
      .allow(
        'apt-get install -y --allow-downgrades --allow-change-held-packages containerd.io',
        () => ((installed = 'containerd.io|install ok installed|1.7.24-1\n'), {}),
      );
    const changes = await converge(runtimeContainerdInstall, h.ctx('w1'), [t]);
    expect(changes.map((c) => c.summary)).toEqual(['install containerd.io']);
    expect(t.commands.filter((c) => c.startsWith('systemctl'))).toEqual([]);
  });

  it('both repositories written, then one index refresh for both installs of the run (not one per repository)', async () => {
    const { runtimeRepo } = await import('../../../src/tasks/runtime/repo.js');
    const { kubernetesRepo } = await import('../../../src/tasks/kubernetes/repo.js');
    const { kubernetesPackagesTask } = await import('../../../src/tasks/kubernetes/packages.js');
    const h = harness(makeInventory());
    const t = h.t('w1');
    const installed = new Set<string>();
    const units = systemd(t, { kubelet: { enabled: false, active: false } });
    t.setFile('/etc/apt/keyrings/docker.asc', LAB_KEY).setFile('/etc/apt/keyrings/kubernetes-apt-keyring.gpg', LAB_KEY);
    t.allow('apt-get update', {})
      .allow('dpkg-query -W', (c) => ({
        stdout: [...installed]
          .filter((p) => c.command.includes(` ${p}`))
          .map((p) => `${p}|hold ok installed|${p === 'containerd.io' ? '1.7.24-1' : '1.34.1-1.1'}\n`)
          .join(''),
      }))
      .allow(/apt-get install .* containerd.io/, () => (installed.add('containerd.io'), {}))
      .allow(
        /apt-get install .* kubeadm=.* cri-tools$/,
        () => (['kubeadm', 'kubelet', 'kubectl', 'cri-tools'].forEach((p) => installed.add(p)), {}),
      )
      .allow('apt-mark hold', {})
      .allow('systemctl enable kubelet', () => (Object.assign(units.kubelet!, { enabled: true }), {}));
    for (const task of [runtimeRepo, kubernetesRepo, runtimeContainerdInstall, kubernetesPackagesTask])
      await converge(task, h.ctx('w1'), [t]);
    expect(t.commands.filter((c) => c.includes('apt-get update'))).toHaveLength(1);
    expect(t.commands.findIndex((c) => c.includes('apt-get update'))).toBeLessThan(
      t.commands.findIndex((c) => c.includes('apt-get install')),
    );
    // A new run knows nothing about the index: it refreshes before installing.
    installed.clear();
    const next = harness(makeInventory());
    next.transports.set('w1', t);
    await runtimeContainerdInstall.apply(next.ctx('w1'), [{ summary: 'install containerd.io' }]);
    expect(t.commands.filter((c) => c.includes('apt-get update'))).toHaveLength(2);
  });

  it('uses containerd.io on RHEL', async () => {
    const h = harness(makeInventory(), { family: 'rhel' });
    const t = h.t('w1');
    systemd(t, { containerd: { enabled: true, active: true } });
    t.allow('rpm -q', { code: 1, stdout: 'package containerd.io is not installed\n' });
    const r = await runtimeContainerdInstall.check(h.ctx('w1'));
    expect(r).toEqual({ status: 'change', changes: [{ summary: 'install containerd.io' }] });
  });
});

describe('runtime.containerd.configure', () => {
  const inv = makeInventory({ containerRuntime: { registryMirrors: { 'docker.io': ['https://mirror.example'] } } });

  it("takes the containerd version from this run's facts, and asks the host again after an install", async () => {
    const h = harness(inv, { facts: () => ({ versions: { kubeadm: '', kubelet: '', kubectl: '', containerd: '2.1.4', docker: '' } }) });
    const t = h.t('w1');
    systemd(t, { containerd: { enabled: true, active: true } });
    const changes = await converge(runtimeContainerdConfigure, h.ctx('w1'), [t]);
    expect(changes[0]!.summary).toBe('create /etc/containerd/config.toml');
    expect(t.fileText('/etc/containerd/config.toml')).toContain('version = 3'); // containerd 2.x format
    expect(t.commands.filter((c) => c.includes('containerd --version'))).toEqual([]);
    // An install in this run makes the facts' versions unknown: the next look asks containerd itself.
    const { forgetInstalledVersions } = await import('../../../src/tasks/common/installed.js');
    forgetInstalledVersions(h.ctx('w1'));
    t.allow('containerd --version', { stdout: 'containerd github.com/containerd/containerd/v2 v2.1.4 75cb2b7\n' });
    expect(await runtimeContainerdConfigure.check(h.ctx('w1'))).toEqual({ status: 'ok' });
    expect(t.commands.filter((c) => c.includes('containerd --version'))).toHaveLength(1);
  });

  it('writes config v2 for containerd 1.7, hosts.toml, crictl.yaml; restarts only when config.toml changed', async () => {
    const h = harness(inv);
    const t = h.t('w1');
    const restarts: string[] = [];
    systemd(t, { containerd: { enabled: true, active: true } }, restarts);
    t.allow('containerd --version', { stdout: 'containerd github.com/containerd/containerd v1.7.24 88bf19b\n' });
    const changes = await converge(runtimeContainerdConfigure, h.ctx('w1'), [t]);
    expect(changes.map((c) => c.summary)).toEqual([
      'create /etc/containerd/config.toml',
      'create /etc/containerd/certs.d/docker.io/hosts.toml',
      'create /etc/crictl.yaml',
      'restart containerd (/etc/containerd/config.toml changed)',
    ]);
    expect(restarts).toEqual(['systemctl restart containerd']);
    expect(t.fileText('/etc/containerd/config.toml')).toContain('version = 2');
    expect(t.fileText('/etc/containerd/config.toml')).toContain('sandbox_image = "registry.k8s.io/pause:3.10.1"');
    expect(changes[0]!.diff).toContain('+  SystemdCgroup = true');

    // Only a mirror changes: hosts.toml is rewritten, containerd is NOT restarted.
    const h2 = harness(makeInventory({ containerRuntime: { registryMirrors: { 'docker.io': ['https://other.example'] } } }));
    const t2 = h2.t('w1');
    for (const [p, f] of t.files) t2.setFile(p, f.content);
    const restarts2: string[] = [];
    systemd(t2, { containerd: { enabled: true, active: true } }, restarts2);
    t2.allow('containerd --version', { stdout: 'containerd github.com/containerd/containerd v1.7.24 88bf19b\n' });
    expect((await converge(runtimeContainerdConfigure, h2.ctx('w1'), [t2])).map((c) => c.summary)).toEqual([
      'update /etc/containerd/certs.d/docker.io/hosts.toml',
    ]);
    expect(restarts2).toEqual([]);
  });

  it('writes config v3 for containerd 2.x', async () => {
    const h = harness(makeInventory());
    const t = h.t('w1');
    systemd(t, { containerd: { enabled: true, active: true } });
    t.allow('containerd --version', { stdout: 'containerd github.com/containerd/containerd/v2 v2.1.4 75cb2b7\n' });
    await converge(runtimeContainerdConfigure, h.ctx('w1'), [t]);
    expect(t.fileText('/etc/containerd/config.toml')).toContain("[plugins.'io.containerd.cri.v1.images'.pinned_images]");
  });

  it('a run killed after writing config.toml but before the restart: the next run restarts containerd anyway', async () => {
    const h = harness(inv);
    const t = h.t('w1');
    const restarts: string[] = [];
    const owed = new Set<string>();
    systemd(t, { containerd: { enabled: true, active: true } }, restarts, owed);
    t.allow('containerd --version', { stdout: 'containerd github.com/containerd/containerd v1.7.24 88bf19b\n' });
    // The killed run: the config is written (the restart is owed from then on), the restart never happens.
    const first = await runtimeContainerdConfigure.check(h.ctx('w1'));
    const changes = first.status === 'change' ? first.changes : [];
    await runtimeContainerdConfigure.apply(
      h.ctx('w1'),
      changes.filter((c) => c.summary === 'create /etc/containerd/config.toml'),
    );
    expect(owed).toEqual(new Set(['containerd']));
    expect(restarts).toEqual([]);
    // The next run: the file matches, yet containerd still runs the old config.
    const next = await converge(runtimeContainerdConfigure, h.ctx('w1'), [t]);
    expect(next.map((c) => c.summary)).toContain(
      'restart containerd (a run stopped after changing its configuration, before restarting it)',
    );
    expect(restarts).toEqual(['systemctl restart containerd']);
    expect(owed).toEqual(new Set());
  });

  it('a containerd not running yet is started once with its configuration in place: no restart', async () => {
    const h = harness(inv);
    const t = h.t('w1');
    const restarts: string[] = [];
    const units = systemd(t, { containerd: { enabled: false, active: false } }, restarts);
    t.allow('containerd --version', { stdout: 'containerd containerd.io v2.1.4 75cb2b7\n' });
    const changes = await converge(runtimeContainerdConfigure, h.ctx('w1'), [t]);
    expect(changes.map((c) => c.summary)).toEqual([
      'create /etc/containerd/config.toml',
      'create /etc/containerd/certs.d/docker.io/hosts.toml',
      'create /etc/crictl.yaml',
      'enable and start containerd',
    ]);
    expect(restarts).toEqual([]);
    expect(units.containerd).toEqual({ enabled: true, active: true });
    // The config was written before the start.
    const cmds = t.calls.map((c) => `${c.kind} ${c.command}`);
    expect(cmds.indexOf('writeFile /etc/containerd/config.toml')).toBeLessThan(
      cmds.findIndex((c) => c.startsWith('exec systemctl enable --now containerd')),
    );
    expect(cmds.findIndex((c) => c.startsWith('exec systemctl enable --now containerd'))).toBeGreaterThan(0);
  });

  it('in a dry run before containerd exists: unknown, and read-only', async () => {
    const h = harness(inv);
    const t = h.t('w1').allow('containerd --version', { code: 127, stderr: 'not found' });
    systemd(t, {});
    expect(await runtimeContainerdConfigure.check(h.ctx('w1', { dryRun: true }))).toMatchObject({ status: 'unknown' });
    expectReadOnly(t);
    await expect(runtimeContainerdConfigure.check(h.ctx('w1'))).rejects.toThrow(/containerd version/);
  });

  it('parses containerd versions', () => {
    expect(parseContainerdVersion('containerd github.com/containerd/containerd/v2 v2.1.4 75cb')).toBe('2.1.4');
    expect(parseContainerdVersion('containerd containerd.io 1.7.27 05044ec')).toBe('1.7.27');
  });
});

describe('runtime.repo', () => {
  it("Debian 12: Docker's key and a bookworm source, then the index refresh", async () => {
    const { runtimeRepo } = await import('../../../src/tasks/runtime/repo.js');
    const h = harness(makeInventory());
    const t = h.t('w1');
    t.allow(
      /curl -fsSL https:\/\/download.docker.com\/linux\/debian\/gpg -o \/etc\/apt\/keyrings\/docker.asc.download/,
      () => (t.setFile('/etc/apt/keyrings/docker.asc.download', LAB_KEY), {}),
    )
      .allow('rm -f /etc/apt/keyrings/docker.asc.download', {})
      .allow('apt-get update', {});
    await converge(runtimeRepo, h.ctx('w1'), [t]);
    expect(t.fileText('/etc/apt/sources.list.d/docker.list')).toBe(
      'deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/debian bookworm stable\n',
    );
  });

  it('Rocky 9: a docker-ce.repo with explicit release and arch', async () => {
    const { runtimeRepo } = await import('../../../src/tasks/runtime/repo.js');
    const h = harness(makeInventory(), {
      family: 'rhel',
      facts: () => ({ os: { id: 'rocky', idLike: ['rhel'], versionId: '9.4', prettyName: 'Rocky Linux 9.4', family: 'rhel' } }),
    });
    const t = h.t('w1').allow('dnf makecache', {});
    await converge(runtimeRepo, h.ctx('w1'), [t]);
    expect(t.fileText('/etc/yum.repos.d/docker-ce.repo')).toContain('baseurl=https://download.docker.com/linux/rhel/9/x86_64/stable\n');
  });
});
