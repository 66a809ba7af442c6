import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { ensureBuilt, Sandbox } from './sandbox.js';
import { criDockerdRelease } from '../../../../src/data/runtime-repos.js';

let sb: Sandbox;
beforeAll(ensureBuilt, 120_000);
afterEach(() => sb?.dispose());

const K8S_LIST = '/etc/apt/sources.list.d/kubernetes.list';
const KEYRING = '/etc/apt/keyrings/kubernetes-apt-keyring.gpg';
function addK8sApt(minor: string, url = `https://pkgs.k8s.io/core:/stable:/v${minor}/deb/`): void {
  sb.write(KEYRING, 'key');
  sb.write(K8S_LIST, `deb [signed-by=${KEYRING}] ${url} /\n`);
}
const K8S_REPO = (minor: string) => `[kubernetes]
name=Kubernetes
baseurl=https://pkgs.k8s.io/core:/stable:/v${minor}/rpm/
enabled=1
gpgcheck=1
gpgkey=https://pkgs.k8s.io/core:/stable:/v${minor}/rpm/repodata/repomd.xml.key
exclude=kubelet kubeadm kubectl cri-tools kubernetes-cni
`;

describe('apt on a Debian persona', () => {
  it('installs pinned versions from the configured repo only after apt-get update', () => {
    sb = new Sandbox('debian12').boot();
    expect(sb.ok('dpkg-query', '-W', '-f=${Status}', 'openssh-server')).toBe('install ok installed');
    addK8sApt('1.34');
    const before = sb.run('apt-get', ['install', '-y', 'kubeadm=1.34.1-1.1']);
    expect(before).toMatchObject({ code: 100 });
    expect(before.stderr).toBe('E: Unable to locate package kubeadm\n');
    sb.ok('apt-get', 'update');
    expect(sb.ok('apt-cache', 'madison', 'kubeadm').split('\n')[0]).toBe(
      '   kubeadm | 1.34.4-1.1 | https://pkgs.k8s.io/core:/stable:/v1.34/deb  Packages',
    );
    sb.ok('apt-get', 'install', '-y', 'kubelet=1.34.1-1.1', 'kubeadm=1.34.1-1.1', 'kubectl=1.34.1-1.1');
    expect(sb.ok('dpkg-query', '-W', '-f=${Version}', 'kubeadm')).toBe('1.34.1-1.1');
    // pkgs.k8s.io's Depends: kubelet pulls kubernetes-cni; kubeadm pulls nothing from 1.32 on (no cri-tools)
    expect(sb.ok('dpkg-query', '-W', 'kubernetes-cni')).toBe('kubernetes-cni\t1.7.1-1.1\n');
    expect(sb.run('dpkg-query', ['-W', 'cri-tools']).code).not.toBe(0);
    expect(sb.ok('lab-pkg-version', 'kubelet', '--upstream')).toBe('1.34.1\n');
    const db = JSON.parse(sb.read('/var/lib/lab/pkgdb.json')!);
    expect(db.format).toBe('deb');
    expect(db.packages.kubeadm.version).toBe('1.34.1-1.1');
    // the package put its binary, unit file and kubeadm's drop-in in place; deb scripts enabled and started kubelet
    expect(sb.exists('/usr/bin/kubeadm')).toBe(true);
    expect(sb.read('/usr/lib/systemd/system/kubelet.service')).toMatch(/^ExecStart=\/usr\/bin\/kubelet$/m);
    expect(sb.read('/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf')).toMatch(/EnvironmentFile=-\/etc\/default\/kubelet/);
    expect(sb.ok('systemctl', 'is-enabled', 'kubelet')).toBe('enabled\n');
  });

  it('refuses a version no configured repo offers, like apt', () => {
    sb = new Sandbox('debian12').boot();
    addK8sApt('1.34');
    sb.ok('apt-get', 'update');
    const r = sb.run('apt-get', ['install', '-y', 'kubeadm=1.34.9-1.1']);
    expect(r.code).toBe(100);
    expect(r.stderr).toBe("E: Version '1.34.9-1.1' for 'kubeadm' was not found\n");
    expect(sb.run('apt-get', ['install', '-y', 'kubeadm=1.33.1-1.1']).stderr).toBe("E: Version '1.33.1-1.1' for 'kubeadm' was not found\n");
    expect(sb.run('dpkg', ['-s', 'kubeadm']).code).toBe(1);
  });

  it('honours holds: a different version of a held package needs --allow-change-held-packages', () => {
    sb = new Sandbox('ubuntu2404').boot();
    addK8sApt('1.34');
    sb.ok('apt-get', 'update');
    sb.ok('apt-get', 'install', '-y', 'kubeadm=1.34.1-1.1');
    expect(sb.ok('apt-mark', 'hold', 'kubeadm')).toBe('kubeadm set on hold.\n');
    expect(sb.ok('apt-mark', 'showhold')).toBe('kubeadm\n');
    expect(sb.ok('dpkg-query', '-W', '-f=${Status}', 'kubeadm')).toBe('hold ok installed');
    const r = sb.run('apt-get', ['install', '-y', 'kubeadm=1.34.2-1.1']);
    expect(r.code).toBe(100);
    expect(r.stderr).toBe('E: Held packages were changed and -y was used without --allow-change-held-packages.\n');
    expect(r.stdout).toMatch(/The following held packages will be changed:\n {2}kubeadm\n/);
    expect(sb.ok('dpkg-query', '-W', '-f=${Version}', 'kubeadm')).toBe('1.34.1-1.1');
    sb.ok('apt-get', 'install', '-y', '--allow-change-held-packages', 'kubeadm=1.34.2-1.1');
    expect(sb.ok('dpkg-query', '-W', '-f=${Version}', 'kubeadm')).toBe('1.34.2-1.1');
    expect(sb.run('apt-get', ['install', '-y', '--allow-change-held-packages', 'kubeadm=1.34.1-1.1']).stderr).toBe(
      'E: Packages were downgraded and -y was used without --allow-downgrades.\n',
    );
    expect(sb.ok('apt-mark', 'unhold', 'kubeadm')).toBe('Canceled hold on kubeadm.\n');
  });

  it('fails apt-get update on a removed repository and on a missing keyring', () => {
    sb = new Sandbox('debian12').boot();
    sb.write(K8S_LIST, 'deb https://apt.kubernetes.io/ kubernetes-xenial main\n');
    const dead = sb.run('apt-get', ['update']);
    expect(dead.code).toBe(100);
    expect(dead.stderr).toMatch(
      /^E: The repository 'https:\/\/apt\.kubernetes\.io kubernetes-xenial Release' does not have a Release file\.$/m,
    );
    sb.write(K8S_LIST, `deb [signed-by=${KEYRING}] https://pkgs.k8s.io/core:/stable:/v1.34/deb/ /\n`);
    const unsigned = sb.run('apt-get', ['update']);
    expect(unsigned.code).toBe(100);
    expect(unsigned.stderr).toMatch(/is not signed\.$/m);
  });

  it("serves the aliyun mirror of pkgs.k8s.io and Docker's containerd.io with its cri-less config", () => {
    sb = new Sandbox('debian12').boot();
    addK8sApt('1.33', 'https://mirrors.aliyun.com/kubernetes-new/core/stable/v1.33/deb/');
    sb.write('/etc/apt/keyrings/docker.asc', 'key');
    sb.write(
      '/etc/apt/sources.list.d/docker.list',
      'deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/debian bookworm stable\n',
    );
    sb.ok('apt-get', 'update');
    sb.ok('apt-get', 'install', '-y', 'kubeadm=1.33.7-1.1', 'containerd.io');
    expect(sb.ok('dpkg-query', '-W', '-f=${Version}\\n', 'kubeadm', 'containerd.io')).toBe('1.33.7-1.1\n2.2.0-2\n');
    expect(sb.read('/etc/containerd/config.toml')).toMatch(/^disabled_plugins = \["cri"\]$/m);
  });

  it('dpkg -l lists installed packages with hold flags', () => {
    sb = new Sandbox('debian12').boot();
    addK8sApt('1.34');
    sb.ok('apt-get', 'update');
    sb.ok('apt-get', 'install', '-y', 'kubectl=1.34.0-1.1');
    sb.ok('apt-mark', 'hold', 'kubectl');
    const out = sb.ok('dpkg', '-l', 'kubectl');
    expect(out.split('\n')[0]).toBe('Desired=Unknown/Install/Remove/Purge/Hold');
    expect(out).toMatch(/^hi {2}kubectl\s+1\.34\.0-1\.1\s+amd64\s+Command-line utility for interacting with a Kubernetes cluster$/m);
    expect(sb.run('dpkg', ['-l', 'nope'])).toMatchObject({ code: 1, stderr: 'dpkg-query: no packages found matching nope\n' });
  });
});

