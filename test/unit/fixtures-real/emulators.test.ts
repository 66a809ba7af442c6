/**
 * The lab's emulators print what the real tools print (test/fixtures/real): byte for byte where the input can be the
 * same (ctr on the same archives, /proc/swaps, messages), else the same layout (columns, JSON keys and types).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDockerArchive, writeOciArchive } from '../../lab/emulators/src/runtime/oci-archive-writer.js';
import { ensureBuilt as ensureRuntimeBuilt, LabRoot, REPO } from '../emulators/runtime/helpers.js';
import { Sandbox, ensureBuilt as ensureSystemBuilt } from '../emulators/system/sandbox.js';
import { INIT_CONFIG, Lab as KubeLab, ensureBuilt as ensureKubeBuilt } from '../emulators/kube/harness.js';
import { lines, manifest, real } from './real.js';
import { shapeDiff, shapeOf } from './shape.js';

/** The archives the real ctr imported when the ctr samples were recorded (same writer, same bytes). */
const PAIR = [{ ref: 'registry.k8s.io/pause:3.10' }, { ref: 'docker.io/flannel/flannel:v0.26.7' }];
const INDEX = { ref: 'quay.io/cilium/cilium:v1.17.4' };

describe('runtime emulators vs ctr/containerd 1.6.20 and the crictl 1.34 layout', () => {
  let lab: LabRoot;
  beforeAll(() => ensureRuntimeBuilt());
  beforeEach(() => {
    lab = new LabRoot();
    lab.installed('containerd', '1.6.20~ds1-1+deb12u3');
  });
  afterEach(() => lab.cleanup());

  const ctr = (...args: string[]) => lab.run('ctr', ['-n', 'k8s.io', ...args]);

  it('containerd --version and ctr --version: the same lines as Debian 1.6.20~ds1', () => {
    expect(lab.run('containerd', ['--version']).stdout).toBe(real('containerd', 'version.txt'));
    expect(lab.run('ctr', ['--version']).stdout).toBe(real('ctr', 'version.txt'));
  });

  it('ctr images ls / import / ls -q on the same archives: byte for byte', () => {
    expect(lab.systemctl('containerd', 'start').code).toBe(0);
    expect(ctr('images', 'ls').stdout).toBe(real('ctr', 'images-ls-empty.txt'));
    lab.write('/tmp/img.tar', writeOciArchive(PAIR));
    expect(ctr('images', 'import', '--platform', 'linux/amd64', '--snapshotter', 'native', '/tmp/img.tar').stdout).toBe(
      real('ctr', 'images-import.txt'),
    );
    expect(ctr('images', 'ls').stdout).toBe(real('ctr', 'images-ls.txt'));
    expect(ctr('images', 'ls', '-q').stdout).toBe(real('ctr', 'images-ls-q.txt'));
  });

  it('ctr with a retagged image and a two-platform index: byte for byte', () => {
    expect(lab.systemctl('containerd', 'start').code).toBe(0);
    lab.write('/tmp/img.tar', writeOciArchive(PAIR));
    lab.write('/tmp/idx.tar', writeOciArchive([INDEX], { platforms: ['linux/amd64', 'linux/arm64'] }));
    ctr('images', 'import', '--platform', 'linux/amd64', '--snapshotter', 'native', '/tmp/img.tar');
    ctr('images', 'tag', 'registry.k8s.io/pause:3.10', '10.199.0.1:5000/pause:3.10');
    expect(ctr('images', 'import', '--platform', 'linux/amd64', '--snapshotter', 'native', '/tmp/idx.tar').stdout).toBe(
      real('ctr', 'images-import-index.txt'),
    );
    expect(ctr('images', 'ls').stdout).toBe(real('ctr', 'images-ls-index.txt'));
  });

  it('ctr namespaces ls after an import: the real layout', () => {
    expect(lab.systemctl('containerd', 'start').code).toBe(0);
    lab.write('/tmp/img.tar', writeOciArchive(PAIR));
    ctr('images', 'import', '/tmp/img.tar');
    expect(lab.run('ctr', ['namespaces', 'ls']).stdout).toBe(real('ctr', 'namespaces-ls.txt'));
  });

  it('docker images --format {{.Repository}}:{{.Tag}}: the names the real docker CLI prints', () => {
    expect(lab.systemctl('docker', 'start').code).toBe(0);
    lab.write('/tmp/d.tar', writeDockerArchive([{ ref: 'registry.k8s.io/pause:3.10' }, { ref: 'registry.k8s.io/kube-apiserver:v1.34.1' }]));
    expect(lab.run('docker', ['load', '-i', '/tmp/d.tar']).code).toBe(0);
    const got = lines(lab.run('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}']).stdout).sort();
    expect(got).toEqual(
      lines(real('docker', 'images-format-repo-tag.txt'))
        .filter((l) => !l.includes('<none>'))
        .sort(),
    );
  });

  it('crictl images -o json: the keys and types of the real ListImagesResponse', () => {
    lab.write(
      '/etc/crictl.yaml',
      'runtime-endpoint: unix:///run/containerd/containerd.sock\nimage-endpoint: unix:///run/containerd/containerd.sock\ntimeout: 10\ndebug: false\n',
    );
    expect(lab.systemctl('containerd', 'start').code).toBe(0);
    lab.write('/tmp/img.tar', writeOciArchive(PAIR));
    ctr('images', 'import', '/tmp/img.tar');
    const got = JSON.parse(lab.run('crictl', ['images', '-o', 'json']).stdout) as { images: Record<string, unknown>[] };
    const want = JSON.parse(real('crictl', 'images-o-json.json')) as { images: Record<string, unknown>[] };
    // uid is null or {value} depending on the image config: compare an image without a user (the second sample)
    expect(shapeDiff(shapeOf({ images: [want.images[1]] }), shapeOf({ images: [got.images[0]] }))).toEqual([]);
  });

  it('crictl ps: the v1.34 header cells and tabwriter columns (each max(20, widest cell + 3) wide, the last unpadded)', () => {
    lab.write(
      '/etc/crictl.yaml',
      'runtime-endpoint: unix:///run/containerd/containerd.sock\nimage-endpoint: unix:///run/containerd/containerd.sock\ntimeout: 10\ndebug: false\n',
    );
    expect(lab.systemctl('containerd', 'start').code).toBe(0);
    const pod = (name: string, image: string) =>
      `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}-cp1\n  namespace: kube-system\nspec:\n  containers:\n  - name: ${name}\n    image: ${image}\n`;
    lab.write('/etc/kubernetes/manifests/kube-controller-manager.yaml', pod('kube-controller-manager', 'registry.k8s.io/pause:3.10'));
    lab.write('/tmp/img.tar', writeOciArchive(PAIR));
    ctr('images', 'import', '/tmp/img.tar');
    lab.write('/run/lab/systemd/active/kubelet.service', `active ${Math.floor(Date.now() / 1000)} 0\n`);
    lab.installed('cri-tools', '1.34.0-1.1');
    const got = lab.run('crictl', ['ps']).stdout;
    expect(got).toBe(tabwriter(lines(got).map((l) => l.split(/ {2,}/))));
    expect(lines(got)[0]!.split(/ {2,}/)).toEqual(lines(real('crictl', 'ps.txt'))[0]!.split(/ {2,}/));
    expect(lines(got)[1]!.split(/ {2,}/).slice(3)).toEqual([
      'Running',
      'kube-controller-manager',
      '0',
      expect.stringMatching(/^[0-9a-f]{13}$/),
      'kube-controller-manager-cp1',
      'kube-system',
    ]);
    // cri-tools before v1.32 (cmd/crictl/container.go@v1.31.0) had no NAMESPACE column
    lab.installed('cri-tools', '1.31.1-1.1');
    expect(lines(lab.run('crictl', ['ps']).stdout)[0]!.split(/ {2,}/)).toEqual(
      lines(real('crictl', 'ps.txt'))[0]!.split(/ {2,}/).slice(0, -1),
    );
  });
});

