import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync, renameSync, utimesSync, writeFileSync } from 'node:fs';
import { LabRoot, ensureBuilt } from './helpers.js';
import { writeDockerArchive, writeOciArchive, makeTestImage } from '../../../lab/emulators/src/runtime/oci-archive.js';

let lab: LabRoot;
beforeAll(() => ensureBuilt());
beforeEach(() => {
  lab = new LabRoot();
});
afterEach(() => lab.cleanup());

const CRICTL_YAML =
  'runtime-endpoint: unix:///run/containerd/containerd.sock\nimage-endpoint: unix:///run/containerd/containerd.sock\ntimeout: 10\ndebug: false\n';

describe('crictl', () => {
  it('fails like the real one when the runtime is not running', () => {
    lab.write('/etc/crictl.yaml', CRICTL_YAML);
    const images = lab.run('crictl', ['images']);
    expect(images.code).toBe(1);
    expect(images.stderr).toBe(
      'FATA[0000] validate service connection: validate CRI v1 image API for endpoint "unix:///run/containerd/containerd.sock": rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial unix /run/containerd/containerd.sock: connect: no such file or directory"\n',
    );
    expect(lab.run('crictl', ['ps']).stderr).toContain('validate CRI v1 runtime API for endpoint');
  });

  it('warns about default endpoints without /etc/crictl.yaml', () => {
    lab.systemctl('containerd', 'start');
    const r = lab.run('crictl', ['images']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('WARN[0000] Config "/etc/crictl.yaml" does not exist');
    expect(r.stderr).toContain('Image connect using default endpoints');
  });

  it('lists the k8s.io images (grouped by image ID for -q and -o json) after a ctr import', () => {
    lab.write('/etc/crictl.yaml', CRICTL_YAML);
    lab.systemctl('containerd', 'start');
    lab.write('/tmp/i.tar', writeOciArchive([{ ref: 'registry.k8s.io/pause:3.10' }, { ref: 'registry.k8s.io/kube-proxy:v1.31.1' }]));
    lab.run('ctr', ['-n', 'k8s.io', 'images', 'import', '/tmp/i.tar']);
    lab.run('ctr', ['-n', 'k8s.io', 'images', 'tag', 'registry.k8s.io/pause:3.10', 'my.mirror/pause:3.10']);
    const pause = makeTestImage({ ref: 'registry.k8s.io/pause:3.10' });
    const table = lab.run('crictl', ['images']).stdout.split('\n');
    // Go tabwriter(minwidth 20, padding 3): the widest IMAGE (registry.k8s.io/kube-proxy, 26) + 3
    expect(table[0]).toBe(`${'IMAGE'.padEnd(29)}${'TAG'.padEnd(20)}${'IMAGE ID'.padEnd(20)}SIZE`);
    const size = `${Number(((pause.manifest.length + pause.config.length + pause.layer.length) / 1000).toPrecision(4))}kB`;
    expect(table).toContain(
      `${'registry.k8s.io/pause'.padEnd(29)}${'3.10'.padEnd(20)}${pause.configDigest.slice(7, 20).padEnd(20)}${size}`,
    );
    expect(lab.run('crictl', ['images', '-q']).stdout.trim().split('\n')).toHaveLength(2);
    const json = JSON.parse(lab.run('crictl', ['images', '-o', 'json']).stdout) as { images: Array<{ id: string; repoTags: string[] }> };
    expect(json.images.find((i) => i.id === pause.configDigest)?.repoTags).toEqual(['my.mirror/pause:3.10', 'registry.k8s.io/pause:3.10']);
    expect(lab.run('crictl', ['images', 'registry.k8s.io/kube-proxy']).stdout.split('\n').filter(Boolean)).toHaveLength(2);
  });

  it('rmi removes, pull fails offline with the CRI wording, version/info answer', () => {
    lab.write('/etc/crictl.yaml', CRICTL_YAML);
    lab.write(
      '/etc/containerd/config.toml',
      'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]\n  SystemdCgroup = true\n',
    );
    lab.systemctl('containerd', 'start');
    lab.write('/tmp/i.tar', writeOciArchive({ ref: 'registry.k8s.io/pause:3.10' }));
    lab.run('ctr', ['-n', 'k8s.io', 'images', 'import', '/tmp/i.tar']);
    expect(lab.run('crictl', ['rmi', 'registry.k8s.io/pause:3.10']).stdout).toBe('Deleted: registry.k8s.io/pause:3.10\n');
    expect(lab.run('lab-images').stdout).toBe('');
    const pull = lab.run('crictl', ['pull', 'registry.k8s.io/pause:3.10']);
    expect(pull.code).toBe(1);
    expect(pull.stderr).toContain(
      'FATA[0000] pulling image: rpc error: code = Unknown desc = failed to pull and unpack image "registry.k8s.io/pause:3.10": failed to resolve reference',
    );
    expect(lab.run('crictl', ['version']).stdout).toBe(
      'Version:  0.1.0\nRuntimeName:  containerd\nRuntimeVersion:  1.6.20~ds1\nRuntimeApiVersion:  v1\n',
    );
    const info = JSON.parse(lab.run('crictl', ['info']).stdout);
    expect(info.config.containerd.runtimes.runc.options.SystemdCgroup).toBe(true);
    expect(info.status.conditions[1]).toMatchObject({ type: 'NetworkReady', status: false });
    lab.write('/etc/cni/net.d/10-flannel.conflist', '{}');
    expect(JSON.parse(lab.run('crictl', ['info']).stdout).status.conditions[1].status).toBe(true);
  });

  it('ps shows the static pods kubelet runs from /etc/kubernetes/manifests, only with their images present', () => {
    lab.write('/etc/crictl.yaml', CRICTL_YAML);
    lab.systemctl('containerd', 'start');
    const manifest = (name: string, image: string) =>
      `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}-cp1\n  namespace: kube-system\nspec:\n  containers:\n  - name: ${name}\n    image: ${image}\n`;
    lab.write('/etc/kubernetes/manifests/kube-apiserver.yaml', manifest('kube-apiserver', 'registry.k8s.io/kube-apiserver:v1.31.1'));
    lab.write('/etc/kubernetes/manifests/etcd.yaml', manifest('etcd', 'registry.k8s.io/etcd:3.5.15-0'));
    lab.write('/tmp/i.tar', writeOciArchive({ ref: 'registry.k8s.io/kube-apiserver:v1.31.1' }));
    lab.run('ctr', ['-n', 'k8s.io', 'images', 'import', '/tmp/i.tar']);
    expect(lab.run('crictl', ['ps', '-q']).stdout).toBe(''); // kubelet not running
    lab.write('/run/lab/systemd/active/kubelet.service', `active ${Math.floor(Date.now() / 1000)} 0\n`);
    const table = lab.run('crictl', ['ps']).stdout.trim().split('\n');
    expect(table).toHaveLength(2); // etcd's image is missing: no container
    const cells = table[1]!.split(/\s{2,}/);
    expect(cells).toMatchObject({ 3: 'Running', 4: 'kube-apiserver', 5: '0', 7: 'kube-apiserver-cp1' });
    expect(cells[1]).toBe(makeTestImage({ ref: 'registry.k8s.io/kube-apiserver:v1.31.1' }).configDigest.slice(7, 20));
    const first = lab.run('crictl', ['ps', '-q', '--name', 'kube-apiserver']).stdout;
    // moving the manifest out stops the pod; back (new mtime) is a new container, as a kubelet restart gives
    renameSync(lab.path('/etc/kubernetes/manifests/kube-apiserver.yaml'), lab.path('/tmp/kube-apiserver.yaml'));
    expect(lab.run('crictl', ['ps', '-q']).stdout).toBe('');
    renameSync(lab.path('/tmp/kube-apiserver.yaml'), lab.path('/etc/kubernetes/manifests/kube-apiserver.yaml'));
    utimesSync(lab.path('/etc/kubernetes/manifests/kube-apiserver.yaml'), new Date(), new Date(Date.now() + 5000));
    const second = lab.run('crictl', ['ps', '-q', '--name', 'kube-apiserver']).stdout;
    expect(second).toMatch(/^[0-9a-f]{64}\n$/);
    expect(second).not.toBe(first);
    expect(lab.run('crictl', ['pods']).stdout).toMatch(/\n[0-9a-f]{13}\s+\d+ seconds ago\s+Ready\s+kube-apiserver-cp1\s+kube-system/);
    // stopping a static pod is acknowledged, but the kubelet keeps it while its manifest stays
    const podId = lab.run('crictl', ['pods', '-q']).stdout.trim();
    expect(lab.run('crictl', ['stopp', podId.slice(0, 13)]).stdout).toBe(`Stopped sandbox ${podId.slice(0, 13)}\n`);
    expect(lab.run('crictl', ['ps', '-q']).stdout).toBe(second);
    // rmi --prune removes what no running container uses
    lab.write('/tmp/j.tar', writeOciArchive({ ref: 'docker.io/library/nginx:1.27' }));
    lab.run('ctr', ['-n', 'k8s.io', 'images', 'import', '/tmp/j.tar']);
    expect(lab.run('crictl', ['rmi', '--prune']).stdout).toBe('Deleted: docker.io/library/nginx:1.27\n');
    expect(lab.run('lab-images').stdout).toBe('registry.k8s.io/kube-apiserver:v1.31.1\n');
  });

  it('crictl config --set writes /etc/crictl.yaml', () => {
    expect(lab.run('crictl', ['config', '--set', 'runtime-endpoint=unix:///run/containerd/containerd.sock']).code).toBe(0);
    expect(readFileSync(lab.path('/etc/crictl.yaml'), 'utf8')).toBe('runtime-endpoint: unix:///run/containerd/containerd.sock\n');
  });
});

describe('docker and cri-dockerd', () => {
  it('reflects the daemon.json cgroup driver in docker info (default cgroupfs)', () => {
    expect(lab.systemctl('docker', 'start').code).toBe(0);
    expect(lab.run('docker', ['info']).stdout).toContain(' Cgroup Driver: cgroupfs\n');
    lab.systemctl('docker', 'stop');
    lab.write('/etc/docker/daemon.json', JSON.stringify({ 'exec-opts': ['native.cgroupdriver=systemd'], 'log-driver': 'json-file' }));
    expect(lab.systemctl('docker', 'start').code).toBe(0);
    expect(lab.run('docker', ['info']).stdout).toContain(' Cgroup Driver: systemd\n');
    expect(lab.run('docker', ['info', '--format', '{{.CgroupDriver}}']).stdout).toBe('systemd\n');
  });

  it('refuses to start on a broken or unknown daemon.json, and docker then cannot connect', () => {
    lab.write('/etc/docker/daemon.json', '{ "exec-opts": [native.cgroupdriver=systemd] }');
    const r = lab.systemctl('docker', 'start');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('unable to configure the Docker daemon with file /etc/docker/daemon.json');
    lab.write('/etc/docker/daemon.json', '{ "cgroup-driver": "systemd" }');
    expect(lab.systemctl('docker', 'start').stderr).toContain(
      "the following directives don't match any configuration option: cgroup-driver",
    );
    const images = lab.run('docker', ['images']);
    expect(images.code).toBe(1);
    expect(images.stderr).toBe('Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n');
  });

  it('docker load records the archive images in the moby namespace, visible to crictl through cri-dockerd', () => {
    lab.systemctl('docker', 'start');
    lab.write('/tmp/d.tar', writeDockerArchive([{ ref: 'registry.k8s.io/pause:3.9' }, { ref: 'flannel/flannel:v0.25.1' }]));
    const load = lab.run('docker', ['load', '-i', '/tmp/d.tar']);
    expect(load.stdout).toBe('Loaded image: registry.k8s.io/pause:3.9\nLoaded image: flannel/flannel:v0.25.1\n');
    expect(lab.run('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}']).stdout).toBe(
      'flannel/flannel:v0.25.1\nregistry.k8s.io/pause:3.9\n',
    );
    expect(lab.run('lab-images').stdout).toBe(''); // k8s.io namespace is containerd's, not docker's
    expect(lab.run('lab-images', ['-n', 'moby']).stdout).toBe('docker.io/flannel/flannel:v0.25.1\nregistry.k8s.io/pause:3.9\n');
    lab.write(
      '/etc/systemd/system/cri-docker.service',
      '[Service]\nExecStart=/usr/bin/cri-dockerd --container-runtime-endpoint fd:// --pod-infra-container-image=registry.k8s.io/pause:3.10\n',
    );
    expect(lab.systemctl('cri-docker', 'start').code).toBe(0);
    lab.write('/etc/crictl.yaml', 'runtime-endpoint: unix:///var/run/cri-dockerd.sock\n');
    expect(lab.run('crictl', ['images', '-q']).stdout.trim().split('\n')).toHaveLength(2);
    expect(JSON.parse(lab.run('crictl', ['info']).stdout).config.podInfraContainerImage).toBe('registry.k8s.io/pause:3.10');
    expect(lab.run('lab-runtime-active', ['cri-docker']).code).toBe(0);
    lab.systemctl('docker', 'stop');
    expect(lab.run('lab-runtime-active', ['cri-docker']).code).toBe(1);
  });

  it('cri-docker does not start without docker; versions print like the real binaries', () => {
    expect(lab.systemctl('cri-docker', 'start').stderr).toContain('Cannot connect to the Docker daemon');
    lab.installed('docker-ce', '5:27.3.1-1~debian.12~bookworm');
    expect(lab.run('docker', ['--version']).stdout).toMatch(/^Docker version 27\.3\.1, build \w{7}\n$/);
    expect(lab.run('cri-dockerd', ['--version']).stdout).toMatch(/^cri-dockerd 0\.3\.24 \(\w{7}\)\n$/);
  });
});