describe('dnf on a Rocky persona', () => {
  it('honours exclude= unless --disableexcludes lifts it', () => {
    sb = new Sandbox('rocky9').boot();
    sb.write('/etc/yum.repos.d/kubernetes.repo', K8S_REPO('1.34'));
    const r = sb.run('dnf', ['install', '-y', 'kubeadm']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'All matches were filtered out by exclude filtering for argument: kubeadm\nError: Unable to find a match: kubeadm\n',
    );
    sb.ok('dnf', 'install', '-y', 'kubeadm-1.34.1-*', 'kubelet-1.34.1-*', 'kubectl-1.34.1-*', '--disableexcludes=kubernetes');
    expect(sb.ok('rpm', '-q', 'kubeadm')).toBe('kubeadm-1.34.1-150500.1.1.x86_64\n');
    expect(sb.ok('rpm', '-q', '--qf', '%{VERSION}', 'kubelet')).toBe('1.34.1');
    expect(sb.ok('rpm', '-q', 'kubernetes-cni')).toMatch(/^kubernetes-cni-1\.7\.1-150500\.1\.1/);
    expect(sb.run('rpm', ['-q', 'conntrack-tools']).code).not.toBe(0); // no Requires of the current kubelet
    sb.ok('yum', 'install', '-y', 'kubeadm-1.34.2', '--setopt=disable_excludes=kubernetes');
    expect(sb.ok('lab-pkg-version', 'kubeadm')).toBe('1.34.2-150500.1.1\n');
    // rpm scripts do not enable the kubelet
    expect(sb.run('systemctl', ['is-enabled', 'kubelet']).stdout).toBe('disabled\n');
  });

  it('refuses versions the repo does not offer and reports uninstalled packages', () => {
    sb = new Sandbox('rocky9').boot();
    sb.write('/etc/yum.repos.d/kubernetes.repo', K8S_REPO('1.34'));
    const r = sb.run('dnf', ['install', '-y', 'kubeadm-1.34.9', '--disableexcludes=kubernetes']);
    expect(r).toMatchObject({ code: 1, stderr: 'No match for argument: kubeadm-1.34.9\nError: Unable to find a match: kubeadm-1.34.9\n' });
    expect(sb.run('rpm', ['-q', 'kubeadm'])).toMatchObject({ code: 1, stdout: 'package kubeadm is not installed\n' });
    const list = sb.ok('dnf', 'list', '--showduplicates', 'kubeadm', '--disableexcludes=kubernetes').split('\n');
    expect(list[0]).toBe('Available Packages');
    expect(list[1]).toMatch(/^kubeadm\.x86_64\s+1\.34\.0-150500\.1\.1\s+kubernetes$/);
    expect(list.filter((l) => l.startsWith('kubeadm.')).length).toBe(5);
  });

  it('fails on an unreachable repository like dnf', () => {
    sb = new Sandbox('rocky9').boot();
    sb.write('/etc/yum.repos.d/k.repo', '[k]\nname=k\nbaseurl=https://example.invalid/rpm/\nenabled=1\n');
    const r = sb.run('dnf', ['install', '-y', 'socat']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error: Failed to download metadata for repo 'k': Cannot download repomd\.xml/m);
  });

  it('has no apt on Rocky and no dnf on Debian', () => {
    sb = new Sandbox('rocky9').boot();
    expect(sb.run('apt-get', ['update'])).toMatchObject({ code: 127, stderr: 'bash: apt-get: command not found\n' });
    sb.dispose();
    sb = new Sandbox('debian12').boot();
    expect(sb.run('dnf', ['install', 'x'])).toMatchObject({ code: 127 });
    expect(sb.run('rpm', ['-q', 'x'])).toMatchObject({ code: 127 });
  });
});