/** crictl's text/tabwriter (minwidth 20, padding 3, last column unpadded) over the cells of each row. */
function tabwriter(rows: string[][]): string {
  const n = rows[0]!.length - 1;
  const width = Array.from({ length: n }, (_, c) => Math.max(20, ...rows.map((r) => (r[c] ?? '').length + 3)));
  return rows.map((r) => r.map((cell, c) => (c < n ? cell.padEnd(width[c]!) : cell)).join('')).join('\n') + '\n';
}

describe('system emulators vs dpkg-query, rpm, systemctl, swapon, /proc/swaps, sysctl, lsmod, ufw, firewall-cmd, getenforce', () => {
  beforeAll(() => ensureSystemBuilt());
  const boxes: Sandbox[] = [];
  const box = (os = 'debian12') => {
    const s = new Sandbox(os).boot();
    boxes.push(s);
    return s;
  };
  afterAll(() => boxes.forEach((s) => s.dispose()));

  it('dpkg-query -W -f: Package|Status|Version lines, held packages "hold ok installed", absent ones on stderr, exit 1', () => {
    const s = box();
    s.ok('apt-mark', 'hold', 'openssh-server');
    const r = s.run('dpkg-query', ['-W', '-f=${Package}|${Status}|${Version}\n', 'openssh-server', 'kubelet', 'kubeadm']);
    const want = real('dpkg-query', 'package-states.txt');
    const shape = (l: string) => l.replace(/^[^|]+\|(install|hold|deinstall) ok installed\|\S+$/, 'PKG|$1 ok installed|VERSION');
    expect(lines(r.stdout).map(shape)).toEqual(['PKG|hold ok installed|VERSION']);
    expect(lines(want).map(shape)).toContain('PKG|hold ok installed|VERSION');
    expect(r.stderr).toBe(real('dpkg-query', 'package-states.stderr'));
    expect(r.code).toBe(manifest('dpkg-query').files['package-states.txt']!.exit);
  });

  it('rpm -q --qf: NAME|VERSION-RELEASE, "package X is not installed" on stdout in argument order, exit = number absent', () => {
    const s = box('rocky9');
    const r = s.run('rpm', ['-q', '--qf', '%{NAME}|%{VERSION}-%{RELEASE}\n', 'openssh-server', 'kubectl', 'cri-tools']);
    const shape = (l: string) =>
      /^package \S+ is not installed$/.test(l) ? 'ABSENT' : /^[^|\s]+\|[^|\s]+-[^|\s]+$/.test(l) ? 'NAME|V-R' : l;
    expect(lines(r.stdout).map(shape)).toEqual(['NAME|V-R', 'ABSENT', 'ABSENT']);
    expect(lines(r.stdout).slice(1)).toEqual(lines(real('rpm', 'package-states.txt')).filter((l) => l.startsWith('package ')));
    expect(r.code).toBe(manifest('rpm').files['package-states.txt']!.exit);
    expect(s.run('rpm', ['-q', 'kubectl'])).toMatchObject({
      stdout: real('rpm', 'q-not-installed.txt'),
      code: manifest('rpm').files['q-not-installed.txt']!.exit,
    });
  });

  it('systemctl is-enabled / is-active: the real words, exit codes and the not-found message', () => {
    const s = box();
    const sc = (...args: string[]) => s.run('systemctl', args);
    expect(sc('is-enabled', 'ssh')).toMatchObject({ stdout: real('systemctl', 'is-enabled-enabled.txt'), code: 0 });
    expect(sc('is-enabled', 'kubelet.service')).toMatchObject({
      stdout: '',
      stderr: real('systemctl', 'is-enabled-not-found.stderr'),
      code: 1,
    });
    expect(sc('is-active', 'ssh')).toMatchObject({ stdout: real('systemctl', 'is-active-active.txt'), code: 0 });
    expect(sc('is-active', 'kubelet')).toMatchObject({ stdout: real('systemctl', 'is-active-inactive.txt'), code: 3 });
    s.ok('systemctl', 'mask', 'swap.img.swap');
    expect(sc('is-enabled', 'swap.img.swap')).toMatchObject({ stdout: real('systemctl', 'is-enabled-masked.txt'), code: 1 });
  });

  it('systemctl list-unit-files --type=swap --no-legend --plain: unit, state, preset columns', () => {
    const s = box();
    const states = new Set(
      lines(real('systemctl', 'list-unit-files-swap.txt'))
        .map((l) => l.split(/\s+/)[1])
        .concat(['generated', 'disabled', 'alias', 'indirect']),
    );
    const rows = lines(s.ok('systemctl', 'list-unit-files', '--type=swap', '--no-legend', '--plain')).map((l) => l.split(/\s+/));
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      expect(r).toHaveLength(3);
      expect(r[0]).toMatch(/\.swap$/);
      expect(states).toContain(r[1]);
    }
  });

  it('swapon --show / --show=NAME --noheadings and /proc/swaps: the real layouts; none active → empty output', () => {
    const s = box();
    expect(s.ok('swapon', '--show')).toBe(real('swapon', 'show.txt'));
    expect(s.ok('swapon', '--show=NAME', '--noheadings')).toBe(real('swapon', 'show-name-noheadings.txt'));
    expect(s.read('/run/lab/swaps')).toBe(real('proc', 'swaps.txt'));
    s.ok('swapoff', '-a');
    expect(s.ok('swapon', '--show')).toBe(real('swapon', 'show-none.txt'));
    expect(s.ok('swapon', '--show=NAME', '--noheadings')).toBe(real('swapon', 'show-name-noheadings-none.txt'));
    expect(s.read('/run/lab/swaps')).toBe(real('proc', 'swaps-none.txt'));
  });

  it('sysctl -n: the value and a newline', () => {
    const s = box();
    expect(s.ok('sysctl', '-n', 'net.ipv4.ip_forward')).toMatch(/^[01]\n$/);
    expect(real('sysctl', 'n-ip_forward.txt')).toMatch(/^[01]\n$/);
  });

  it('lsmod: the kmod header and "%-19s %8ld  %d" rows', () => {
    const s = box();
    const kmodRow = (l: string) => {
      const [name = '', size = '', used = '', by] = l.split(/\s+/);
      return `${name.padEnd(19)} ${size.padStart(8)}  ${used}${by ? ` ${by}` : ''}`;
    };
    for (const text of [s.ok('lsmod'), real('lsmod', 'lsmod.txt')]) {
      const [header, ...rows] = lines(text);
      expect(header).toBe(lines(real('lsmod', 'lsmod.txt'))[0]);
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) expect(row).toBe(kmodRow(row));
    }
  });

  it('ufw status: byte for byte what ufw 0.36.2 printed for the same rules', () => {
    const s = box('ubuntu2404');
    expect(s.ok('ufw', 'status')).toBe(real('ufw', 'status-inactive.txt'));
    for (const port of ['22/tcp', '6443/tcp', '2379:2380/tcp', '10250/tcp']) s.ok('ufw', 'allow', port);
    s.ok('ufw', '--force', 'enable');
    expect(s.ok('ufw', 'status')).toBe(real('ufw', 'status-active.txt'));
  });

  it('firewall-cmd --list-ports: port/proto words separated by spaces; getenforce: one word', () => {
    const s = box('rocky9');
    s.ok('firewall-cmd', '--permanent', '--add-port=6443/tcp');
    s.ok('firewall-cmd', '--permanent', '--add-port=2379-2380/tcp');
    s.ok('firewall-cmd', '--reload');
    const word = /^\d+(-\d+)?\/(tcp|udp)$/;
    const got = s.ok('firewall-cmd', '--list-ports');
    expect(got).toMatch(/^\S+( \S+)*\n$/);
    expect(
      got
        .trim()
        .split(' ')
        .every((w) => word.test(w)),
    ).toBe(true);
    expect(
      real('firewall-cmd', 'list-ports.txt')
        .trim()
        .split(' ')
        .every((w) => word.test(w)),
    ).toBe(true);
    expect(s.ok('getenforce')).toMatch(/^(Enforcing|Permissive|Disabled)\n$/);
  });
});