describe('launchers: journal and fault hook', () => {
  it('journals each call with printf %q arguments and honours "N fail"', () => {
    lab.write('/var/lib/lab/faults/ctr', '1 fail\n');
    const failed = lab.run('ctr', ['-n', 'k8s.io', 'images', 'import', '/tmp/a b.tar']);
    expect(failed).toMatchObject({ code: 1, stderr: 'lab: injected failure\n' });
    expect(readFileSync(lab.path('/var/lib/lab/faults/ctr'), 'utf8')).toBe('0 fail\n');
    expect(lab.run('ctr', ['--version']).code).toBe(0);
    const journal = readFileSync(lab.path('/var/log/lab/journal.log'), 'utf8').trim().split('\n');
    expect(journal[0]).toMatch(/^\d{13} ctr -n k8s\.io images import \/tmp\/a\\ b\.tar$/);
    expect(journal[1]).toMatch(/^\d{13} ctr --version$/);
    writeFileSync(lab.path('/var/lib/lab/faults/crictl'), '1 hang\n');
    const hung = lab.runWithTimeout('crictl', ['images'], 1500);
    expect(hung.code).toBe(-1); // killed by the timeout: it hung
  });

  it('publishes the node status after an image change, in-process, only once the host joined a cluster', () => {
    lab.write('/etc/crictl.yaml', CRICTL_YAML);
    lab.systemctl('containerd', 'start');
    lab.write('/tmp/i.tar', writeOciArchive([{ ref: 'registry.k8s.io/pause:3.10' }, { ref: 'registry.k8s.io/etcd:3.5.15-0' }]));
    lab.run('ctr', ['-n', 'k8s.io', 'images', 'import', '/tmp/i.tar']);
    const journal = () =>
      readFileSync(lab.path('/var/log/lab/journal.log'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.replace(/^\d{13} /, ''));
    expect(lab.run('crictl', ['rmi', 'registry.k8s.io/pause:3.10']).code).toBe(0);
    expect(journal().at(-1)).toBe('crictl rmi registry.k8s.io/pause:3.10'); // not joined: no lab-node-sync
    lab.write('/etc/kubernetes/kubelet.conf', 'apiVersion: v1\nkind: Config\n');
    expect(lab.run('crictl', ['rmi', 'registry.k8s.io/etcd:3.5.15-0'])).toMatchObject({
      code: 0,
      stdout: 'Deleted: registry.k8s.io/etcd:3.5.15-0\n',
    });
    expect(journal().slice(-2)).toEqual(['crictl rmi registry.k8s.io/etcd:3.5.15-0', 'lab-node-sync']); // as bin/lab-node-sync journals
    // a pending lab-node-sync fault goes through the launcher, which consumes it (the image command still succeeds)
    lab.write('/var/lib/lab/faults/lab-node-sync', '1 fail\n');
    lab.run('ctr', ['-n', 'k8s.io', 'images', 'import', '/tmp/i.tar']);
    expect(readFileSync(lab.path('/var/lib/lab/faults/lab-node-sync'), 'utf8')).toBe('0 fail\n');
    expect(lab.run('crictl', ['rmi', 'registry.k8s.io/pause:3.10']).code).toBe(0);
  });
});