describe('curl front for the lab internet', () => {
  it('serves repository keys and repo files, 404s the rest of the package hosts', () => {
    sb = new Sandbox('debian12').boot();
    expect(sb.read('/usr/local/bin/curl') ?? '').toMatch(/^#!\/bin\/bash/);
    const key = sb.run('curl', ['-fsSL', 'https://pkgs.k8s.io/core:/stable:/v1.34/deb/Release.key']);
    expect(key.code).toBe(0);
    expect(key.stdout).toMatch(/^-----BEGIN PGP PUBLIC KEY BLOCK-----\n[\s\S]+-----END PGP PUBLIC KEY BLOCK-----\n$/);
    sb.ok('curl', '-fsSL', 'https://download.docker.com/linux/debian/gpg', '-o', '/etc/apt/keyrings/docker.asc');
    expect(sb.read('/etc/apt/keyrings/docker.asc')).toBe(key.stdout);
    expect(sb.run('curl', ['-fsSL', 'https://pkgs.k8s.io/core:/stable:/v1.20/deb/Release.key'])).toMatchObject({
      code: 22,
      stderr: 'curl: (22) The requested URL returned error: 404\n',
    });
    expect(sb.run('curl', ['-fsSL', 'https://packages.cloud.google.com/apt/doc/apt-key.gpg']).code).toBe(22);
    expect(sb.ok('curl', '-fsSL', 'https://download.docker.com/linux/rhel/docker-ce.repo')).toMatch(/^\[docker-ce-stable\]\n/);
  });
});

describe('release downloads of the lab internet', () => {
  it('dl.k8s.io binaries check against their .sha256; cri-dockerd release packages install from the file', () => {
    sb = new Sandbox('debian12').boot();
    const work = `${sb.root}/root`;
    mkdirSync(work, { recursive: true });
    const run = (cmd: string) => spawnSync('bash', ['-c', cmd], { cwd: work, env: sb.env, encoding: 'utf8' });
    expect(run('curl -sSL https://dl.k8s.io/release/stable.txt').stdout).toMatch(/^v1\.\d+\.\d+\n$/);
    const dl = run(
      'curl -sSLO https://dl.k8s.io/release/v1.34.1/bin/linux/amd64/kubeadm && curl -sSLO https://dl.k8s.io/release/v1.34.1/bin/linux/amd64/kubeadm.sha256 && echo "$(cat kubeadm.sha256)  kubeadm" | sha256sum --check',
    );
    expect(dl.stdout).toBe('kubeadm: OK\n');
    expect(readFileSync(`${work}/kubeadm`, 'utf8')).toMatch(/^export LAB_KUBE_VERSION=1\.34\.1$/m);
    expect(
      run('curl -fsSL https://github.com/containernetworking/plugins/releases/download/v1.7.1/cni-plugins-linux-amd64-v1.7.1.tgz | tar -tz')
        .stdout,
    ).toMatch(/^\.\/portmap$/m);
    expect(sb.run('apt-get', ['install', '-y', 'cri-dockerd']).stderr).toBe('E: Unable to locate package cri-dockerd\n');
    // only the release's real asset names answer (repos.json releaseAssets): a made-up name is a 404, as on GitHub
    expect(run('curl -fsSLO https://github.com/Mirantis/cri-dockerd/releases/download/v0.3.24/cri-dockerd_0.3.24-1_amd64.deb').status).toBe(
      22,
    );
    const deb = `cri-dockerd_${criDockerdRelease.version}.3-0.debian-bookworm_amd64.deb`;
    expect(
      run(
        `curl -fsSLO https://github.com/Mirantis/cri-dockerd/releases/download/v${criDockerdRelease.version}/${deb} && apt-get install -y ./${deb}`,
      ).status,
    ).toBe(0);
    expect(sb.ok('dpkg-query', '-W', '-f=${Version}', 'cri-dockerd')).toBe(`${criDockerdRelease.version}.3-0.debian-bookworm`);
    expect(sb.ok('systemctl', 'is-enabled', 'cri-docker.socket')).toBe('enabled\n');
    expect(sb.ok('apt-get', 'install', '-y', 'cri-dockerd')).toMatch(
      new RegExp(
        `^cri-dockerd is already the newest version \\(${criDockerdRelease.version.replace(/\./g, '\\.')}\\.3-0\\.debian-bookworm\\)\\.$`,
        'm',
      ),
    );
  });

  it('api.github.com release records: digests of the served bytes from June 2025 on, null before (as GitHub)', () => {
    sb = new Sandbox('debian12').boot();
    const run = (cmd: string) => spawnSync('bash', ['-c', cmd], { env: sb.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const record = (v: string) =>
      JSON.parse(run(`curl -fsSL https://api.github.com/repos/Mirantis/cri-dockerd/releases/tags/v${v}`).stdout) as {
        assets: { name: string; digest: string | null; browser_download_url: string }[];
      };
    const old = record('0.3.15');
    expect(old.assets.length).toBeGreaterThan(0);
    expect(old.assets.map((a) => a.digest)).toEqual(old.assets.map(() => null));
    for (const a of record('0.3.24').assets) {
      const sum = run(`curl -fsSL ${a.browser_download_url} | sha256sum`).stdout.split(' ')[0];
      expect(a.digest, a.name).toBe(`sha256:${sum}`);
    }
    expect(run('curl -fsSL https://api.github.com/repos/Mirantis/cri-dockerd/releases/tags/v0.3.99').status).toBe(22);
  });

  it('local package files: dependencies nothing offers stop apt and dnf like the real ones; a deb gets its epoch', () => {
    sb = new Sandbox('debian12').boot();
    sb.write('/root/kubelet_1.34.1-1.1_amd64.deb', 'x');
    const apt = sb.run('apt-get', ['install', '-y', '/root/kubelet_1.34.1-1.1_amd64.deb']);
    expect(apt.code).toBe(100);
    expect(apt.stdout).toContain(
      'The following packages have unmet dependencies:\n kubelet : Depends: kubernetes-cni but it is not installable\n',
    );
    expect(apt.stderr).toBe('E: Unable to correct problems, you have held broken packages.\n');
    expect(sb.run('dpkg-query', ['-W', 'kubelet']).code).not.toBe(0);
    sb.write('/root/kubernetes-cni_1.7.1-1.1_amd64.deb', 'x');
    sb.ok('apt-get', 'install', '-y', '/root/kubelet_1.34.1-1.1_amd64.deb', '/root/kubernetes-cni_1.7.1-1.1_amd64.deb');
    expect(sb.ok('dpkg-query', '-W', '-f=${Version}', 'kubelet')).toBe('1.34.1-1.1');
    sb.write('/root/docker-ce-cli_29.0.1-1~debian.12~bookworm_amd64.deb', 'x');
    sb.ok('apt-get', 'install', '-y', '/root/docker-ce-cli_29.0.1-1~debian.12~bookworm_amd64.deb');
    expect(sb.ok('dpkg-query', '-W', '-f=${Version}', 'docker-ce-cli')).toBe('5:29.0.1-1~debian.12~bookworm');

    sb.dispose();
    sb = new Sandbox('rocky9').boot();
    sb.write('/root/kubelet-1.34.1-150500.1.1.x86_64.rpm', 'x');
    const dnf = sb.run('dnf', ['install', '-y', '/root/kubelet-1.34.1-150500.1.1.x86_64.rpm']);
    expect(dnf.code).toBe(1);
    expect(dnf.stderr).toContain(
      ' Problem: conflicting requests\n  - nothing provides kubernetes-cni needed by kubelet-1.34.1-150500.1.1.x86_64 from @commandline\n',
    );
  });
});

describe('Docker repository on Rocky', () => {
  it('dnf config-manager --add-repo writes docker-ce.repo; containerd.io installs from it', () => {
    sb = new Sandbox('rocky9').boot();
    expect(sb.run('dnf', ['install', '-y', 'containerd.io']).stderr).toBe(
      'No match for argument: containerd.io\nError: Unable to find a match: containerd.io\n',
    );
    expect(sb.ok('dnf', 'config-manager', '--add-repo', 'https://download.docker.com/linux/rhel/docker-ce.repo')).toBe(
      'Adding repo from: https://download.docker.com/linux/rhel/docker-ce.repo\n',
    );
    expect(sb.read('/etc/yum.repos.d/docker-ce.repo')).toMatch(
      /^baseurl=https:\/\/download\.docker\.com\/linux\/rhel\/\$releasever\/\$basearch\/stable$/m,
    );
    sb.ok('dnf', 'install', '-y', 'containerd.io-1.7.28');
    expect(sb.ok('rpm', '-q', 'containerd.io')).toBe('containerd.io-1.7.28-1.el9.x86_64\n');
    expect(sb.read('/etc/containerd/config.toml')).toMatch(/^disabled_plugins = \["cri"\]$/m);
  });
});

describe('package lock', () => {
  it('apt-get fails at once while another process holds the dpkg lock, or waits with DPkg::Lock::Timeout', async () => {
    sb = new Sandbox('debian12').boot();
    const holder = spawn('bash', [
      '-c',
      'exec 8<>"$1"; flock 8; echo 4321 > "$1"; echo locked; exec sleep 3',
      'x',
      `${sb.root}/var/lib/lab/apt.lock`,
    ]);
    await new Promise<void>((done) => holder.stdout.once('data', () => done()));
    const r = sb.run('apt-get', ['install', '-y', 'socat']);
    expect(r.code).toBe(100);
    expect(r.stderr).toBe(
      'E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4321 (apt-get)\n' +
        'E: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), is another process using it?\n',
    );
    expect(sb.run('dpkg-query', ['-W', 'socat']).code).toBe(1);
    const waited = sb.run('apt-get', ['-o', 'DPkg::Lock::Timeout=10', 'install', '-y', 'socat']);
    expect(waited.code).toBe(0);
    expect(sb.ok('dpkg-query', '-W', '-f=${Version}', 'socat')).toBe('1.7.4.4-2');
    holder.kill();
  });
});

describe('read-only queries answered in bash (bin/lab-pkgdb.sh)', () => {
  // the launcher's bash answer must be byte for byte the Node emulator's (src/pkg/apt-tools.ts)
  const node = (tool: string, args: string[]) => {
    const r = spawnSync('node', [`${sb.env.LAB_REPO}/dist/test/lab/emulators/src/pkg/main.js`, tool, ...args], {
      env: sb.env,
      encoding: 'utf8',
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const same = (tool: string, ...args: string[]) => {
    const viaLauncher = sb.run(tool, args);
    expect(viaLauncher, `${tool} ${args.join(' ')}`).toEqual(node(tool, args));
    return viaLauncher;
  };
  const CALLS: string[][] = [
    ['dpkg-query', '-W', '-f=${Status}|${Version}\\n', 'kubeadm'],
    ['dpkg-query', '-W', '-f=${Status}|${Version}\\n', 'kubelet', 'nope', 'containerd.io', 'kubelet'],
    ['dpkg-query', '-W', '-f=${Status}|${Version}\\n', 'nope', 'nada'],
    ['dpkg-query', '-W', 'kubectl', 'openssh-server'],
    [
      'dpkg-query',
      '--show',
      '--showformat=${Package;-20}:${binary:Package} ${Architecture} ${db:Status-Abbrev}${db:Status-Want} ${db:Status-Status} ${Maintainer} ${Unknown}$ ${}x${Version\\t}|\\t|$$\\n',
      'kubeadm',
      'cri-tools',
    ],
    ['dpkg-query', '-f', '${Version}', '-W', 'kubeadm'],
    ['dpkg-query', '-Wf', '${Version}\\\\n', 'kubeadm'],
    ['dpkg-query', '-W', '-f${Status}', 'kubeadm'],
    ['dpkg-query', '-W', '-f=${Description}', 'kubeadm'],
    ['dpkg-query', '-W', 'kube*'],
    ['dpkg-query', '-W'],
    ['dpkg-query', '-l', 'kubeadm'],
    ['apt-mark', 'showhold'],
    ['apt-mark', 'showholds', 'kubelet', 'nope', 'kubectl'],
    ['apt-mark', 'showhold', '-q'],
  ];
  it("gives the Node emulator's output and exit code, held or not, installed or not", () => {
    sb = new Sandbox('debian12').boot();
    addK8sApt('1.34');
    sb.ok('apt-get', 'update');
    for (const call of CALLS) same(call[0]!, ...call.slice(1));
    sb.ok('apt-get', 'install', '-y', 'kubelet=1.34.1-1.1', 'kubeadm=1.34.1-1.1', 'kubectl=1.34.1-1.1');
    sb.ok('apt-mark', 'hold', 'kubeadm', 'kubelet');
    for (const call of CALLS) same(call[0]!, ...call.slice(1));
    expect(same('dpkg-query', '-W', '-f=${Status}|${Version}\\n', 'kubeadm', 'kubectl').stdout).toBe(
      'hold ok installed|1.34.1-1.1\ninstall ok installed|1.34.1-1.1\n',
    );
    expect(same('apt-mark', 'showhold').stdout).toBe('kubeadm\nkubelet\n');
    // a database in another layout (or with escapes) is left to the Node emulator
    const db = JSON.parse(sb.read('/var/lib/lab/pkgdb.json')!);
    db.packages.kubeadm.version = '1.34.1-1.1"x\\y';
    sb.write('/var/lib/lab/pkgdb.json', JSON.stringify(db, null, 1));
    for (const call of CALLS) same(call[0]!, ...call.slice(1));
    sb.write('/var/lib/lab/pkgdb.json', JSON.stringify(db));
    for (const call of CALLS) same(call[0]!, ...call.slice(1));
    sb.write('/var/lib/lab/pkgdb.json', JSON.stringify({ format: 'deb', packages: {} }, null, 1));
    for (const call of CALLS) same(call[0]!, ...call.slice(1));
  });
});