describe('kube emulators vs kubeadm/kubelet version lines and kubectl get nodes -o json', () => {
  const lab = new KubeLab();
  beforeAll(() => {
    ensureKubeBuilt();
    lab.seedKeys();
    lab.host('cp1', '10.199.0.10');
    lab.write('cp1', '/root/kubeadm.yaml', INIT_CONFIG);
    expect(lab.run('cp1', 'kubeadm', ['init', '--config', '/root/kubeadm.yaml']).code).toBe(0);
  }, 180_000);

  it('kubeadm version -o short and kubelet --version', () => {
    const v = (s: string) => s.replace(/\d+\.\d+\.\d+/, 'X.Y.Z');
    expect(v(lab.run('cp1', 'kubeadm', ['version', '-o', 'short']).stdout)).toBe(v(real('kubeadm', 'version-o-short.txt')));
    expect(v(lab.run('cp1', 'kubelet', ['--version']).stdout)).toBe(v(real('kubelet', 'version.txt')));
  });

  it('kubectl get nodes -o json: the keys and types of the real list (kind List, 4-space indent)', () => {
    const out = lab.run('cp1', 'kubectl', ['--kubeconfig', '/etc/kubernetes/admin.conf', 'get', 'nodes', '-o', 'json']).stdout;
    const want = JSON.parse(real('kubectl', 'get-nodes-o-json.json')) as { items: unknown[] };
    const got = JSON.parse(out) as { items: unknown[] };
    expect(shapeDiff(shapeOf({ ...want, items: [want.items[0]] }), shapeOf(got))).toEqual([]);
    expect(out.split('\n')[1]).toBe(real('kubectl', 'get-nodes-o-json.json').split('\n')[1]);
  });

  it('kubectl get node NAME -o name: "node/NAME", and the NotFound error of the real kubectl', () => {
    const kc = (...args: string[]) => lab.run('cp1', 'kubectl', ['--kubeconfig', '/etc/kubernetes/admin.conf', ...args]);
    expect(kc('get', 'node', 'cp1', '-o', 'name')).toMatchObject({ code: 0, stdout: real('kubectl', 'get-node-o-name.txt') });
    expect(kc('get', 'node', 'w9', '-o', 'name')).toMatchObject({
      code: 1,
      stdout: '',
      stderr: real('kubectl', 'get-node-not-found.stderr'),
    });
  });
});

