import { describe, expect, it } from 'vitest';
import { runtimeDocker, installReleasePackage, isRelease } from '../../../src/tasks/runtime/docker.js';
import { criDockerdPackage } from '../../../src/data/runtime-repos.js';
import { commandText } from '../../../src/transport/command.js';
import type { RecordingTransport } from '../../../src/transport/recording.js';
import { converge, defaultFacts, harness } from './helpers/context.js';
import { makeInventory } from './helpers/inventory.js';

/** A tiny systemd: units enabled/active, mutated by systemctl enable/restart; restarts owed (kubesmith's marks) kept too. */
function systemd(t: RecordingTransport, log: string[] = [], owed = new Set<string>()) {
  const units: Record<string, { enabled: boolean; active: boolean }> = {};
  const unit = (name: string) => (units[name] ??= { enabled: false, active: false });
  t.allow(/^test -e \/var\/lib\/kubesmith\/restart-owed\//, (c) => ({ code: owed.has(c.command.split('/').pop()!) ? 0 : 1 }))
    .allow(/^mkdir -p \/var\/lib\/kubesmith\/restart-owed && : > /, (c) => (owed.add(c.command.split('/').pop()!), {}))
    .allow(/^systemctl is-enabled /, (c) =>
      unit(c.command.split(' ')[2]!).enabled ? { stdout: 'enabled\n' } : { code: 1, stdout: 'disabled\n' },
    )
    .allow(/^systemctl is-active /, (c) =>
      unit(c.command.split(' ')[2]!).active ? { stdout: 'active\n' } : { code: 3, stdout: 'inactive\n' },
    )
    .allow(/^systemctl enable --now /, (c) => (Object.assign(unit(c.command.split(' ')[3]!), { enabled: true, active: true }), {}))
    .allow(/^systemctl (restart|daemon-reload)/, (c) => {
      const [command, cleared] = c.command.split(' && rm -f /var/lib/kubesmith/restart-owed/');
      if (cleared) owed.delete(cleared);
      log.push(command!);
      return {};
    });
}

/** dpkg-query/rpm -q answering from a map of installed packages → version. */
function packages(t: RecordingTransport, installed: Map<string, string>) {
  const query = (c: { command: string }) => {
    const hit = [...installed].find(([p]) => c.command.includes(` ${p} `));
    return { stdout: hit ? `${hit[1]}\n` : '' };
  };
  t.allow(/^dpkg-query /, query).allow(/rpm -q/, query);
}

const ubuntu = defaultFacts({ os: { id: 'ubuntu', idLike: ['debian'], versionId: '22.04', prettyName: 'Ubuntu 22.04', family: 'debian' } });

describe('runtime.docker online', () => {
  it('installs docker-ce from the repository and cri-dockerd from its release .deb, configures, starts; second check ok', async () => {
    const h = harness(
      makeInventory({ containerRuntime: { type: 'docker', registryMirrors: { 'docker.io': ['https://mirror.example'] } } }),
      {
        facts: () => ubuntu,
      },
    );
    const t = h.t('w1');
    const log: string[] = [];
    const installed = new Map<string, string>();
    systemd(t, log);
    packages(t, installed);
    t.allow('apt-get update', {})
      .allow(
        /apt-get install -y --allow-downgrades --allow-change-held-packages docker-ce$/,
        () => (installed.set('docker-ce', '5:27.3.1-1'), {}),
      )
      .allow(
        /curl -fsSL --retry 3 https:\/\/github.com\/Mirantis\/cri-dockerd\/releases\/download\/v0\.3\.24\/cri-dockerd_0\.3\.24\.3-0\.ubuntu-jammy_amd64\.deb/,
        (c) => {
          expect(c.command).toContain(`apt-get install -y --allow-downgrades "$d"/cri-dockerd_0.3.24.3-0.ubuntu-jammy_amd64.deb`);
          installed.set('cri-dockerd', '0.3.24.3-0.ubuntu-jammy');
          return {};
        },
      );
    const changes = await converge(runtimeDocker, h.ctx('w1'), [t]);
    expect(changes.map((c) => c.summary)).toEqual([
      'install docker-ce',
      'install cri-dockerd 0.3.24 from its release package cri-dockerd_0.3.24.3-0.ubuntu-jammy_amd64.deb',
      'create /etc/docker/daemon.json',
      'create /etc/systemd/system/cri-docker.service.d/10-kubesmith.conf',
      'reload systemd units',
      'create /etc/crictl.yaml',
      'restart docker (/etc/docker/daemon.json changed)',
      'restart cri-docker.service (pause image drop-in changed)',
      'enable and start docker',
      'enable and start cri-docker.socket',
      'enable and start cri-docker.service',
    ]);
    const daemon = JSON.parse(t.fileText('/etc/docker/daemon.json')!);
    expect(daemon['exec-opts']).toEqual(['native.cgroupdriver=systemd']);
    expect(daemon['registry-mirrors']).toEqual(['https://mirror.example']);
    expect(t.fileText('/etc/systemd/system/cri-docker.service.d/10-kubesmith.conf')).toMatch(
      /--pod-infra-container-image=registry\.k8s\.io\/pause:3\.10\.1\n/,
    );
    expect(t.fileText('/etc/crictl.yaml')).toContain('unix:///var/run/cri-dockerd.sock');
    expect(log).toEqual(['systemctl daemon-reload', 'systemctl restart docker', 'systemctl restart cri-docker.service']);
  });

  it('check is read-only and plans only the config change when the mirrors change (restart docker, not cri-docker)', async () => {
    const base = { type: 'docker' as const, registryMirrors: { 'docker.io': ['https://a.example'] } };
    const h = harness(makeInventory({ containerRuntime: base }), { facts: () => ubuntu });
    const t = h.t('w1');
    systemd(t);
    packages(
      t,
      new Map([
        ['docker-ce', '5:27.3.1-1'],
        ['cri-dockerd', '0.3.24.3-0.ubuntu-jammy'],
      ]),
    );
    t.allow(/apt-get|curl/, () => ({ code: 1, stderr: 'should not run' }));
    await converge(runtimeDocker, h.ctx('w1'), [t]);
    const h2 = harness(makeInventory({ containerRuntime: { ...base, registryMirrors: { 'docker.io': ['https://b.example'] } } }), {
      facts: () => ubuntu,
    });
    const t2 = h2.t('w1');
    for (const [path, text] of [
      ['/etc/docker/daemon.json'],
      ['/etc/systemd/system/cri-docker.service.d/10-kubesmith.conf'],
      ['/etc/crictl.yaml'],
    ].map(([p]) => [p!, t.fileText(p!)!])) {
      t2.setFile(path!, text!);
    }
    const units = { docker: true, 'cri-docker.socket': true, 'cri-docker.service': true };
    t2.allow(/^test -e \/var\/lib\/kubesmith\/restart-owed\//, { code: 1 });
    t2.allow(/^systemctl is-(enabled|active) /, (c) => ({
      stdout: c.command.includes('enabled') ? 'enabled\n' : 'active\n',
      code: c.command.split(' ')[2]! in units ? 0 : 1,
    }));
    packages(
      t2,
      new Map([
        ['docker-ce', '5:27.3.1-1'],
        ['cri-dockerd', '0.3.24.3-0.ubuntu-jammy'],
      ]),
    );
    const r = await runtimeDocker.check(h2.ctx('w1'));
    expect(t2.calls.filter((c) => c.kind === 'writeFile' || c.kind === 'upload')).toEqual([]);
    expect(r).toEqual({
      status: 'change',
      changes: [
        expect.objectContaining({ summary: 'update /etc/docker/daemon.json' }),
        { summary: 'restart docker (/etc/docker/daemon.json changed)' },
      ],
    });
  });

  it('a run killed after writing daemon.json and the drop-in but before the restarts: the next run restarts both anyway', async () => {
    const inv = makeInventory({ containerRuntime: { type: 'docker', registryMirrors: { 'docker.io': ['https://a.example'] } } });
    const h = harness(inv, { facts: () => ubuntu });
    const t = h.t('w1');
    const restarts: string[] = [];
    const owed = new Set<string>();
    systemd(t, restarts, owed);
    packages(
      t,
      new Map([
        ['docker-ce', '5:27.3.1-1'],
        ['cri-dockerd', '0.3.24.3-0.ubuntu-jammy'],
      ]),
    );
    // The killed run: both files written (the restarts are owed from then on), no restart happened.
    const first = await runtimeDocker.check(h.ctx('w1'));
    const changes = first.status === 'change' ? first.changes : [];
    await runtimeDocker.apply(
      h.ctx('w1'),
      changes.filter((c) => /^create /.test(c.summary)),
    );
    expect(owed).toEqual(new Set(['docker', 'cri-docker.service']));
    expect(restarts).toEqual([]);
    // The next run: the files match, yet both daemons still run the old configuration.
    const next = await converge(runtimeDocker, h.ctx('w1'), [t]);
    const why = 'a run stopped after changing its configuration, before restarting it';
    expect(next.map((c) => c.summary)).toEqual(expect.arrayContaining([`restart docker (${why})`, `restart cri-docker.service (${why})`]));
    expect(next.map((c) => c.summary).filter((s) => /^(create|update) /.test(s))).toEqual([]);
    expect(restarts).toEqual(['systemctl restart docker', 'systemctl restart cri-docker.service']);
    expect(owed).toEqual(new Set());
  });

  it('an older cri-dockerd is replaced by the pinned release; a bundle install counts as the release', () => {
    expect(isRelease('0.3.15.3-0.debian-bookworm', '0.3.15')).toBe(true);
    expect(isRelease('0.3.15-3.el8', '0.3.15')).toBe(true);
    expect(isRelease('0.3.15-1', '0.3.15')).toBe(true);
    expect(isRelease('0.3.14.3-0.ubuntu-jammy', '0.3.15')).toBe(false);
    expect(isRelease('0.3.150-1', '0.3.15')).toBe(false);
    expect(isRelease('', '0.3.15')).toBe(false);
  });

  it('Rocky 9: the el8 .rpm, installed with dnf', async () => {
    const rocky = defaultFacts({ os: { id: 'rocky', idLike: ['rhel'], versionId: '9.4', prettyName: 'Rocky Linux 9.4', family: 'rhel' } });
    const pkg = criDockerdPackage('rhel', rocky);
    expect(pkg.url).toBe('https://github.com/Mirantis/cri-dockerd/releases/download/v0.3.24/cri-dockerd-0.3.24-3.el8.x86_64.rpm');
    const h = harness(makeInventory({ containerRuntime: { type: 'docker' } }), { family: 'rhel', facts: () => rocky });
    const t = h.t('w1');
    systemd(t);
    packages(t, new Map([['docker-ce', '27.3.1-1.el9']]));
    const r = await runtimeDocker.check(h.ctx('w1'));
    expect(r.status === 'change' && r.changes[0]!.summary).toBe(
      'install cri-dockerd 0.3.24 from its release package cri-dockerd-0.3.24-3.el8.x86_64.rpm',
    );
  });

  it("verifies the download against GitHub's digest of the asset before installing, with every value quoted", () => {
    const pkg = { url: 'https://x.example/a b.deb', file: 'a b.deb', digests: 'https://api.example/tags/v1' };
    const text = commandText(installReleasePackage('debian', pkg));
    expect(text).toMatch(
      /^set -e; d=\$\(mktemp -d\); trap 'rm -rf "\$d"' EXIT; curl -fsSL --retry 3 -H 'Accept: application\/vnd.github\+json' https:\/\/api.example\/tags\/v1 -o "\$d"\/release\.json \|\| \{ echo /,
    );
    expect(text).toContain(`curl -fsSL --retry 3 'https://x.example/a b.deb' -o "$d"/'a b.deb';`);
    expect(text.indexOf('sha256sum -c')).toBeLessThan(text.indexOf('apt-get install'));
    expect(text).toMatch(/env DEBIAN_FRONTEND=noninteractive apt-get install -y --allow-downgrades "\$d"\/'a b\.deb'$/);
  });

  it('offline: installs nothing itself (offline.install did) and is skipped for containerd', async () => {
    const h = harness(makeInventory({ containerRuntime: { type: 'docker' }, offline: { bundle: 'b' } }), { facts: () => ubuntu });
    const t = h.t('w1');
    systemd(t);
    packages(t, new Map());
    const r = await runtimeDocker.check(h.ctx('w1'));
    expect(r.status === 'change' && r.changes.map((c) => c.summary).filter((s) => s.startsWith('install'))).toEqual([]);
    expect(await runtimeDocker.check(harness(makeInventory()).ctx('w1'))).toMatchObject({ status: 'skip' });
  });
});