describe('helm emulator vs helm list -o json', () => {
  it("one compact JSON line, the keys and types of helm's releaseElement; [] when empty", () => {
    const root = mkdtempSync(join(tmpdir(), 'fx-helm-'));
    try {
      mkdirSync(join(root, 'run'), { recursive: true });
      const helm = (...args: string[]) =>
        spawnSync(process.execPath, [join(REPO, 'dist/test/lab/emulators/src/helm/helm.js'), ...args], {
          encoding: 'utf8',
          env: {
            PATH: process.env.PATH,
            HOME: '/root',
            LAB_FS_ROOT: root,
            LAB_EMULATOR_BIN: join(REPO, 'test/unit/emulators/helm/fake-bin'),
          },
        }).stdout;
      const KC = ['--kubeconfig', '/etc/kubernetes/admin.conf'];
      expect(helm(...KC, 'list', '-n', 'kube-system', '-o', 'json')).toBe(real('helm', 'list-o-json-empty.json'));
      helm('repo', 'add', 'cilium', 'https://helm.cilium.io/');
      mkdirSync(join(root, 'etc/kubernetes/kubesmith'), { recursive: true });
      writeFileSync(join(root, 'etc/kubernetes/kubesmith/cilium-values.yaml'), 'ipam:\n  mode: kubernetes\n');
      writeFileSync(join(root, 'run/pods-ready'), '');
      helm(
        ...KC,
        'upgrade',
        '--install',
        'cilium',
        'cilium/cilium',
        '--version',
        '1.19.4',
        '-n',
        'kube-system',
        '-f',
        '/etc/kubernetes/kubesmith/cilium-values.yaml',
        '--wait',
      );
      const out = helm(...KC, 'list', '-n', 'kube-system', '-o', 'json');
      expect(out.split('\n')).toHaveLength(2); // one line and its newline, like json.Encoder
      expect(shapeDiff(shapeOf(JSON.parse(real('helm', 'list-o-json.json'))), shapeOf(JSON.parse(out)))).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
